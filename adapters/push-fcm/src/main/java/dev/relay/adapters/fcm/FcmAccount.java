package dev.relay.adapters.fcm;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.time.Clock;
import java.util.List;

/**
 * One {@code push-fcm} account: a pooled HTTP client that sends each message with its own request to FCM's
 * {@code messages:send}, under an access token that {@link AccessTokens} keeps fresh, and that remembers the
 * device tokens FCM called invalid.
 */
final class FcmAccount implements ProviderAccount {

  private final AccountSettings settings;
  private final FcmSettings config;
  private final Clock clock;
  private final HttpClientAgent client;
  private final AccessTokens tokens;
  private final InvalidTokens invalidTokens = new InvalidTokens();
  private final String sendUrl;

  FcmAccount(Vertx vertx, AccountSettings settings, FcmSettings config, Clock clock) {
    this.settings = settings;
    this.config = config;
    this.clock = clock;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(config.maxConnections()));
    this.tokens = new AccessTokens(client, config.serviceAccount(), clock, config.timeoutMs());
    this.sendUrl = config.baseUrl() + "/v1/projects/" + config.projectId() + "/messages:send";
  }

  @Override
  public AccountSettings settings() {
    return settings;
  }

  /**
   * Sends every message at once, one request each (FCM's HTTP v1 API has no batch call), and answers when
   * all have their result. A message whose call fails is retryable on its own; the returned future fails
   * only on a bug.
   */
  @Override
  public Future<List<SendResult>> send(List<OutboundMessage> messages) {
    return ProviderAccount.sendEach(messages, this::send);
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  @Override
  public String toString() {
    return settings.toString();
  }

  private Future<SendResult> send(OutboundMessage message) {
    String deviceToken = message.address();
    if (deviceToken == null || deviceToken.isBlank()) {
      return Future.succeededFuture(SendResult.permanent("message has no address (device token)"));
    }
    String known = invalidTokens.reason(deviceToken);
    if (known != null) {
      return Future.succeededFuture(SendResult.permanent(known + " (known invalid; not sent again)"));
    }
    Buffer body;
    try {
      body = FcmMessages.body(message).toBuffer();
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(SendResult.permanent(e.getMessage()));
    }
    return post(body, message.idempotencyKey(), true).map(result -> {
      if (result.isPermanent() && result.reason().startsWith(FcmAdapter.INVALID_TOKEN_PREFIX)) {
        invalidTokens.add(deviceToken, result.reason());
      }
      return result;
    });
  }

  /** Posts under the current access token; when FCM refuses the token, refreshes it and posts once more. */
  private Future<SendResult> post(Buffer body, String fallbackId, boolean mayRefresh) {
    return tokens.get().transform(token -> {
      if (token.failed()) {
        return Future.succeededFuture(token.cause() instanceof AccessTokens.TokenFailure failure
          ? failure.result() : SendResult.retryable("no access token: " + FcmOutcomes.describe(token.cause()), null));
      }
      String accessToken = token.result();
      return call(accessToken, body).transform(call -> {
        if (call.failed()) {
          return Future.succeededFuture(FcmOutcomes.unanswered(call.cause()));
        }
        Answer answer = call.result();
        if (FcmOutcomes.accessTokenRefused(answer)) {
          tokens.rejected(accessToken);
          return mayRefresh ? post(body, fallbackId, false) : Future.succeededFuture(SendResult.retryable(
            "FCM refused a freshly issued access token (" + answer.status() + ")", null));
        }
        return Future.succeededFuture(FcmOutcomes.of(answer, fallbackId, clock.instant()));
      });
    });
  }

  private Future<Answer> call(String accessToken, Buffer body) {
    RequestOptions options = new RequestOptions()
      .setMethod(HttpMethod.POST)
      .setAbsoluteURI(sendUrl)
      .setConnectTimeout(config.timeoutMs())
      .setIdleTimeout(config.timeoutMs())
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=UTF-8")
      .putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + accessToken);
    return client.request(options)
      .compose(request -> request.send(body).compose(Answer::read));
  }
}
