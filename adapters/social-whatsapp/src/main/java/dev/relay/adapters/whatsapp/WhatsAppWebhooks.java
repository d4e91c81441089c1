package dev.relay.adapters.whatsapp;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookReply;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.spi.WebhookVerifier;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies and reads the WhatsApp Business Account webhooks Meta posts: {@code X-Hub-Signature-256} must be
 * {@code sha256=} and the hex HMAC-SHA256, keyed by the app secret, of the raw body (compared in constant
 * time), and answers Meta's verification request ({@link #handshake}). See the
 * {@linkplain dev.relay.adapters.whatsapp package documentation} for the events.
 */
final class WhatsAppWebhooks implements WebhookVerifier {

  /** The header that carries Meta's signature. */
  static final String SIGNATURE_HEADER = "X-Hub-Signature-256";

  /** Replies that opt a recipient out: the word, and the text of Meta's marketing opt-out button. */
  static final Set<String> STOP_REPLIES = Set.of("STOP", "STOP PROMOTIONS");

  private static final String ALGORITHM = "HmacSHA256";

  /** The {@code object} of every WhatsApp Business Account webhook. */
  static final String OBJECT = "whatsapp_business_account";

  private final SecretKeySpec key;
  private final byte[] verifyToken;
  private final Clock clock;

