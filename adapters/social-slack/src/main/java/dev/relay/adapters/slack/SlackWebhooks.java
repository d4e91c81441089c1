package dev.relay.adapters.slack;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookReply;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Verifies Slack's Events API calls as Slack's "verifying requests" guide says:
 * {@code X-Slack-Signature} must be {@code v0=} and the hex HMAC-SHA256, keyed by the signing secret, of
 * {@code v0:{X-Slack-Request-Timestamp}:{raw body}}, compared in constant time, and the timestamp within
 * {@link #TOLERANCE} of now. A verified {@code url_verification} is answered with its challenge
 * ({@link #handshake}). Slack reports nothing about a posted message's delivery, so a verified call yields
 * no event: the events of an {@code event_callback} (messages in channels, app mentions) are not about
 * messages Relay sent. A verified body that is not an Events API payload (not a JSON object, no
 * {@code type}, another type, an {@code event_callback} without {@code event} or {@code event_id}) cannot
 * be parsed.
 */
final class SlackWebhooks implements WebhookVerifier {

  /** How far the request timestamp may be from now, either way. */
  static final Duration TOLERANCE = Duration.ofMinutes(5);

  private static final String ALGORITHM = "HmacSHA256";
  private static final String URL_VERIFICATION = "url_verification";
  private static final String EVENT_CALLBACK = "event_callback";
  private static final String APP_RATE_LIMITED = "app_rate_limited";

  private final SecretKeySpec key;
  private final Clock clock;

  SlackWebhooks(String signingSecret, Clock clock) {
    this.key = new SecretKeySpec(signingSecret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
    this.clock = clock;
  }

  /**
   * Slack's URL verification: a signed {@code {"type":"url_verification","challenge":…}} is answered
   * {@code 200 text/plain} with the challenge, as Slack's {@code url_verification} event page says.
   */
  @Override
  public Optional<WebhookReply> handshake(WebhookRequest request) {
    JsonObject payload = verified(request);
    if (!URL_VERIFICATION.equals(payload.getValue("type"))) {
      return Optional.empty();
    }
    if (!(payload.getValue("challenge") instanceof String challenge) || challenge.isEmpty()) {
      throw new IllegalArgumentException("a Slack url_verification must carry a challenge");
    }
    return Optional.of(WebhookReply.text(200, challenge));
  }

  @Override
  public List<WebhookEvent> verify(WebhookRequest request) {
    JsonObject payload = verified(request);
    Object type = payload.getValue("type");
    if (EVENT_CALLBACK.equals(type)) {
      if (!(payload.getValue("event") instanceof JsonObject event) || !(event.getValue("type") instanceof String)) {
        throw new IllegalArgumentException("a Slack event_callback must carry an event with a type");
      }
      if (!(payload.getValue("event_id") instanceof String)) {
        throw new IllegalArgumentException("a Slack event_callback must carry an event_id");
      }
    } else if (!URL_VERIFICATION.equals(type) && !APP_RATE_LIMITED.equals(type)) {
      throw new IllegalArgumentException("a Slack Events API call's type must be event_callback, url_verification"
        + " or app_rate_limited");
    }
    // Messages in channels, app mentions, rate-limit notices: none is about a message Relay sent.
    return List.of();
  }

  /** The payload of a call whose signature and timestamp verify. */
  private JsonObject verified(WebhookRequest request) {
    String signature = request.headers().get("X-Slack-Signature");
    String timestamp = request.headers().get("X-Slack-Request-Timestamp");
    if (signature == null || timestamp == null) {
      throw new WebhookRejectedException("X-Slack-Signature or X-Slack-Request-Timestamp is missing");
    }
    long seconds;
    try {
      seconds = Long.parseLong(timestamp.trim());
    } catch (NumberFormatException e) {
      throw new WebhookRejectedException("X-Slack-Request-Timestamp is not a number of seconds");
    }
    if (Math.abs(clock.instant().getEpochSecond() - seconds) > TOLERANCE.toSeconds()) {
      throw new WebhookRejectedException("X-Slack-Request-Timestamp is more than " + TOLERANCE.toMinutes()
        + " minutes away from now");
    }
    Buffer body = request.body() == null ? Buffer.buffer() : request.body();
    byte[] expected = ("v0=" + sign(timestamp.trim(), body)).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, signature.trim().getBytes(StandardCharsets.US_ASCII))) {
      throw new WebhookRejectedException("X-Slack-Signature does not match the body");
    }
    JsonObject payload;
    try {
      payload = new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("a Slack Events API call must carry a JSON object", e);
    }
    if (!(payload.getValue("type") instanceof String)) {
      throw new IllegalArgumentException("a Slack Events API call must carry a type");
    }
    return payload;
  }

  /** The hex HMAC-SHA256 of {@code v0:{timestamp}:{body}}. */
  String sign(String timestamp, Buffer body) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      mac.update(("v0:" + timestamp + ":").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(mac.doFinal(body.getBytes()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "Slack webhook verifier";
  }
}
