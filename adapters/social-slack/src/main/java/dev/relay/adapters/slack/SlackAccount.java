package dev.relay.adapters.slack;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * One {@code social-slack} account: a pooled web client that calls {@code chat.postMessage} once per
 * message, and, when a signing secret is set, the verifier of the app's Events API calls.
 */
final class SlackAccount implements ProviderAccount {

  private final AccountSettings settings;
  private final SlackSettings config;
  private final WebClient client;
  private final SlackWebhooks webhooks;

  SlackAccount(Vertx vertx, AccountSettings settings, SlackSettings config) {
    this.settings = settings;
    this.config = config;
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setKeepAlive(true)
        .setFollowRedirects(false)
        .setUserAgent("relay-adapter-social-slack")
        .setConnectTimeout(config.timeoutMs()),
      new PoolOptions().setHttp1MaxSize(config.maxConnections()));
    this.webhooks = config.signingSecret() == null ? null : new SlackWebhooks(config.signingSecret(),
      Clock.systemUTC());
  }

  @Override
  public AccountSettings settings() {
    return settings;
  }

  /**
   * Posts every message at once, one call each, and answers when all have their result. A message whose
   * call fails (refused, reset, timed out) is retryable on its own.
   */
  @Override
  public Future<List<SendResult>> send(List<OutboundMessage> messages) {
    return ProviderAccount.sendEach(messages, this::post);
  }

  @Override
  public Optional<WebhookVerifier> webhooks() {
    return Optional.ofNullable(webhooks);
  }

  @Override
  public Future<Void> close() {
    client.close();
    return Future.succeededFuture();
  }

  @Override
  public String toString() {
    return settings.toString();
  }

  private Future<SendResult> post(OutboundMessage message) {
    if (message.address() == null || message.address().isBlank()) {
      return Future.succeededFuture(SendResult.permanent("message has no Slack channel or user id to send to"));
    }
    Object text = message.content() == null ? null : message.content().getValue("text");
    if (!(text instanceof String) || ((String) text).isBlank()) {
      return Future.succeededFuture(SendResult.permanent("content field 'text' is required for social-slack"));
    }
    return client.postAbs(config.postMessageUrl())
      .bearerTokenAuthentication(config.botToken())
      .idleTimeout(config.timeoutMs())
      .putHeader(HttpHeaders.CONTENT_TYPE.toString(), "application/json; charset=utf-8")
      .sendBuffer(body(message.address(), (String) text).toBuffer())
      .transform(call -> Future.succeededFuture(call.succeeded()
        ? SlackOutcomes.of(call.result().statusCode(), call.result().getHeader("Retry-After"), call.result().body())
        : SlackOutcomes.unanswered(call.cause())));
  }

  /** The JSON body of one {@code chat.postMessage} call. */
  static JsonObject body(String channel, String text) {
    return new JsonObject().put("channel", channel).put("text", text);
  }
}