  /**
   * @param appSecret   the Meta app's secret, the key of the signatures
   * @param verifyToken the token Meta's verification request must carry; null when none is configured
   */
  WhatsAppWebhooks(String appSecret, String verifyToken, Clock clock) {
    this.key = new SecretKeySpec(appSecret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
    this.verifyToken = verifyToken == null ? null : verifyToken.getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
  }

  /**
   * Meta's verification request: {@code GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…} is answered
   * {@code 200} with the challenge as plain text when the token is the account's {@code verify-token}
   * (compared in constant time), and {@code 403} otherwise, as Meta's "Getting started with webhooks" says.
   */
  @Override
  public Optional<WebhookReply> handshake(WebhookRequest request) {
    if (!"GET".equalsIgnoreCase(request.method())) {
      return Optional.empty();
    }
    Map<String, List<String>> query = new QueryStringDecoder(request.url()).parameters();
    String mode = first(query, "hub.mode");
    if (mode == null) {
      return Optional.empty();
    }
    String token = first(query, "hub.verify_token");
    String challenge = first(query, "hub.challenge");
    if (!"subscribe".equals(mode) || challenge == null || challenge.isEmpty()) {
      return Optional.of(WebhookReply.text(400, "hub.mode must be subscribe, with a hub.challenge"));
    }
    if (verifyToken == null) {
      return Optional.of(WebhookReply.text(403, "this account has no verify-token"));
    }
    if (token == null || !MessageDigest.isEqual(verifyToken, token.getBytes(StandardCharsets.UTF_8))) {
      return Optional.of(WebhookReply.text(403, "hub.verify_token does not match the account's verify-token"));
    }
    return Optional.of(WebhookReply.text(200, challenge));
  }

  @Override
  public List<WebhookEvent> verify(WebhookRequest request) {
    String given = request.headers().get(SIGNATURE_HEADER);
    if (given == null) {
      throw new WebhookRejectedException(SIGNATURE_HEADER + " is missing");
    }
    Buffer body = request.body() == null ? Buffer.buffer() : request.body();
    byte[] expected = ("sha256=" + sign(body)).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given.trim().getBytes(StandardCharsets.US_ASCII))) {
      throw new WebhookRejectedException(SIGNATURE_HEADER + " does not match the body");
    }
    JsonObject payload;
    try {
      payload = new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("a WhatsApp webhook must carry a JSON object", e);
    }
    if (!OBJECT.equals(payload.getValue("object"))) {
      throw new IllegalArgumentException("a WhatsApp webhook's object must be " + OBJECT);
    }
    if (!(payload.getValue("entry") instanceof JsonArray)) {
      throw new IllegalArgumentException("a WhatsApp webhook must carry an entry array");
    }
    List<WebhookEvent> events = new ArrayList<>();
    for (JsonObject entry : objects(payload.getValue("entry"), "entry")) {
      if (!(entry.getValue("changes") instanceof JsonArray)) {
        throw new IllegalArgumentException("a WhatsApp webhook's entry must carry a changes array");
      }
      for (JsonObject change : objects(entry.getValue("changes"), "entry[].changes")) {
        if (!(change.getValue("field") instanceof String) || !(change.getValue("value") instanceof JsonObject value)) {
          throw new IllegalArgumentException("a WhatsApp webhook's change must carry a field and a value");
        }
        for (JsonObject status : objects(value.getValue("statuses"), "statuses")) {
          statusEvent(status, events);
        }
        for (JsonObject message : objects(value.getValue("messages"), "messages")) {
          inboundEvent(message, events);
        }
      }
    }
    return events;
  }

  /** The hex HMAC-SHA256 of the body. */
  String sign(Buffer body) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return HexFormat.of().formatHex(mac.doFinal(body.getBytes()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
    }
  }

  private void statusEvent(JsonObject status, List<WebhookEvent> events) {
    String id = text(status, "id");
    String state = text(status, "status");
    if (id == null || state == null) {
      throw new IllegalArgumentException("a WhatsApp status must carry id and status");
    }
    WebhookEvent.Type type;
    switch (state) {
      case "delivered":
        type = WebhookEvent.Type.DELIVERED;
        break;
      case "read":
        type = WebhookEvent.Type.READ;
        break;
      case "failed":
        type = WebhookEvent.Type.FAILED;
        break;
      default:
        // sent (accepted by WhatsApp), deleted, warning: nothing to record.
        return;
    }
    JsonObject detail = new JsonObject().put("status", state);
    if (status.getValue("errors") instanceof JsonArray errors && !errors.isEmpty()
      && errors.getValue(0) instanceof JsonObject error) {
      detail.put("error_code", error.getValue("code")).put("error_title", error.getValue("title"));
    }
    events.add(new WebhookEvent(id + ":" + state, id, type, time(status), detail));
  }

  private void inboundEvent(JsonObject message, List<WebhookEvent> events) {
    String reply = null;
    if (message.getValue("text") instanceof JsonObject text) {
      reply = text(text, "body");
    } else if (message.getValue("button") instanceof JsonObject button) {
      reply = text(button, "text");
    }
    if (reply == null || !STOP_REPLIES.contains(reply.trim().toUpperCase(Locale.ROOT))) {
      return;
    }
    String id = text(message, "id");
    String from = text(message, "from");
    if (id == null || from == null) {
      throw new IllegalArgumentException("a WhatsApp message must carry id and from");
    }
    events.add(new WebhookEvent(id + ":stop", null, WebhookEvent.Type.UNSUBSCRIBED, time(message),
      new JsonObject().put("address", from.startsWith("+") ? from : "+" + from)));
  }

  private Instant time(JsonObject carrier) {
    String timestamp = text(carrier, "timestamp");
    if (timestamp == null) {
      return clock.instant();
    }
    try {
      return Instant.ofEpochSecond(Long.parseLong(timestamp.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("a WhatsApp timestamp must be Unix seconds", e);
    }
  }

  private static String first(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private static String text(JsonObject json, String key) {
    Object value = json.getValue(key);
    return value instanceof String || value instanceof Number ? value.toString() : null;
  }

  private static List<JsonObject> objects(Object value, String what) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw new IllegalArgumentException("a WhatsApp webhook's " + what + " must be an array");
    }
    List<JsonObject> objects = new ArrayList<>(array.size());
    for (Object item : array) {
      if (!(item instanceof JsonObject object)) {
        throw new IllegalArgumentException("a WhatsApp webhook's " + what + " must hold objects");
      }
      objects.add(object);
    }
    return objects;
  }

  @Override
  public String toString() {
    return "WhatsApp webhook verifier";
  }
}
