package dev.relay.adapters.sms;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * One {@code sms-twilio} account: a pooled web client that creates one Twilio Message per message, and the
 * verifier of the account's callbacks.
 */
final class TwilioAccount implements ProviderAccount {

  private final AccountSettings settings;
  private final TwilioSettings config;
  private final WebClient client;
  private final TwilioWebhooks webhooks;

  TwilioAccount(Vertx vertx, AccountSettings settings, TwilioSettings config) {
    this.settings = settings;
    this.config = config;
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setKeepAlive(true)
        .setFollowRedirects(false)
        .setUserAgent("relay-adapter-sms-twilio")
        .setConnectTimeout(config.timeoutMs()),
      new PoolOptions().setHttp1MaxSize(config.maxConnections()));
    this.webhooks = new TwilioWebhooks(config.authToken(), Clock.systemUTC());
  }

  @Override
  public AccountSettings settings() {
    return settings;
  }

  /**
   * Posts every message at once, one request each, and answers when all have their result. A message
   * whose call fails (refused, reset, timed out) is retryable on its own.
   */
  @Override
  public Future<List<SendResult>> send(List<OutboundMessage> messages) {
    return ProviderAccount.sendEach(messages, this::post);
  }

  @Override
  public Optional<WebhookVerifier> webhooks() {
    return Optional.of(webhooks);
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
      return Future.succeededFuture(SendResult.permanent("message has no phone number to send to"));
    }
    Object text = message.content() == null ? null : message.content().getValue("text");
    if (!(text instanceof String) || ((String) text).isEmpty()) {
      return Future.succeededFuture(SendResult.permanent("content field 'text' is required for sms-twilio"));
    }
    return client.postAbs(config.messagesUrl())
      .basicAuthentication(config.accountSid(), config.authToken())
      .idleTimeout(config.timeoutMs())
      .putHeader(HttpHeaders.ACCEPT.toString(), "application/json")
      .sendForm(form(message.address(), (String) text), "UTF-8")
      .transform(call -> Future.succeededFuture(call.succeeded()
        ? withSegments(TwilioOutcomes.of(call.result().statusCode(), call.result().getHeader("Retry-After"),
          call.result().body()), (String) text)
        : TwilioOutcomes.unanswered(call.cause())));
  }

  /** Reports the encoding and the segments of an accepted message, as Twilio bills them. */
  private static SendResult withSegments(SendResult result, String text) {
    if (!result.isAccepted()) {
      return result;
    }
    SmsSegments.Count count = SmsSegments.count(text);
    return SendResult.accepted(result.providerMessageId(), new io.vertx.core.json.JsonObject()
      .put("encoding", count.encoding().name()).put("segments", count.segments()));
  }

  /** The form of one Create Message call. */
  MultiMap form(String to, String text) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap();
    form.add("To", to);
    if (config.messagingServiceSid() != null) {
      form.add("MessagingServiceSid", config.messagingServiceSid());
    }
    if (config.from() != null) {
      form.add("From", config.from());
    }
    form.add("Body", text);
    if (config.statusCallbackUrl() != null) {
      form.add("StatusCallback", config.statusCallbackUrl());
    }
    return form;
  }
}
