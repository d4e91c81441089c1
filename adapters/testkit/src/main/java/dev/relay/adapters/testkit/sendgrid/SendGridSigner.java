package dev.relay.adapters.testkit.sendgrid;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/**
 * Signs Event Webhook calls as SendGrid's Signed Event Webhook does, for webhook tests: an ECDSA P-256 key
 * pair (SendGrid keeps the private key and shows the public one as the verification key), and the
 * {@code X-Twilio-Email-Event-Webhook-Signature}: base64 of the DER signature, over SHA-256, of the
 * {@code X-Twilio-Email-Event-Webhook-Timestamp} followed by the raw body.
 */
public final class SendGridSigner {

  private final KeyPair keys;

  private SendGridSigner(KeyPair keys) {
    this.keys = keys;
  }

  /** A signer with a new P-256 key pair. */
  public static SendGridSigner generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return new SendGridSigner(generator.generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available in this JVM", e);
    }
  }

  /** The key pair. */
  public KeyPair keys() {
    return keys;
  }

  /** The verification key as SendGrid shows it: base64 of the SubjectPublicKeyInfo DER. */
  public String publicKeyBase64() {
    return Base64.getEncoder().encodeToString(keys.getPublic().getEncoded());
  }

  /** The signature header's value for a call with this timestamp and body. */
  public String sign(String timestamp, String body) {
    try {
      Signature ecdsa = Signature.getInstance("SHA256withECDSA");
      ecdsa.initSign(keys.getPrivate());
      ecdsa.update((timestamp + body).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(ecdsa.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA256withECDSA is not available in this JVM", e);
    }
  }
}
