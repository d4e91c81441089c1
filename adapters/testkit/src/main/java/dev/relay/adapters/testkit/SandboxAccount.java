package dev.relay.adapters.testkit;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Channel;
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
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** One account of a {@link SandboxAdapter}: a pooled HTTP client that posts batches to a sandbox. */
final class SandboxAccount implements ProviderAccount {

  static final int DEFAULT_TIMEOUT_MS = 10_000;
  static final int DEFAULT_MAX_CONNECTIONS = 16;

  private final AccountSettings settings;
  private final Channel channel;
  private final HttpClientAgent client;
  private final String endpoint;
  private final int timeoutMs;

  private SandboxAccount(AccountSettings settings, Channel channel, HttpClientAgent client, String endpoint,
                         int timeoutMs) {
    this.settings = settings;
    this.channel = channel;
    this.client = client;
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
  }

  static SandboxAccount open(Vertx vertx, AccountSettings settings, Channel channel) {
    String endpoint = endpoint(settings);
    int timeoutMs = settings.positiveInt("timeout-ms", DEFAULT_TIMEOUT_MS);
    int maxConnections = settings.positiveInt("max-connections", DEFAULT_MAX_CONNECTIONS);
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(maxConnections));
    return new SandboxAccount(settings, channel, client, endpoint, timeoutMs);
  }

  @Override
  public AccountSettings settings() {
    return settings;
  }

  @Override
  public Future<List<SendResult>> send(List<OutboundMessage> messages) {
    if (messages.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    Buffer body;
    try {
      body = encode(messages);
    } catch (RuntimeException e) {
      // A message that cannot be encoded fails the call rather than throwing at the dispatcher.
      return Future.failedFuture(e);
    }
    RequestOptions options = new RequestOptions()
      .setMethod(HttpMethod.POST)
      .setAbsoluteURI(endpoint)
      .setConnectTimeout(timeoutMs)
      .setIdleTimeout(timeoutMs)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.ACCEPT, "application/json");
    return client.request(options)
      .compose(request -> request.send(body)
        .compose(response -> response.body().map(answer -> results(response, answer, messages.size()))));
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  @Override
  public String toString() {
    return settings.toString();
  }

  private Buffer encode(List<OutboundMessage> messages) {
    JsonArray list = new JsonArray(new ArrayList<>(messages.size()));
    for (OutboundMessage m : messages) {
      list.add(new JsonObject()
        .put("idempotency_key", m.idempotencyKey())
        .put("attempt", m.attempt())
        .put("channel", channel.wireName())
        .put("to", m.address())
        .put("tenant", m.tenant())
        .put("campaign", m.campaign())
        .put("recipient_id", m.recipientId())
        .put("locale", m.locale())
        .put("content", m.content()));
    }
    return new JsonObject().put("messages", list).toBuffer();
  }

  /**
   * Maps the sandbox's answer; one that breaks the protocol throws {@link IllegalStateException}, which
   * fails the call.
   */
  static List<SendResult> results(HttpClientResponse response, Buffer answer, int count) {
    int status = response.statusCode();
    if (status == 200) {
      return accepted(answer, count);
    }
    String reason = "sandbox answered " + status;
    if (status == 429) {
      return Collections.nCopies(count, SendResult.throttled(reason,
        retryAfter(response.getHeader(HttpHeaders.RETRY_AFTER), Instant.now())));
    }
    if (status == 408 || status >= 500) {
      return Collections.nCopies(count, SendResult.retryable(reason,
        retryAfter(response.getHeader(HttpHeaders.RETRY_AFTER), Instant.now())));
    }
    if (status >= 400) {
      String error = errorOf(answer);
      return Collections.nCopies(count, SendResult.permanent(error == null ? reason : reason + ": " + error));
    }
    throw new IllegalStateException("sandbox answered " + status + ", which its protocol does not use");
  }

  private static List<SendResult> accepted(Buffer answer, int count) {
    JsonArray list;
    try {
      list = answer.toJsonObject().getJsonArray("results");
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalStateException("sandbox answered 200 with a body that is not its results: " + e.getMessage(), e);
    }
    if (list == null || list.size() != count) {
      throw new IllegalStateException("sandbox answered " + (list == null ? "no" : list.size()) + " results for "
        + count + " messages");
    }
    List<SendResult> results = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      JsonObject result = list.getJsonObject(i);
      String status = result.getString("status");
      if ("accepted".equals(status) && result.getString("id") != null) {
        results.add(SendResult.accepted(result.getString("id")));
      } else if ("rejected".equals(status)) {
        String reason = result.getString("reason", "rejected by the sandbox");
        results.add(result.getBoolean("permanent", true) ? SendResult.permanent(reason)
          : SendResult.retryable(reason, null));
      } else {
        throw new IllegalStateException("sandbox answered an unknown result " + result.encode());
      }
    }
    return results;
  }

  private static String errorOf(Buffer answer) {
    try {
      Object error = answer.toJsonObject().getValue("error");
      return error instanceof String ? (String) error : null;
    } catch (DecodeException e) {
      // An error answer without a JSON body still fails the messages; its status says enough.
      return null;
    }
  }

  /** A {@code Retry-After} value, in seconds or as an HTTP date (RFC 9110, 10.2.3); null when absent or unreadable. */
  static Duration retryAfter(String value, Instant now) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String trimmed = value.trim();
    if (trimmed.chars().allMatch(Character::isDigit)) {
      return trimmed.length() > 9 ? null : Duration.ofSeconds(Long.parseLong(trimmed));
    }
    try {
      Instant at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String endpoint(AccountSettings settings) {
    String url = settings.require("url");
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(settings + ": setting 'url' is not a URL");
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      throw new IllegalArgumentException(settings + ": setting 'url' must be an http or https URL with a host");
    }
    return (url.endsWith("/") ? url.substring(0, url.length() - 1) : url) + "/v1/messages";
  }

}
