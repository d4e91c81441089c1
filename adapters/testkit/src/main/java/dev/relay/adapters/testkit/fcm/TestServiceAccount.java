package dev.relay.adapters.testkit.fcm;

import io.vertx.core.json.JsonObject;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Objects;
import java.util.UUID;

/**
 * A Google service account made up for tests: a fresh RSA key pair and the JSON key file that Google
 * would hand out for it ({@code type}, {@code project_id}, {@code private_key_id}, {@code private_key} as a
 * PKCS#8 PEM, {@code client_email}, {@code token_uri}, ...). {@link FcmFake} verifies the adapter's JWTs
 * with its public key. {@link #toString()} shows no key.
 */
public final class TestServiceAccount {

  private final String projectId;
  private final String clientEmail;
  private final String privateKeyId;
  private final String privateKeyPem;
  private final String publicKeyPem;

  private TestServiceAccount(String projectId, String clientEmail, String privateKeyId, String privateKeyPem,
                             String publicKeyPem) {
    this.projectId = projectId;
    this.clientEmail = clientEmail;
    this.privateKeyId = privateKeyId;
    this.privateKeyPem = privateKeyPem;
    this.publicKeyPem = publicKeyPem;
  }

  /**
   * A new account of the Firebase project {@code projectId}, with a new 2048-bit RSA key (which takes a
   * moment: make one per test class).
   */
  public static TestServiceAccount generate(String projectId) {
    Objects.requireNonNull(projectId, "projectId");
    KeyPair pair;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      pair = generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA key generation is not available in this JVM", e);
    }
    return new TestServiceAccount(projectId, "relay-sender@" + projectId + ".iam.gserviceaccount.com",
      UUID.randomUUID().toString().replace("-", ""),
      pem("PRIVATE KEY", pair.getPrivate().getEncoded()), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
  }

  /** The Firebase project the account belongs to. */
  public String projectId() {
    return projectId;
  }

  /** The account's e-mail address, the {@code iss} of its JWTs. */
  public String clientEmail() {
    return clientEmail;
  }

  /** The id of its key, the {@code kid} of its JWTs. */
  public String privateKeyId() {
    return privateKeyId;
  }

  /** Its public key as an X.509 {@code SubjectPublicKeyInfo} PEM. */
  public String publicKeyPem() {
    return publicKeyPem;
  }

  /** The JSON key file, as text, whose {@code token_uri} is {@code tokenUri}: the adapter's {@code service-account}. */
  public String json(String tokenUri) {
    return new JsonObject()
      .put("type", "service_account")
      .put("project_id", projectId)
      .put("private_key_id", privateKeyId)
      .put("private_key", privateKeyPem)
      .put("client_email", clientEmail)
      .put("client_id", "1000000000000000000000")
      .put("auth_uri", "https://accounts.google.com/o/oauth2/auth")
      .put("token_uri", Objects.requireNonNull(tokenUri, "tokenUri"))
      .put("universe_domain", "googleapis.com")
      .encodePrettily();
  }

  @Override
  public String toString() {
    return "test service account " + clientEmail;
  }

  private static String pem(String type, byte[] der) {
    String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
  }
}
