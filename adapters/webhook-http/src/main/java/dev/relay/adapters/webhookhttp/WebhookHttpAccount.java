package dev.relay.adapters.webhookhttp;

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
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;

/**
 * One {@code webhook-http} account: a pooled HTTP client that posts each message to the account's URL as
 * its own signed request.
 */
final class WebhookHttpAccount implements ProviderAccount {

  /** The event type of every call. */
  static final String EVENT_TYPE = "message.send";

  /** How much of an answer's body is read; the rest is drained unread. Enough for an {@code id}. */
  static final int MAX_ANSWER_BYTES = 64 * 1024;

  private final AccountSettings settings;
  private final WebhookHttpSettings config;
  private final HttpClientAgent client;

  private record Answer(int status, String retryAfter, Buffer body) {
  }

  WebhookHttpAccount(Vertx vertx, AccountSettings settings, WebhookHttpSettings config) {
    this.settings = settings;
    this.config = config;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(config.maxConnections()));
  }

  @Override
  public AccountSettings settings() {
    return settings;
  }

  /**
   * Posts every message at once, one request each, and answers when all have their result. A message
   * whose call fails (refused, reset, timed out) is retryable on its own; the returned future fails only
   * on a bug.
   */
  @Override
  public Future<List<SendResult>> send(List<OutboundMessage> messages) {
    return ProviderAccount.sendEach(messages, this::post);
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  @Override
  public String toString() {
    return settings.toString();
  }

  private Future<SendResult> post(OutboundMessage message) {
    String webhookId = message.idempotencyKey();
    String unusable = unusableId(webhookId);
    if (unusable != null) {
      return Future.succeededFuture(SendResult.permanent(unusable));
    }
    Instant now = Instant.now();
    Buffer body = body(message, now);
    long timestamp = now.getEpochSecond();
    RequestOptions options = new RequestOptions()
      .setMethod(HttpMethod.POST)
      .setAbsoluteURI(config.url())
      .setConnectTimeout(config.timeoutMs())
      .setIdleTimeout(config.timeoutMs())
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader("webhook-id", webhookId)
      .putHeader("webhook-timestamp", Long.toString(timestamp))
      .putHeader("webhook-signature", config.signer().sign(webhookId, timestamp, body));
    return client.request(options)
      .compose(request -> request.send(body).compose(WebhookHttpAccount::read))
      .transform(call -> Future.succeededFuture(call.succeeded()
        ? Outcomes.of(call.result().status(), call.result().retryAfter(), call.result().body(), webhookId, Instant.now())
        : Outcomes.unanswered(call.cause())));
  }

  /** The JSON body of one call: the Standard Webhooks envelope around the message. */
  static Buffer body(OutboundMessage message, Instant now) {
    return new JsonObject()
      .put("type", EVENT_TYPE)
      .put("timestamp", now.toString())
      .put("data", new JsonObject()
        .put("message_id", message.messageId())
        .put("idempotency_key", message.idempotencyKey())
        .put("attempt", message.attempt())
        .put("tenant", message.tenant())
        .put("campaign", message.campaign())
        .put("recipient_id", message.recipientId())
        .put("address", message.address())
        .put("locale", message.locale())
        .put("content", message.content()))
      .toBuffer();
  }

  /**
   * Why a key cannot be a {@code webhook-id}, or null when it can. The specification forbids {@code .}
   * (it separates the signed parts), and a header value must not carry spaces or control characters.
   */
  static String unusableId(String key) {
    if (key == null || key.isEmpty()) {
      return "message has no idempotency key to use as webhook-id";
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '.' || c <= ' ' || c >= 0x7f) {
        return "idempotency key cannot be a webhook-id: only printable ASCII without '.' or spaces is allowed";
      }
    }
    return null;
  }

  /** Reads the status, Retry-After and up to {@link #MAX_ANSWER_BYTES} of the body, draining the rest. */
  private static Future<Answer> read(HttpClientResponse response) {
    Buffer body = Buffer.buffer();
    response.handler(chunk -> {
      int room = MAX_ANSWER_BYTES - body.length();
      if (room > 0) {
        body.appendBuffer(chunk, 0, Math.min(room, chunk.length()));
      }
    });
    return response.end().map(done -> new Answer(response.statusCode(),
      response.getHeader(HttpHeaders.RETRY_AFTER), body));
  }
}
