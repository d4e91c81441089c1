package dev.relay.adapters.whatsapp;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.spi.WebhookVerifier;
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
import java.util.Set;

/**
 * Verifies and reads the WhatsApp Business Account webhooks Meta posts: {@code X-Hub-Signature-256} must be
 * {@code sha256=} and the hex HMAC-SHA256, keyed by the app secret, of the raw body (compared in constant
 * time). See the {@linkplain dev.relay.adapters.whatsapp package documentation} for the events.
 */
final class WhatsAppWebhooks implements WebhookVerifier {

  /** The header that carries Meta's signature. */
  static final String SIGNATURE_HEADER = "X-Hub-Signature-256";

  /** Replies that opt a recipient out: the word, and the text of Meta's marketing opt-out button. */
  static final Set<String> STOP_REPLIES = Set.of("STOP", "STOP PROMOTIONS");

  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;
  private final Clock clock;

  WhatsAppWebhooks(String appSecret, Clock clock) {
    this.key = new SecretKeySpec(appSecret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
    this.clock = clock;
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
    } catch (DecodeException e) {
      throw new IllegalArgumentException("a WhatsApp webhook must carry a JSON object", e);
    }
    List<WebhookEvent> events = new ArrayList<>();
    for (JsonObject entry : objects(payload.getValue("entry"), "entry")) {
      for (JsonObject change : objects(entry.getValue("changes"), "entry[].changes")) {
        if (!(change.getValue("value") instanceof JsonObject value)) {
          continue;
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
