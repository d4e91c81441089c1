package dev.relay.adapters.testkit;

import io.vertx.core.buffer.Buffer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * The receiving side of the Standard Webhooks symmetric scheme (https://www.standardwebhooks.com/):
 * {@code webhook-signature} holds space-separated {@code v1,<base64 HMAC-SHA256>} signatures over
 * {@code {webhook-id}.{webhook-timestamp}.{body}}, keyed by the base64 part of a {@code whsec_} secret.
 * Written apart from any sender so that it can judge one.
 */
final class WebhookSignatureCheck {

  /** How far {@code webhook-timestamp} may be from the receiver's clock, either way. */
  static final Duration TOLERANCE = Duration.ofMinutes(5);

  private static final String PREFIX = "whsec_";

  private final SecretKeySpec key;

  WebhookSignatureCheck(String secret) {
    if (secret == null || !secret.startsWith(PREFIX)) {
      throw new IllegalArgumentException("the receiver's secret must start with " + PREFIX);
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the receiver's secret is not " + PREFIX + " followed by base64", e);
    }
    if (bytes.length == 0) {
      throw new IllegalArgumentException("the receiver's secret is empty");
    }
    this.key = new SecretKeySpec(bytes, "HmacSHA256");
  }

  /** Why the call fails verification, or null when one of its signatures is good and its timestamp is recent. */
  String verify(String id, String timestamp, String signatures, Buffer body, Instant now) {
    if (id == null || id.isEmpty()) {
      return "webhook-id is missing";
    }
    if (timestamp == null || signatures == null) {
      return "webhook-timestamp or webhook-signature is missing";
    }
    long seconds;
    try {
      seconds = Long.parseLong(timestamp.trim());
    } catch (NumberFormatException e) {
      return "webhook-timestamp is not a number of seconds";
    }
    if (Math.abs(now.getEpochSecond() - seconds) > TOLERANCE.toSeconds()) {
      return "webhook-timestamp is more than " + TOLERANCE.toMinutes() + " minutes away from now";
    }
    byte[] expected = hmac(id, timestamp.trim(), body);
    for (String signature : signatures.trim().split(" +")) {
      if (signature.startsWith("v1,") && matches(expected, signature.substring(3))) {
        return null;
      }
    }
    return "no valid v1 signature";
  }

  private static boolean matches(byte[] expected, String base64) {
    byte[] given;
    try {
      given = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      // Not base64: not a signature of ours, so not a match; the other signatures still count.
      return false;
    }
    return MessageDigest.isEqual(expected, given);
  }

  private byte[] hmac(String id, String timestamp, Buffer body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return mac.doFinal(body.getBytes());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
