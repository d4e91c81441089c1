package dev.relay.adapters.testkit.apns;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Objects;

/**
 * An APNs token-signing key made up for tests, as Apple's developer portal issues one: an EC P-256 key
 * pair whose private half is a PKCS#8 PEM (the {@code .p8} file), a 10-character key id, and the team id it
 * belongs to. {@link ApnsFake} verifies provider tokens with the public half. {@link #toString()} shows no
 * key.
 */
public final class TestSigningKey {

  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  private final String teamId;
  private final String keyId;
  private final String privateKeyPem;
  private final String publicKeyPem;

  private TestSigningKey(String teamId, String keyId, String privateKeyPem, String publicKeyPem) {
    this.teamId = teamId;
    this.keyId = keyId;
    this.privateKeyPem = privateKeyPem;
    this.publicKeyPem = publicKeyPem;
  }

  /** A new key of the team {@code teamId}, with a random key id. */
  public static TestSigningKey generate(String teamId) {
    Objects.requireNonNull(teamId, "teamId");
    KeyPair pair;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      pair = generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 key generation is not available in this JVM", e);
    }
    SecureRandom random = new SecureRandom();
    StringBuilder keyId = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      keyId.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return new TestSigningKey(teamId, keyId.toString(), pem("PRIVATE KEY", pair.getPrivate().getEncoded()),
      pem("PUBLIC KEY", pair.getPublic().getEncoded()));
  }

  /** The team the key belongs to: the {@code iss} of provider tokens. */
  public String teamId() {
    return teamId;
  }

  /** The key's id: the {@code kid} of provider tokens. */
  public String keyId() {
    return keyId;
  }

  /** The private key as a PKCS#8 PEM, the contents of the {@code .p8} file: the adapter's {@code private-key}. */
  public String privateKeyPem() {
    return privateKeyPem;
  }

  /** The public key as an X.509 {@code SubjectPublicKeyInfo} PEM. */
  public String publicKeyPem() {
    return publicKeyPem;
  }

  @Override
  public String toString() {
    return "test APNs signing key " + keyId + " of team " + teamId;
  }

  private static String pem(String type, byte[] der) {
    String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
  }
}
