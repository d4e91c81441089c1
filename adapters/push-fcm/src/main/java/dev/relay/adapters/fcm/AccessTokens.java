package dev.relay.adapters.fcm;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * One account's OAuth 2.0 access token: exchanged for a signed JWT at the service account's token
 * endpoint, reused until shortly before it expires, and refreshed by one exchange at a time (callers that
 * ask meanwhile share its future). When a refresh fails while the old token is still valid, the old one
 * is used.
 */
final class AccessTokens {

  /** How long before its expiry a token is replaced. */
  static final Duration REFRESH_EARLY = Duration.ofMinutes(5);

  static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";

  /** A token endpoint's refusal or failure, already mapped to what it means for the messages waiting on it. */
  static final class TokenFailure extends RuntimeException {
    private final SendResult result;

    TokenFailure(SendResult result) {
      super(result.reason(), null, false, false);
      this.result = result;
    }

    SendResult result() {
      return result;
    }
  }

  private record Token(String value, Instant refreshAt, Instant expiresAt) {
  }

  private final HttpClientAgent client;
  private final ServiceAccount account;
  private final Clock clock;
  private final int timeoutMs;
  private Token current;
  private Future<String> pending;

  AccessTokens(HttpClientAgent client, ServiceAccount account, Clock clock, int timeoutMs) {
    this.client = client;
    this.account = account;
    this.clock = clock;
    this.timeoutMs = timeoutMs;
  }

  /**
   * A valid access token: the cached one, or the result of the exchange under way, or of a new one. Fails
   * with a {@link TokenFailure}.
   */
  Future<String> get() {
    Promise<String> promise;
    synchronized (this) {
      if (current != null && clock.instant().isBefore(current.refreshAt())) {
        return Future.succeededFuture(current.value());
      }
      if (pending != null) {
        return pending;
      }
      promise = Promise.promise();
      pending = promise.future();
    }
    exchange().onComplete(exchanged -> {
      String fallback = null;
      synchronized (this) {
        pending = null;
        if (exchanged.succeeded()) {
          current = exchanged.result();
        } else if (current != null && clock.instant().isBefore(current.expiresAt())) {
          fallback = current.value();
        }
      }
      if (exchanged.succeeded()) {
        promise.complete(exchanged.result().value());
      } else if (fallback != null) {
        promise.complete(fallback);
      } else {
        promise.fail(exchanged.cause());
      }
    });
    return promise.future();
  }

  /** FCM refused {@code token}: forget it, unless it was replaced already, so that the next {@link #get()} refreshes. */
  synchronized void rejected(String token) {
    if (current != null && current.value().equals(token)) {
      current = null;
    }
  }

  private Future<Token> exchange() {
    Instant now = clock.instant();
    String assertion;
    try {
      assertion = account.assertion(now);
    } catch (RuntimeException e) {
      return Future.failedFuture(new TokenFailure(SendResult.permanent("credentials unusable: cannot sign with "
        + account + " (" + e.getClass().getSimpleName() + ")")));
    }
    Buffer form = Buffer.buffer("grant_type=" + URLEncoder.encode(GRANT_TYPE, StandardCharsets.UTF_8)
      + "&assertion=" + URLEncoder.encode(assertion, StandardCharsets.UTF_8));
    RequestOptions options = new RequestOptions()
      .setMethod(HttpMethod.POST)
      .setAbsoluteURI(account.tokenUri())
      .setConnectTimeout(timeoutMs)
      .setIdleTimeout(timeoutMs)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/x-www-form-urlencoded")
      .putHeader(HttpHeaders.ACCEPT, "application/json");
    return client.request(options)
      .compose(request -> request.send(form).compose(Answer::read))
      .transform(call -> {
        if (call.failed()) {
          return Future.failedFuture(new TokenFailure(SendResult.retryable("no answer from the token endpoint: "
            + FcmOutcomes.describe(call.cause()), null)));
        }
        return token(call.result(), now);
      });
  }

  private Future<Token> token(Answer answer, Instant requestedAt) {
    JsonObject json = answer.json();
    if (answer.status() != 200) {
      String reason = "token endpoint answered " + answer.status()
        + (json.getValue("error") instanceof String error ? " " + error : "")
        + (json.getValue("error_description") instanceof String description ? " (" + description + ")" : "");
      SendResult result;
      if (answer.status() == 429) {
        result = SendResult.throttled(reason, FcmOutcomes.retryAfter(answer.retryAfter(), clock.instant()));
      } else if (answer.status() >= 500 || answer.status() == 408) {
        result = SendResult.retryable(reason, FcmOutcomes.retryAfter(answer.retryAfter(), clock.instant()));
      } else {
        result = SendResult.permanent("credentials rejected: " + reason);
      }
      return Future.failedFuture(new TokenFailure(result));
    }
    if (!(json.getValue("access_token") instanceof String value) || value.isBlank()
      || !(json.getValue("expires_in") instanceof Number expiresIn) || expiresIn.longValue() <= 0) {
      return Future.failedFuture(new TokenFailure(SendResult.retryable(
        "token endpoint answered 200 without access_token and expires_in", null)));
    }
    Duration lifetime = Duration.ofSeconds(expiresIn.longValue());
    // A token shorter-lived than twice the margin is replaced at half its life instead.
    Duration early = lifetime.compareTo(REFRESH_EARLY.multipliedBy(2)) < 0 ? lifetime.dividedBy(2) : REFRESH_EARLY;
    return Future.succeededFuture(new Token(value, requestedAt.plus(lifetime).minus(early),
      requestedAt.plus(lifetime)));
  }

  @Override
  public String toString() {
    return "access tokens of " + account;
  }
}
