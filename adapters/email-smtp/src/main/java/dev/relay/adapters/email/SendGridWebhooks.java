package dev.relay.adapters.email;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * SendGrid's Event Webhook with signature verification: the body is a JSON array of events, signed with
 * ECDSA P-256 over SHA-256: the signature ({@value #SIGNATURE_HEADER}, base64 of DER) covers the bytes of
 * the timestamp ({@value #TIMESTAMP_HEADER}, Unix seconds) followed by the raw body, and verifies with the
 * account's public key. See the {@linkplain dev.relay.adapters.email package documentation} for the events.
 */
final class SendGridWebhooks implements WebhookVerifier {

  static final String SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature";
  static final String TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp";

  private final PublicKey key;
  private final Duration tolerance;
  private final Clock clock;

  SendGridWebhooks(PublicKey key, Duration tolerance, Clock clock) {
    this.key = key;
    this.tolerance = tolerance;
    this.clock = clock;
  }

  @Override
  public List<WebhookEvent> verify(WebhookRequest request) {
    String signature = request.headers().get(SIGNATURE_HEADER);
    String timestamp = request.headers().get(TIMESTAMP_HEADER);
    if (signature == null || signature.isBlank()) {
      throw new WebhookRejectedException(SIGNATURE_HEADER + " is missing");
    }
    if (timestamp == null || timestamp.isBlank()) {
      throw new WebhookRejectedException(TIMESTAMP_HEADER + " is missing");
    }
    byte[] body = request.body() == null ? new byte[0] : request.body().getBytes();
    if (!verifies(timestamp, body, signature)) {
      throw new WebhookRejectedException("the SendGrid signature does not verify with the account's public key");
    }
    WebhookChecks.fresh(timestamp, TIMESTAMP_HEADER, clock, tolerance);
    return events(request);
  }

  private boolean verifies(String timestamp, byte[] body, String signature) {
    byte[] der;
    try {
      der = Base64.getDecoder().decode(signature.trim());
    } catch (IllegalArgumentException e) {
      return false;
    }
    try {
      Signature ecdsa = Signature.getInstance("SHA256withECDSA");
      ecdsa.initVerify(key);
      ecdsa.update(timestamp.getBytes(StandardCharsets.UTF_8));
      ecdsa.update(body);
      return ecdsa.verify(der);
    } catch (SignatureException e) {
      // A signature that is not DER at all.
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA256withECDSA is not available in this JVM", e);
    }
  }

  private static List<WebhookEvent> events(WebhookRequest request) {
    JsonArray array;
    try {
      array = new JsonArray(request.body());
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("the SendGrid body is not a JSON array of events", e);
    }
    if (array.isEmpty()) {
      throw new IllegalArgumentException("the SendGrid body holds no event: SendGrid posts at least one");
    }
    List<WebhookEvent> events = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject event)) {
        throw new IllegalArgumentException("SendGrid event " + i + " is not a JSON object");
      }
      WebhookEvent parsed = event(event, i);
      if (parsed != null) {
        events.add(parsed);
      }
    }
    return events;
  }

  /** One event, normalized; null for the kinds Relay does not track (processed, group_resubscribe). */
  static WebhookEvent event(JsonObject event, int index) {
    String name = text(event, "event", index);
    WebhookEvent.Type type = switch (name) {
      case "delivered" -> WebhookEvent.Type.DELIVERED;
      case "bounce" -> "blocked".equals(event.getValue("type")) ? WebhookEvent.Type.BOUNCED_SOFT
        : WebhookEvent.Type.BOUNCED_HARD;
      case "deferred" -> WebhookEvent.Type.BOUNCED_SOFT;
      case "dropped" -> WebhookEvent.Type.FAILED;
      case "spamreport" -> WebhookEvent.Type.COMPLAINED;
      case "open" -> WebhookEvent.Type.OPENED;
      case "click" -> WebhookEvent.Type.CLICKED;
      case "unsubscribe", "group_unsubscribe" -> WebhookEvent.Type.UNSUBSCRIBED;
      default -> null;
    };
    if (type == null) {
      return null;
    }
    String eventId = text(event, "sg_event_id", index);
    if (!(event.getValue("timestamp") instanceof Number timestamp)) {
      throw new IllegalArgumentException("SendGrid event " + index + ": field 'timestamp' must be Unix seconds");
    }
    Instant occurredAt = Instant.ofEpochSecond(timestamp.longValue());
    JsonObject detail = new JsonObject().put("event", name);
    for (String field : List.of("type", "reason", "status", "response", "attempt", "useragent", "url", "ip",
      "sg_machine_open", "sg_message_id", MailComposer.RELAY_ID_ARG)) {
      WebhookChecks.keep(event, field, detail, field);
    }
    return new WebhookEvent(eventId, messageId(event, index), type, occurredAt, detail);
  }

  /**
   * The Message-ID the adapter set, without brackets: the {@code relay_smtp_id} custom argument (from the
   * {@code X-SMTPAPI} header, on every event), else {@code smtp-id} (on delivery events), else SendGrid's
   * own {@code sg_message_id} without its {@code .filter…} suffix, which matches no Message-ID of Relay's.
   */
  static String messageId(JsonObject event, int index) {
    Object tagged = event.getValue(MailComposer.MESSAGE_ID_ARG);
    if (tagged instanceof String id && !id.isBlank()) {
      return id.trim();
    }
    Object smtpId = event.getValue("smtp-id");
    if (smtpId instanceof String id && !id.isBlank()) {
      return WebhookChecks.bare(id);
    }
    String sgId = text(event, "sg_message_id", index);
    int filter = sgId.indexOf(".filter");
    return filter > 0 ? sgId.substring(0, filter) : sgId;
  }

  private static String text(JsonObject event, String field, int index) {
    Object value = event.getValue(field);
    if (!(value instanceof String text) || text.isBlank()) {
      throw new IllegalArgumentException("SendGrid event " + index + ": field '" + field + "' is missing");
    }
    return text;
  }

  @Override
  public String toString() {
    return "SendGrid event webhooks (ECDSA, tolerance " + tolerance.toSeconds() + " s)";
  }
}
