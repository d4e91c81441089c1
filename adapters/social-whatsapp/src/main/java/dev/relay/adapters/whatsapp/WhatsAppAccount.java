package dev.relay.adapters.whatsapp;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * One {@code social-whatsapp} account: a pooled web client that sends one template message per message,
 * and, when an app secret is set, the verifier of the account's webhooks.
 */
final class WhatsAppAccount implements ProviderAccount {

  private final AccountSettings settings;
  private final WhatsAppSettings config;
  private final WebClient client;
  private final WhatsAppWebhooks webhooks;

  WhatsAppAccount(Vertx vertx, AccountSettings settings, WhatsAppSettings config) {
    this.settings = settings;
    this.config = config;
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setKeepAlive(true)
        .setFollowRedirects(false)
        .setUserAgent("relay-adapter-social-whatsapp")
        .setConnectTimeout(config.timeoutMs()),
      new PoolOptions().setHttp1MaxSize(config.maxConnections()));
    this.webhooks = config.appSecret() == null ? null : new WhatsAppWebhooks(config.appSecret(), Clock.systemUTC());
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
    JsonObject body;
    try {
      body = body(message);
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(SendResult.permanent(e.getMessage()));
    }
    return client.postAbs(config.messagesUrl())
      .bearerTokenAuthentication(config.accessToken())
      .idleTimeout(config.timeoutMs())
      .putHeader(HttpHeaders.CONTENT_TYPE.toString(), "application/json")
      .sendBuffer(body.toBuffer())
      .transform(call -> Future.succeededFuture(call.succeeded()
        ? WhatsAppOutcomes.of(call.result().statusCode(), call.result().getHeader("Retry-After"),
        call.result().body())
        : WhatsAppOutcomes.unanswered(call.cause())));
  }

  /**
   * The template message for one message; fails, naming the field, when the address or a content field is
   * missing or of the wrong type. The language is the content's {@code language}, or else the message's
   * locale written as WhatsApp names languages ({@code tr-TR} becomes {@code tr_TR}).
   */
  static JsonObject body(OutboundMessage message) {
    if (message.address() == null || message.address().isBlank()) {
      throw new IllegalArgumentException("message has no WhatsApp number to send to");
    }
    JsonObject content = message.content() == null ? new JsonObject() : message.content();
    String template = string(content, "template");
    if (template == null) {
      throw new IllegalArgumentException("content field 'template' is required for social-whatsapp");
    }
    String language = string(content, "language");
    if (language == null && message.locale() != null && !message.locale().isBlank()) {
      language = message.locale().trim().replace('-', '_');
    }
    if (language == null) {
      throw new IllegalArgumentException("content field 'language' is required for social-whatsapp (or a locale)");
    }
    JsonObject templateJson = new JsonObject().put("name", template)
      .put("language", new JsonObject().put("code", language));
    Object parameters = content.getValue("parameters");
    if (parameters != null) {
      if (!(parameters instanceof JsonArray list)) {
        throw new IllegalArgumentException("content field 'parameters' must be an array of strings");
      }
      JsonArray values = new JsonArray();
      for (Object parameter : list) {
        if (!(parameter instanceof String text)) {
          throw new IllegalArgumentException("content field 'parameters' must be an array of strings");
        }
        values.add(new JsonObject().put("type", "text").put("text", text));
      }
      if (!values.isEmpty()) {
        templateJson.put("components", new JsonArray().add(new JsonObject().put("type", "body")
          .put("parameters", values)));
      }
    }
    return new JsonObject()
      .put("messaging_product", "whatsapp")
      .put("to", message.address().trim())
      .put("type", "template")
      .put("template", templateJson);
  }

  private static String string(JsonObject content, String key) {
    Object value = content.getValue(key);
    return value instanceof String text && !text.isBlank() ? text : null;
  }
}
