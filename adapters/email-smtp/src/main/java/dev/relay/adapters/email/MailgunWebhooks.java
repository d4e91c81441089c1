package dev.relay.adapters.email;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Mailgun's webhooks: one event per call, a JSON body {@code {"signature":{"timestamp","token",
 * "signature"},"event-data":{...}}} whose {@code signature} is the hex HMAC-SHA256 of {@code timestamp}
 * followed by {@code token}, keyed by the account's webhook signing key. See the
 * {@linkplain dev.relay.adapters.email package documentation} for the events.
 */
final class MailgunWebhooks implements WebhookVerifier {

  private static final String HMAC = "HmacSHA256";

  private final SecretKeySpec key;
  private final Duration tolerance;
  private final Clock clock;

  MailgunWebhooks(String signingKey, Duration tolerance, Clock clock) {
    this.key = new SecretKeySpec(signingKey.getBytes(StandardCharsets.UTF_8), HMAC);
    this.tolerance = tolerance;
    this.clock = clock;
  }

  @Override
  public List<WebhookEvent> verify(WebhookRequest request) {
    JsonObject body;
    try {
      body = request.body() == null ? null : new JsonObject(request.body());
    } catch (DecodeException | ClassCastException e) {
      throw new WebhookRejectedException("the Mailgun body is not a JSON object, so it carries no signature");
    }
    JsonObject signed = body == null ? null : object(body, "signature");
    if (signed == null) {
      throw new WebhookRejectedException("the Mailgun body has no 'signature' object");
    }
    Object signedAt = signed.getValue("timestamp");
    String timestamp = signedAt instanceof Number || signedAt instanceof String ? signedAt.toString() : null;
    String token = string(signed, "token");
    String signature = string(signed, "signature");
    if (timestamp == null || token == null || signature == null) {
      throw new WebhookRejectedException("the Mailgun signature needs 'timestamp', 'token' and 'signature'");
    }
    byte[] expected = HexFormat.of().formatHex(mac().doFinal((timestamp + token).getBytes(StandardCharsets.UTF_8)))
      .getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, signature.trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
      throw new WebhookRejectedException("the Mailgun signature does not match the account's signing key");
    }
    WebhookChecks.fresh(timestamp, "the Mailgun signature's timestamp", clock, tolerance);
    JsonObject data = object(body, "event-data");
    if (data == null) {
      throw new IllegalArgumentException("the Mailgun body has no 'event-data' object");
    }
    WebhookEvent event = event(data);
    return event == null ? List.of() : List.of(event);
  }

  /** The event, normalized; null for the kinds Relay does not track (accepted, stored, list events). */
  static WebhookEvent event(JsonObject data) {
    String name = required(data, "event");
    String severity = string(data, "severity");
    WebhookEvent.Type type = switch (name) {
      case "delivered" -> WebhookEvent.Type.DELIVERED;
      case "failed" -> "permanent".equals(severity) ? WebhookEvent.Type.BOUNCED_HARD
        : "temporary".equals(severity) ? WebhookEvent.Type.BOUNCED_SOFT : WebhookEvent.Type.FAILED;
      case "rejected" -> WebhookEvent.Type.FAILED;
      case "opened" -> WebhookEvent.Type.OPENED;
      case "clicked" -> WebhookEvent.Type.CLICKED;
      case "complained" -> WebhookEvent.Type.COMPLAINED;
      case "unsubscribed" -> WebhookEvent.Type.UNSUBSCRIBED;
      default -> null;
    };
    if (type == null) {
      return null;
    }
    String id = required(data, "id");
    if (!(data.getValue("timestamp") instanceof Number timestamp)) {
      throw new IllegalArgumentException("Mailgun event-data: field 'timestamp' must be Unix seconds");
    }
    BigDecimal seconds = new BigDecimal(timestamp.toString());
    Instant occurredAt = Instant.ofEpochSecond(seconds.longValue(),
      seconds.remainder(BigDecimal.ONE).movePointRight(9).longValue());

    JsonObject detail = new JsonObject().put("event", name);
    WebhookChecks.keep(data, "severity", detail, "severity");
    WebhookChecks.keep(data, "reason", detail, "reason");
    WebhookChecks.keep(data, "url", detail, "url");
    WebhookChecks.keep(data, "ip", detail, "ip");
    JsonObject status = object(data, "delivery-status");
    if (status != null) {
      WebhookChecks.keep(status, "code", detail, "status");
      WebhookChecks.keep(status, "message", detail, "response");
      WebhookChecks.keep(status, "description", detail, "description");
    }
    JsonObject client = object(data, "client-info");
    if (client != null) {
      WebhookChecks.keep(client, "user-agent", detail, "useragent");
    }
    JsonObject variables = object(data, "user-variables");
    if (variables != null) {
      WebhookChecks.keep(variables, MailComposer.RELAY_ID_ARG, detail, MailComposer.RELAY_ID_ARG);
    }
    return new WebhookEvent(id, messageId(data, variables), type, occurredAt, detail);
  }

  /**
   * The Message-ID the adapter set, without brackets: the {@code relay_smtp_id} user variable (from the
   * {@code X-Mailgun-Variables} header), else {@code message.headers.message-id}.
   */
  private static String messageId(JsonObject data, JsonObject variables) {
    String tagged = variables == null ? null : string(variables, MailComposer.MESSAGE_ID_ARG);
    if (tagged != null) {
      return tagged.trim();
    }
    JsonObject message = object(data, "message");
    JsonObject headers = message == null ? null : object(message, "headers");
    String header = headers == null ? null : string(headers, "message-id");
    if (header == null) {
      throw new IllegalArgumentException("Mailgun event-data: field 'message.headers.message-id' is missing");
    }
    return WebhookChecks.bare(header);
  }

  private Mac mac() {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(HMAC + " is not available in this JVM", e);
    }
  }

  private static JsonObject object(JsonObject json, String field) {
    return json.getValue(field) instanceof JsonObject object ? object : null;
  }

  /** A non-blank string field, or null. */
  private static String string(JsonObject json, String field) {
    return json.getValue(field) instanceof String text && !text.isBlank() ? text : null;
  }

  private static String required(JsonObject json, String field) {
    String value = string(json, field);
    if (value == null) {
      throw new IllegalArgumentException("Mailgun event-data: field '" + field + "' is missing");
    }
    return value;
  }

  @Override
  public String toString() {
    return "Mailgun webhooks (HMAC-SHA256, tolerance " + tolerance.toSeconds() + " s)";
  }
}
