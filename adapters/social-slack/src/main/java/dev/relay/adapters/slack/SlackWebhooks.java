package dev.relay.adapters.slack;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
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

/**
 * Verifies Slack's Events API calls as Slack's "verifying requests" guide says:
 * {@code X-Slack-Signature} must be {@code v0=} and the hex HMAC-SHA256, keyed by the signing secret, of
 * {@code v0:{X-Slack-Request-Timestamp}:{raw body}}, compared in constant time, and the timestamp within
 * {@link #TOLERANCE} of now. Slack reports nothing about a posted message's delivery, so a verified call
 * yields no event: {@code url_verification} challenges are the gateway's to answer, and other events
 * (messages in channels, app mentions) are not about messages Relay sent.
 */
final class SlackWebhooks implements WebhookVerifier {

  /** How far the request timestamp may be from now, either way. */
  static final Duration TOLERANCE = Duration.ofMinutes(5);

  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;
  private final Clock clock;

  SlackWebhooks(String signingSecret, Clock clock) {
    this.key = new SecretKeySpec(signingSecret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
    this.clock = clock;
  }

  @Override
  public List<WebhookEvent> verify(WebhookRequest request) {
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
    } catch (DecodeException e) {
      throw new IllegalArgumentException("a Slack Events API call must carry a JSON object", e);
    }
    if (!(payload.getValue("type") instanceof String)) {
      throw new IllegalArgumentException("a Slack Events API call must carry a type");
    }
    // url_verification, event_callback, app_rate_limited: none is about a message Relay sent.
    return List.of();
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
