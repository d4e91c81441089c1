package dev.relay.adapters.testkit.telegram;

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

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake of the Telegram Bot API method {@code sendMessage}, for the {@code social-telegram} adapter's tests:
 * it serves {@code POST /bot<token>/sendMessage} on a real socket as Telegram does, and records the
 * messages it sent.
 *
 * <ul>
 *   <li>A path with another token is answered {@code 401 {"ok":false,"error_code":401,
 *   "description":"Unauthorized"}}; another method {@code 404 "Not Found"}.</li>
 *   <li>The body is JSON {@code {"chat_id":…,"text":…}}; errors are answered with the HTTP status equal to
 *   {@code error_code}, as Telegram does: no {@code chat_id} is {@code 400 "Bad Request: chat_id is empty"},
 *   no text {@code 400 "Bad Request: message text is empty"}, over 4096 characters
 *   {@code 400 "Bad Request: message is too long"}; chat {@value #UNKNOWN_CHAT} is
 *   {@code 400 "Bad Request: chat not found"}, chat {@value #BLOCKED_CHAT}
 *   {@code 403 "Forbidden: bot was blocked by the user"}.</li>
 *   <li>Anything else is sent: {@code {"ok":true,"result":{"message_id":N,"from":{…},"chat":{"id":…},
 *   "date":…,"text":…}}}.</li>
 *   <li>{@link #throttleNext(Duration)}, {@link #failNext(int, String)} and {@link #stallNext()} script the
 *   answers of the next calls with the right token, in order.</li>
 * </ul>
 */
public final class TelegramFake {

  /** A chat the bot cannot see. */
  public static final String UNKNOWN_CHAT = "-1000404";
  /** A user who blocked the bot. */
  public static final String BLOCKED_CHAT = "403403";
  /** The header a webhook call carries the secret token in. */
  public static final String SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

  /** The longest text Telegram sends. */
  static final int MAX_TEXT = 4096;

  /**
   * One message the fake sent.
   *
   * @param chatId     {@code chat_id}, as a string
   * @param text       {@code text}
   * @param messageId  the id it answered
   * @param body       the JSON body as received
   * @param headers    the request's headers
   * @param receivedAt when it was sent
   */
  public record Message(String chatId, String text, long messageId, JsonObject body, MultiMap headers,
                        Instant receivedAt) {
  }

  private record Scripted(int status, String description, Duration retryAfter, boolean stall) {
  }

  private final String host;
  private final String botToken;
  private final List<Message> messages = new ArrayList<>();
  private final ConcurrentLinkedQueue<Scripted> script = new ConcurrentLinkedQueue<>();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong messageIds = new AtomicLong();
  private HttpServer server;

  private TelegramFake(String host, String botToken) {
    this.host = host;
    this.botToken = botToken;
  }

  /** Starts a fake on {@code host} and {@code port} (0 picks a free port) for the bot {@code botToken}. */
  public static Future<TelegramFake> start(Vertx vertx, String host, int port, String botToken) {
    Objects.requireNonNull(vertx, "vertx");
    TelegramFake fake = new TelegramFake(Objects.requireNonNull(host, "host"),
      Objects.requireNonNull(botToken, "botToken"));
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

  /** Every message sent, in order: a snapshot. */
  public synchronized List<Message> messages() {
    return List.copyOf(messages);
  }

  /** How many calls reached a {@code /bot…/} path, whatever became of them. */
  public long requestCount() {
    return requests.get();
  }

  /** How many calls were refused for their token. */
  public long rejectedCount() {
    return rejected.get();
  }

  /** Answers the next call {@code 429} with {@code parameters.retry_after} in whole seconds. */
  public void throttleNext(Duration retryAfter) {
    long seconds = Objects.requireNonNull(retryAfter, "retryAfter").toSeconds();
    script.add(new Scripted(429, "Too Many Requests: retry after " + seconds, retryAfter, false));
  }

  /** Answers the next call with {@code status} (also its {@code error_code}) and {@code description}. */
  public void failNext(int status, String description) {
    script.add(new Scripted(status, Objects.requireNonNull(description, "description"), null, false));
  }

  /** Never answers the next call, so that the client times out. */
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

  @Override
  public String toString() {
    return "Telegram fake at " + url();
  }

  private void handle(HttpServerRequest request) {
    String path = request.path();
    if (!path.startsWith("/bot")) {
      error(request, 404, "Not Found", null);
      return;
    }
    requests.incrementAndGet();
    int slash = path.indexOf('/', 4);
    String token = slash < 0 ? path.substring(4) : path.substring(4, slash);
    if (!MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), botToken.getBytes(StandardCharsets.UTF_8))) {
      rejected.incrementAndGet();
      error(request, 401, "Unauthorized", null);
      return;
    }
    if (slash < 0 || !"sendMessage".equals(path.substring(slash + 1))) {
      error(request, 404, "Not Found", null);
      return;
    }
    if (!HttpMethod.POST.equals(request.method())) {
      error(request, 405, "Method Not Allowed", null);
      return;
    }
    // A body that never completes means the client went away: there is no one left to answer.
    request.body().onSuccess(body -> send(request, body));
  }

  private void send(HttpServerRequest request, Buffer body) {
    Scripted scripted = script.poll();
    if (scripted != null) {
      if (!scripted.stall()) {
        error(request, scripted.status(), scripted.description(), scripted.retryAfter());
      }
      return;
    }
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      error(request, 400, "Bad Request: can't parse JSON object", null);
      return;
    }
    Object chat = json.getValue("chat_id");
    String chatId = chat instanceof String || chat instanceof Number ? chat.toString() : null;
    String text = json.getValue("text") instanceof String t ? t : null;
    if (chatId == null || chatId.isEmpty()) {
      error(request, 400, "Bad Request: chat_id is empty", null);
    } else if (text == null || text.isBlank()) {
      error(request, 400, "Bad Request: message text is empty", null);
    } else if (text.codePointCount(0, text.length()) > MAX_TEXT) {
      error(request, 400, "Bad Request: message is too long", null);
    } else if (UNKNOWN_CHAT.equals(chatId)) {
      error(request, 400, "Bad Request: chat not found", null);
    } else if (BLOCKED_CHAT.equals(chatId)) {
      error(request, 403, "Forbidden: bot was blocked by the user", null);
    } else {
      Instant now = Instant.now();
      long messageId = messageIds.incrementAndGet();
      synchronized (this) {
        messages.add(new Message(chatId, text, messageId, json,
          MultiMap.caseInsensitiveMultiMap().addAll(request.headers()), now));
      }
      Object chatIdValue = chatId.matches("-?[0-9]{1,18}") ? (Object) Long.parseLong(chatId) : -1001234567890L;
      answer(request, 200, new JsonObject()
        .put("ok", true)
        .put("result", new JsonObject()
          .put("message_id", messageId)
          .put("from", new JsonObject().put("id", 7000000001L).put("is_bot", true).put("first_name", "Relay")
            .put("username", "relay_fake_bot"))
          .put("chat", new JsonObject().put("id", chatIdValue).put("type", chatId.startsWith("-") ? "group"
            : chatId.startsWith("@") ? "channel" : "private"))
          .put("date", now.getEpochSecond())
          .put("text", text)));
    }
  }

  private static void error(HttpServerRequest request, int status, String description, Duration retryAfter) {
    JsonObject body = new JsonObject().put("ok", false).put("error_code", status).put("description", description);
    if (retryAfter != null) {
      body.put("parameters", new JsonObject().put("retry_after", retryAfter.toSeconds()));
    }
    answer(request, status, body);
  }

  private static void answer(HttpServerRequest request, int status, JsonObject body) {
    request.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .end(body.toBuffer());
  }
}
