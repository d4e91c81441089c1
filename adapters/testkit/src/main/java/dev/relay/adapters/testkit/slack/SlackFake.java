package dev.relay.adapters.testkit.slack;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake of Slack's Web API method {@code chat.postMessage}, for the {@code social-slack} adapter's tests:
 * it serves {@code POST /api/chat.postMessage} on a real socket as Slack does, and records the messages it
 * posted.
 *
 * <ul>
 *   <li>Authentication: {@code Authorization: Bearer <bot token>}; none is answered
 *   {@code {"ok":false,"error":"not_authed"}}, another token {@code invalid_auth} (HTTP 200, as Slack
 *   does).</li>
 *   <li>The body is JSON {@code {"channel":…,"text":…}}; a body that is not JSON is {@code invalid_json},
 *   no channel is {@code channel_not_found}, no text {@code no_text}, a text over 40,000 characters
 *   {@code msg_too_long}; channel {@value #UNKNOWN_CHANNEL} is {@code channel_not_found},
 *   {@value #ARCHIVED_CHANNEL} {@code is_archived}, {@value #FOREIGN_CHANNEL} {@code not_in_channel}.</li>
 *   <li>Anything else is posted: {@code {"ok":true,"channel":…,"ts":"<seconds>.<6 digits>","message":{…}}},
 *   each {@code ts} unique.</li>
 *   <li>{@link #failNext(String)}, {@link #failNextStatus(int)}, {@link #throttleNext(Duration)} and
 *   {@link #stallNext()} script the answers of the next authenticated calls, in order.</li>
 * </ul>
 * {@link #sign(String, long, String)} signs an Events API call exactly as Slack does, for webhook tests.
 */
public final class SlackFake {

  /** A channel that does not exist. */
  public static final String UNKNOWN_CHANNEL = "C0NOTFOUND";
  /** A channel that was archived. */
  public static final String ARCHIVED_CHANNEL = "C0ARCHIVED";
  /** A channel the bot is not a member of. */
  public static final String FOREIGN_CHANNEL = "C0NOTMEMBER";

  /** The longest text Slack posts. */
  static final int MAX_TEXT = 40_000;

  /**
   * One message the fake posted.
   *
   * @param channel    {@code channel}
   * @param text       {@code text}
   * @param ts         the timestamp it answered, Slack's id of the message in the channel
   * @param body       the JSON body as received
   * @param headers    the request's headers
   * @param receivedAt when it was posted
   */
  public record Message(String channel, String text, String ts, JsonObject body, MultiMap headers,
                        Instant receivedAt) {
  }

  private record Scripted(int status, String error, Duration retryAfter, boolean stall) {
  }

  private final String host;
  private final byte[] expectedAuthorization;
  private final List<Message> messages = new ArrayList<>();
  private final ConcurrentLinkedQueue<Scripted> script = new ConcurrentLinkedQueue<>();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong sequence = new AtomicLong();
  private HttpServer server;

  private SlackFake(String host, String botToken) {
    this.host = host;
    this.expectedAuthorization = ("Bearer " + botToken).getBytes(StandardCharsets.UTF_8);
  }

  /** Starts a fake on {@code host} and {@code port} (0 picks a free port) that takes {@code botToken}. */
  public static Future<SlackFake> start(Vertx vertx, String host, int port, String botToken) {
    Objects.requireNonNull(vertx, "vertx");
    SlackFake fake = new SlackFake(Objects.requireNonNull(host, "host"), Objects.requireNonNull(botToken, "botToken"));
    return vertx.createHttpServer()
      .requestHandler(fake::handle)
      .listen(port, host)
      .map(server -> {
        fake.server = server;
        return fake;
      });
  }

  /** The base URL, such as {@code http://127.0.0.1:41234}: an account's {@code base-url}. */
  public String url() {
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  /** Stops listening and closes every connection, answered or not. */
  public Future<Void> close() {
    return server.close();
  }

  /** Every message posted, in order: a snapshot. */
  public synchronized List<Message> messages() {
    return List.copyOf(messages);
  }

  /** How many calls reached {@code chat.postMessage}, whatever became of them. */
  public long requestCount() {
    return requests.get();
  }

  /** How many calls were refused for their token. */
  public long rejectedCount() {
    return rejected.get();
  }

  /** Answers the next authenticated call {@code {"ok":false,"error":<error>}} (HTTP 200). */
  public void failNext(String error) {
    script.add(new Scripted(200, Objects.requireNonNull(error, "error"), null, false));
  }

  /** Answers the next authenticated call with HTTP {@code status} and an {@code internal_error} body. */
  public void failNextStatus(int status) {
    script.add(new Scripted(status, "internal_error", null, false));
  }

  /** Answers the next authenticated call HTTP 429 {@code ratelimited} with {@code Retry-After} in seconds. */
  public void throttleNext(Duration retryAfter) {
    script.add(new Scripted(429, "ratelimited", Objects.requireNonNull(retryAfter, "retryAfter"), false));
  }

  /** Never answers the next authenticated call, so that the client times out. */
  public void stallNext() {
    script.add(new Scripted(0, null, null, true));
  }

  /** Forgets messages, counters and scripted answers. */
  public void reset() {
    script.clear();
    synchronized (this) {
      messages.clear();
    }
    requests.set(0);
    rejected.set(0);
  }

  /**
   * The {@code X-Slack-Signature} Slack sends with an Events API call: {@code v0=} and the hex
   * HMAC-SHA256, keyed by the signing secret, of {@code v0:{timestamp}:{body}}.
   */
  public static String sign(String signingSecret, long timestamp, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(signingSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] digest = mac.doFinal(("v0:" + timestamp + ":" + body).getBytes(StandardCharsets.UTF_8));
      return "v0=" + HexFormat.of().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  @Override
  public String toString() {
    return "Slack fake at " + url();
  }

  private void handle(HttpServerRequest request) {
    if (!"/api/chat.postMessage".equals(request.path())) {
      answer(request, 404, new JsonObject().put("ok", false).put("error", "unknown_method"));
      return;
    }
    if (!HttpMethod.POST.equals(request.method())) {
      answer(request, 405, new JsonObject().put("ok", false).put("error", "method_not_supported_for_channel_type"));
      return;
    }
    requests.incrementAndGet();
    // A body that never completes means the client went away: there is no one left to answer.
    request.body().onSuccess(body -> post(request, body));
  }

  private void post(HttpServerRequest request, Buffer body) {
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization == null) {
      rejected.incrementAndGet();
      error(request, "not_authed");
      return;
    }
    if (!MessageDigest.isEqual(authorization.getBytes(StandardCharsets.UTF_8), expectedAuthorization)) {
      rejected.incrementAndGet();
      error(request, "invalid_auth");
      return;
    }
    Scripted scripted = script.poll();
    if (scripted != null) {
      if (scripted.stall()) {
        return;
      }
      if (scripted.retryAfter() != null) {
        request.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(scripted.retryAfter().toSeconds()));
      }
      answer(request, scripted.status(), new JsonObject().put("ok", false).put("error", scripted.error()));
      return;
    }
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      error(request, "invalid_json");
      return;
    }
    String channel = json.getValue("channel") instanceof String c ? c : null;
    String text = json.getValue("text") instanceof String t ? t : null;
    String problem = channel == null || channel.isEmpty() || UNKNOWN_CHANNEL.equals(channel) ? "channel_not_found"
      : ARCHIVED_CHANNEL.equals(channel) ? "is_archived"
      : FOREIGN_CHANNEL.equals(channel) ? "not_in_channel"
      : text == null || text.isBlank() ? "no_text"
      : text.length() > MAX_TEXT ? "msg_too_long"
      : null;
    if (problem != null) {
      error(request, problem);
      return;
    }
    Instant now = Instant.now();
    String ts = now.getEpochSecond() + "." + String.format("%06d", sequence.incrementAndGet() % 1_000_000);
    synchronized (this) {
      messages.add(new Message(channel, text, ts, json, MultiMap.caseInsensitiveMultiMap().addAll(request.headers()),
        now));
    }
    answer(request, 200, new JsonObject()
      .put("ok", true)
      .put("channel", channel)
      .put("ts", ts)
      .put("message", new JsonObject().put("type", "message").put("subtype", "bot_message").put("text", text)
        .put("bot_id", "B0RELAYFAKE").put("ts", ts)));
  }

  private static void error(HttpServerRequest request, String error) {
    answer(request, 200, new JsonObject().put("ok", false).put("error", error));
  }

  private static void answer(HttpServerRequest request, int status, JsonObject body) {
    request.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
      .end(body.toBuffer());
  }
}
