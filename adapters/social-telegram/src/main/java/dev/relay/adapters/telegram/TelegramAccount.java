package dev.relay.adapters.telegram;

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
 * One {@code social-telegram} account: a pooled web client that calls {@code sendMessage} once per message,
 * and, when a webhook secret is set, the verifier of the bot's updates.
 */
final class TelegramAccount implements ProviderAccount {

  private final AccountSettings settings;
  private final TelegramSettings config;
  private final WebClient client;
  private final TelegramWebhooks webhooks;

  TelegramAccount(Vertx vertx, AccountSettings settings, TelegramSettings config) {
    this.settings = settings;
    this.config = config;
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setKeepAlive(true)
        .setFollowRedirects(false)
        .setUserAgent("relay-adapter-social-telegram")
        .setConnectTimeout(config.timeoutMs()),
      new PoolOptions().setHttp1MaxSize(config.maxConnections()));
    this.webhooks = config.webhookSecret() == null ? null : new TelegramWebhooks(config.webhookSecret(),
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
    String chatId = message.address();
    if (chatId == null || chatId.isBlank()) {
      return Future.succeededFuture(SendResult.permanent("message has no Telegram chat id to send to"));
    }
    Object text = message.content() == null ? null : message.content().getValue("text");
    if (!(text instanceof String) || ((String) text).isBlank()) {
      return Future.succeededFuture(SendResult.permanent("content field 'text' is required for social-telegram"));
    }
    return client.postAbs(config.sendMessageUrl())
      .idleTimeout(config.timeoutMs())
      .putHeader(HttpHeaders.CONTENT_TYPE.toString(), "application/json")
      .sendBuffer(body(chatId.trim(), (String) text).toBuffer())
      .transform(call -> Future.succeededFuture(call.succeeded()
        ? TelegramOutcomes.of(call.result().statusCode(), call.result().body(), chatId.trim())
        : TelegramOutcomes.unanswered(call.cause(), config.botToken())));
  }

  /** The JSON body of one {@code sendMessage} call. */
  static JsonObject body(String chatId, String text) {
    return new JsonObject().put("chat_id", chatId).put("text", text);
  }
}
