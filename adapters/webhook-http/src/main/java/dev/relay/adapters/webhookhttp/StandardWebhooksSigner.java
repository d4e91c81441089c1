package dev.relay.adapters.webhookhttp;

import io.vertx.core.buffer.Buffer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Signs webhooks as the Standard Webhooks specification (https://www.standardwebhooks.com/, symmetric
 * scheme) says: the signature is {@code v1,} followed by the base64 of the HMAC-SHA256 of
 * {@code {webhook-id}.{webhook-timestamp}.{body}}, keyed by the bytes that the base64 part of a
 * {@code whsec_<base64>} secret decodes to.
 */
final class StandardWebhooksSigner {

  /** The prefix that marks a symmetric Standard Webhooks secret. */
  static final String SECRET_PREFIX = "whsec_";

  /** The specification's minimum key size for HMAC-SHA256 secrets. */
  static final int MIN_KEY_BYTES = 24;

  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  private StandardWebhooksSigner(byte[] key) {
    this.key = new SecretKeySpec(key, ALGORITHM);
  }

  /**
   * A signer for a {@code whsec_<base64>} secret.
   *
   * @param setting how to name the secret in an error, such as {@code "account x: setting 'secret'"}; the
   *                secret's value never appears in an error
   * @throws IllegalArgumentException when the secret lacks the prefix, is not base64, or is shorter than
   *                                  {@value #MIN_KEY_BYTES} bytes
   */
  static StandardWebhooksSigner fromSecret(String secret, String setting) {
    if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
      throw new IllegalArgumentException(setting + " must start with " + SECRET_PREFIX);
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
    } catch (IllegalArgumentException e) {
      // Not chained: the decoder's message quotes a character of the secret.
      throw new IllegalArgumentException(setting + " must be " + SECRET_PREFIX + " followed by base64");
    }
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException(setting + " must decode to at least " + MIN_KEY_BYTES
        + " bytes, as Standard Webhooks requires");
    }
    return new StandardWebhooksSigner(key);
  }

  /** The {@code webhook-signature} header value for one call: {@code v1,<base64>}. */
  String sign(String webhookId, long timestampSeconds, Buffer body) {
    Mac mac = mac();
    mac.update((webhookId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body.getBytes()));
  }

  private Mac mac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
    }
  }
}
