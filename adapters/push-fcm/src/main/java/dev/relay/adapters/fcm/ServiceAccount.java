package dev.relay.adapters.fcm;

import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.time.Duration;
import java.time.Instant;

/**
 * A Google service account read from its JSON key file, able to sign the RS256 JWT that Google's token
 * endpoint exchanges for an access token (the OAuth 2.0 JWT bearer grant, RFC 7523, as Google's
 * "Using OAuth 2.0 for Server to Server Applications" describes it). {@link #toString()} shows only the
 * account's e-mail.
 */
final class ServiceAccount {

  /** The scope FCM's HTTP v1 API needs. */
  static final String SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

  /** Google's token endpoint, for key files that do not name one. */
  static final String DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token";

  /** How long an assertion is valid; Google accepts at most an hour. */
  static final Duration ASSERTION_LIFETIME = Duration.ofHours(1);

  private static final String ALGORITHM = "RS256";

  private final String clientEmail;
  private final String tokenUri;
  private final String projectId;
  private final JWTAuth signer;
  private final JWTOptions options;

  private ServiceAccount(String clientEmail, String tokenUri, String projectId, JWTAuth signer, JWTOptions options) {
    this.clientEmail = clientEmail;
    this.tokenUri = tokenUri;
    this.projectId = projectId;
    this.signer = signer;
    this.options = options;
  }

  /**
   * Reads a key file's text and checks that its key signs. Errors name {@code setting} and the field, never
   * a value, and carry no cause, since parsers quote what they could not read.
   *
   * @param setting how to name the setting in errors, such as {@code "account x: setting 'service-account'"}
   */
  static ServiceAccount parse(Vertx vertx, String json, String setting) {
    JsonObject file;
    try {
      file = new JsonObject(json);
    } catch (DecodeException e) {
      throw new IllegalArgumentException(setting + " is not a JSON object (a service account key file)");
    }
    String clientEmail = field(file, "client_email", setting);
    String privateKey = field(file, "private_key", setting);
    String tokenUri = file.getValue("token_uri") instanceof String uri && !uri.isBlank() ? uri : DEFAULT_TOKEN_URI;
    String projectId = file.getValue("project_id") instanceof String id && !id.isBlank() ? id : null;
    JWTOptions options = new JWTOptions().setAlgorithm(ALGORITHM).setNoTimestamp(true);
    if (file.getValue("private_key_id") instanceof String keyId && !keyId.isBlank()) {
      options.setHeader(new JsonObject().put("kid", keyId));
    }
    ServiceAccount account;
    try {
      JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm(ALGORITHM).setBuffer(privateKey)));
      account = new ServiceAccount(clientEmail, tokenUri, projectId, signer, options);
      account.assertion(Instant.now());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(setting + ": field 'private_key' is not an RSA private key in PKCS#8 PEM form ("
        + e.getClass().getSimpleName() + ")");
    }
    return account;
  }

  private static String field(JsonObject file, String name, String setting) {
    if (file.getValue(name) instanceof String value && !value.isBlank()) {
      return value;
    }
    throw new IllegalArgumentException(setting + " has no field '" + name + "'");
  }

  /** The JWT to exchange at {@link #tokenUri()}, issued at {@code now} and valid for an hour. */
  String assertion(Instant now) {
    long iat = now.getEpochSecond();
    return signer.generateToken(new JsonObject()
      .put("iss", clientEmail)
      .put("scope", SCOPE)
      .put("aud", tokenUri)
      .put("iat", iat)
      .put("exp", iat + ASSERTION_LIFETIME.toSeconds()), options);
  }

  /** The account's e-mail address. */
  String clientEmail() {
    return clientEmail;
  }

  /** Where to exchange assertions for access tokens. */
  String tokenUri() {
    return tokenUri;
  }

  /** The project the key file names, or null. */
  String projectId() {
    return projectId;
  }

  @Override
  public String toString() {
    return "service account " + clientEmail;
  }
}
