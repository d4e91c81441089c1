package dev.relay.adapters.apns;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * One account's APNs provider token: an ES256 JWT ({@code alg} ES256, {@code kid} the key id; {@code iss} the
 * team id, {@code iat}) signed with the account's {@code .p8} key by vertx-auth-jwt, whose JWS signature is
 * the raw 64-byte R||S that Apple requires. APNs refuses a token older than an hour and answers
 * {@code TooManyProviderTokenUpdates} to a provider that replaces its token more than once in 20 minutes,
 * so the token is reused for {@value #REFRESH_AFTER_MINUTES} minutes and never replaced sooner than
 * {@value #MIN_AGE_MINUTES} minutes, not even after APNs called it expired. Thread-safe; signing takes
 * microseconds, so it happens inline.
 */
final class ProviderToken {

  static final int MIN_AGE_MINUTES = 20;
  static final int REFRESH_AFTER_MINUTES = 30;

  /** The youngest a token may be when it is replaced. */
  static final Duration MIN_AGE = Duration.ofMinutes(MIN_AGE_MINUTES);

  /** The age at which a token is replaced in the ordinary course. */
  static final Duration REFRESH_AFTER = Duration.ofMinutes(REFRESH_AFTER_MINUTES);

  private static final String ALGORITHM = "ES256";

  private final JWTAuth signer;
  private final JWTOptions options;
  private final String teamId;
  private final Clock clock;
  private String token;
  private Instant issuedAt;
  private boolean reportedExpired;

  private ProviderToken(JWTAuth signer, JWTOptions options, String teamId, Clock clock) {
    this.signer = signer;
    this.options = options;
    this.teamId = teamId;
    this.clock = clock;
  }

  /**
   * A provider token source for the key {@code privateKeyPem}; fails naming {@code setting}, never quoting
   * the key, when the key does not sign.
   */
  static ProviderToken create(Vertx vertx, String teamId, String keyId, String privateKeyPem, Clock clock,
                              String setting) {
    JWTOptions options = new JWTOptions().setAlgorithm(ALGORITHM).setNoTimestamp(true)
      .setHeader(new JsonObject().put("kid", keyId));
    ProviderToken token;
    try {
      JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm(ALGORITHM).setBuffer(privateKeyPem)));
      token = new ProviderToken(signer, options, teamId, clock);
      token.sign(clock.instant());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(setting + " is not an EC P-256 private key in PKCS#8 PEM form (a .p8 file) ("
        + e.getClass().getSimpleName() + ")");
    }
    return token;
  }

  /** The token to send now: the current one, or a new one when the current one is due for replacement. */
  synchronized String current() {
    Instant now = clock.instant();
    if (token == null) {
      mint(now);
    } else {
      Duration age = Duration.between(issuedAt, now);
      if (age.compareTo(REFRESH_AFTER) >= 0 || (reportedExpired && age.compareTo(MIN_AGE) >= 0)) {
        mint(now);
      }
    }
    return token;
  }

  /**
   * APNs answered {@code ExpiredProviderToken} to {@code rejected}: replace it at the next {@link #current()}
   * once it is {@value #MIN_AGE_MINUTES} minutes old (at once, if it is).
   */
  synchronized void expired(String rejected) {
    if (rejected.equals(token)) {
      reportedExpired = true;
    }
  }

  private void mint(Instant now) {
    token = sign(now);
    issuedAt = now;
    reportedExpired = false;
  }

  private String sign(Instant now) {
    return signer.generateToken(new JsonObject().put("iss", teamId).put("iat", now.getEpochSecond()), options);
  }

  @Override
  public String toString() {
    return "APNs provider token of team " + teamId;
  }
}
