package dev.relay.adapters.apns;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemTrustOptions;

import java.util.List;

/**
 * One {@code push-apns} account: an HTTP/2 client over TLS, negotiated with ALPN through netty-tcnative's
 * OpenSSL, that sends each message as its own stream, under the account's provider token.
 */
final class ApnsAccount implements ProviderAccount {

  /** How much of an answer's body is read; APNs' error bodies are tiny. */
  static final int MAX_ANSWER_BYTES = 8 * 1024;

  private record Answer(int status, String apnsId, Buffer body) {
  }

  private final AccountSettings settings;
  private final ApnsSettings config;
  private final ProviderToken providerToken;
  private final HttpClientAgent client;

  ApnsAccount(Vertx vertx, AccountSettings settings, ApnsSettings config, ProviderToken providerToken) {
    this.settings = settings;
    this.config = config;
    this.providerToken = providerToken;
    this.client = vertx.createHttpClient(clientOptions(config),
      new PoolOptions().setHttp2MaxSize(config.maxConnections()));
  }

  /**
   * The client's options: HTTP/2 only, over TLS with ALPN, through OpenSSL; trusting {@code ca-cert} instead
   * of the JVM's trust store when it is set.
   */
  static HttpClientOptions clientOptions(ApnsSettings config) {
    HttpClientOptions options = new HttpClientOptions()
      .setProtocolVersion(HttpVersion.HTTP_2)
      .setSsl(true)
      .setUseAlpn(true)
      .setAlpnVersions(List.of(HttpVersion.HTTP_2))
      .setSslEngineOptions(new OpenSSLEngineOptions())
      .setConnectTimeout(config.timeoutMs())
      .setKeepAlive(true);
    if (config.caCert() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(config.caCert())));
    }
    return options;
  }

  @Override
  public AccountSettings settings() {
    return settings;
  }

  /**
   * Sends every message at once, each its own HTTP/2 stream, and answers when all have their result. A
   * message whose call fails (refused, reset, TLS, timed out) is retryable on its own; the returned future
   * fails only on a bug.
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
    ApnsPush push;
    try {
      push = ApnsPush.of(message);
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(SendResult.permanent(e.getMessage()));
    }
    String token = providerToken.current();
    RequestOptions options = new RequestOptions()
      .setMethod(HttpMethod.POST)
      .setAbsoluteURI(config.baseUrl() + "/3/device/" + push.deviceToken())
      .setConnectTimeout(config.timeoutMs())
      .setIdleTimeout(config.timeoutMs())
      .putHeader(HttpHeaders.AUTHORIZATION, "bearer " + token)
      .putHeader("apns-topic", config.topic())
      .putHeader("apns-push-type", push.pushType())
      .putHeader("apns-id", push.apnsId())
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    if (push.collapseId() != null) {
      options.putHeader("apns-collapse-id", push.collapseId());
    }
    if (push.priority() != null) {
      options.putHeader("apns-priority", push.priority());
    }
    if (push.expiration() != null) {
      options.putHeader("apns-expiration", push.expiration());
    }
    return client.request(options)
      .compose(request -> request.send(push.payload()).compose(ApnsAccount::read))
      .transform(call -> {
        if (call.failed()) {
          return Future.succeededFuture(ApnsOutcomes.unanswered(call.cause()));
        }
        Answer answer = call.result();
        if (ApnsOutcomes.providerTokenExpired(answer.status(), answer.body())) {
          providerToken.expired(token);
        }
        return Future.succeededFuture(ApnsOutcomes.of(answer.status(), answer.apnsId(), push.apnsId(), answer.body()));
      });
  }

  private static Future<Answer> read(HttpClientResponse response) {
    Buffer body = Buffer.buffer();
    response.handler(chunk -> {
      int room = MAX_ANSWER_BYTES - body.length();
      if (room > 0) {
        body.appendBuffer(chunk, 0, Math.min(room, chunk.length()));
      }
    });
    return response.end().map(done -> new Answer(response.statusCode(), response.getHeader("apns-id"), body));
  }
}
