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

  /** The content field the rendered chat part {@code whatsapp_template} arrives in. */
  static final String TEMPLATE = "whatsapp_template";

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
    this.webhooks = config.appSecret() == null ? null : new WhatsAppWebhooks(config.appSecret(),
      config.verifyToken(), Clock.systemUTC());
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
   * The Cloud API's template message for one message, from the content's {@code whatsapp_template} (the
   * template's chat part, rendered): {@code {"messaging_product":"whatsapp","recipient_type":"individual",
   * "to":…,"type":"template","template":{"name":…,"language":{"code":…},"components":[…]}}}. Fails, naming
   * the field, when the address is missing or the template is not one the Cloud API takes. Without a
   * language the message's locale is used, written as WhatsApp names languages ({@code tr-TR} becomes
   * {@code tr_TR}).
   */
  static JsonObject body(OutboundMessage message) {
    if (message.address() == null || message.address().isBlank()) {
      throw new IllegalArgumentException("message has no WhatsApp number to send to");
    }
    JsonObject content = message.content() == null ? new JsonObject() : message.content();
    if (!(content.getValue(TEMPLATE) instanceof JsonObject given)) {
      throw new IllegalArgumentException("content has no '" + TEMPLATE + "': WhatsApp takes only template messages"
        + " from a business outside the customer's 24-hour service window, so the template's chat part needs a "
        + TEMPLATE);
    }
    String name = string(given, "name");
    if (name == null) {
      throw new IllegalArgumentException(TEMPLATE + " needs the approved template's name");
    }
    Object language = given.getValue("language");
    String code = language instanceof JsonObject object ? string(object, "code")
      : language instanceof String text && !text.isBlank() ? text : null;
    if (code == null && message.locale() != null && !message.locale().isBlank()) {
      code = message.locale().trim().replace('-', '_');
    }
    if (code == null) {
      throw new IllegalArgumentException(TEMPLATE + " needs a language (or the message a locale)");
    }
    JsonObject template = new JsonObject().put("name", name)
      .put("language", language instanceof JsonObject object ? object.copy().put("code", code)
        : new JsonObject().put("code", code));
    Object components = given.getValue("components");
    if (components != null) {
      if (!(components instanceof JsonArray list)) {
        throw new IllegalArgumentException(TEMPLATE + " components must be an array");
      }
      for (Object component : list) {
        if (!(component instanceof JsonObject object) || string(object, "type") == null) {
          throw new IllegalArgumentException(TEMPLATE + " components must be objects with a type");
        }
      }
      if (!list.isEmpty()) {
        template.put("components", list.copy());
      }
    }
    return new JsonObject()
      .put("messaging_product", "whatsapp")
      .put("recipient_type", "individual")
      .put("to", message.address().trim())
      .put("type", "template")
      .put("template", template);
  }

  private static String string(JsonObject content, String key) {
    Object value = content.getValue(key);
    return value instanceof String text && !text.isBlank() ? text : null;
  }
}
