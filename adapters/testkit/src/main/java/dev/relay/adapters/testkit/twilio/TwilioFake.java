package dev.relay.adapters.testkit.twilio;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fake of the Twilio Messages API, for the {@code sms-twilio} adapter's tests: it serves
 * {@code POST /2010-04-01/Accounts/{AccountSid}/Messages.json} on a real socket as Twilio does, and records
 * the messages it created.
 *
 * <ul>
 *   <li>Authentication: HTTP Basic with the account SID and auth token it was started with; anything else
 *   is answered {@code 401 {"code":20003,"message":"Authenticate",…}}. A path naming another account is
 *   answered {@code 404} (error 20404).</li>
 *   <li>The form ({@code application/x-www-form-urlencoded}) needs {@code To} (else 21604), {@code From} or
 *   {@code MessagingServiceSid} (else 21603), and {@code Body} (else 21602); errors are answered
 *   {@code 400} in Twilio's form {@code {"code":N,"message":"…","more_info":"…","status":400}}.</li>
 *   <li>Twilio's magic test numbers as {@code To} fail as they do with test credentials:
 *   {@value #INVALID_NUMBER} (21211), {@value #UNROUTABLE_NUMBER} (21612), {@value #NO_PERMISSION_NUMBER}
 *   (21408), {@value #UNSUBSCRIBED_NUMBER} (21610), {@value #NOT_MOBILE_NUMBER} (21614).</li>
 *   <li>Anything else is created: {@code 201} with the Message resource, {@code sid} {@code SM} and 32 hex
 *   digits, {@code status} {@code queued} ({@code accepted} when sent through a Messaging Service).</li>
 *   <li>{@link #failNext}, {@link #throttleNext} and {@link #stallNext} script the answers of the next
 *   authenticated requests, in order.</li>
 * </ul>
 * {@link #sign(String, String, Map)} signs a callback exactly as Twilio does, for webhook tests.
 */
public final class TwilioFake {

  /** Twilio's magic test number that is not a valid phone number (error 21211). */
  public static final String INVALID_NUMBER = "+15005550001";
  /** Twilio's magic test number that cannot be routed (error 21612). */
  public static final String UNROUTABLE_NUMBER = "+15005550002";
  /** Twilio's magic test number in a region the account may not send to (error 21408). */
  public static final String NO_PERMISSION_NUMBER = "+15005550003";
  /** Twilio's magic test number whose owner replied STOP (error 21610). */
  public static final String UNSUBSCRIBED_NUMBER = "+15005550004";
  /** Twilio's magic test number that is not a mobile number (error 21614). */
  public static final String NOT_MOBILE_NUMBER = "+15005550009";

  /**
   * One message the fake created.
   *
   * @param sid                 the sid it answered
   * @param accountSid          the account in the path
   * @param to                  {@code To}
   * @param from                {@code From}, or null
   * @param messagingServiceSid {@code MessagingServiceSid}, or null
   * @param body                {@code Body}
   * @param statusCallback      {@code StatusCallback}, or null
   * @param form                every form parameter as received
   * @param headers             the request's headers
   * @param receivedAt          when it was created
   */
  public record Message(String sid, String accountSid, String to, String from, String messagingServiceSid,
                        String body, String statusCallback, MultiMap form, MultiMap headers, Instant receivedAt) {
  }

  private static final Pattern MESSAGES = Pattern.compile("/2010-04-01/Accounts/([^/]+)/Messages\\.json");
  private static final DateTimeFormatter RFC_2822 = DateTimeFormatter
    .ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US).withZone(ZoneOffset.UTC);
  private static final Map<String, Integer> MAGIC_CODES = Map.of(INVALID_NUMBER, 21211, UNROUTABLE_NUMBER, 21612,
    NO_PERMISSION_NUMBER, 21408, UNSUBSCRIBED_NUMBER, 21610, NOT_MOBILE_NUMBER, 21614);
  private static final Map<Integer, String> MESSAGES_OF = Map.of(
    21211, "The 'To' number %s is not a valid phone number.",
    21612, "The 'To' phone number: %s, is not currently reachable using the 'From' phone number via SMS.",
    21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: %s.",
    21610, "Attempt to send to unsubscribed recipient",
    21614, "'To' number %s is not a valid mobile number");

  private record Scripted(int status, int code, String message, Duration retryAfter, boolean stall) {
  }

  private final String accountSid;
  private final String expectedAuthorization;
  private final List<Message> messages = new ArrayList<>();
  private final ConcurrentLinkedQueue<Scripted> script = new ConcurrentLinkedQueue<>();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final String host;
  private HttpServer server;

  private TwilioFake(String host, String accountSid, String authToken) {
    this.host = host;
    this.accountSid = accountSid;
    this.expectedAuthorization = "Basic " + Base64.getEncoder()
      .encodeToString((accountSid + ":" + authToken).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Starts a fake on {@code host} and {@code port} (0 picks a free port) that takes the credentials
   * {@code accountSid} and {@code authToken}.
   */
  public static Future<TwilioFake> start(Vertx vertx, String host, int port, String accountSid, String authToken) {
    Objects.requireNonNull(vertx, "vertx");
    TwilioFake fake = new TwilioFake(Objects.requireNonNull(host, "host"), Objects.requireNonNull(accountSid,
      "accountSid"), Objects.requireNonNull(authToken, "authToken"));
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

  /** Every message created, in order: a snapshot. */
  public synchronized List<Message> messages() {
    return List.copyOf(messages);
  }

  /** How many requests reached the Messages resource, whatever became of them. */
  public long requestCount() {
    return requests.get();
  }

  /** How many requests were answered 401. */
  public long rejectedCount() {
    return rejected.get();
  }

  /** Answers the next authenticated request with {@code status} and Twilio's error {@code code} and message. */
  public void failNext(int status, int code, String message) {
    script.add(new Scripted(status, code, Objects.requireNonNull(message, "message"), null, false));
  }

  /** Answers the next authenticated request {@code 429} (error 20429) with {@code Retry-After} in seconds. */
  public void throttleNext(Duration retryAfter) {
    script.add(new Scripted(429, 20429, "Too Many Requests", Objects.requireNonNull(retryAfter, "retryAfter"),
      false));
  }

  /** Never answers the next authenticated request, so that the client times out. */
  public void stallNext() {
    script.add(new Scripted(0, 0, null, null, true));
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
   * The {@code X-Twilio-Signature} Twilio sends with a callback to {@code url} carrying {@code params}: the
   * base64 of the HMAC-SHA1, keyed by the auth token, of the URL followed by every parameter's name and
   * value in order of names.
   */
  public static String sign(String authToken, String url, Map<String, String> params) {
    StringBuilder data = new StringBuilder(url);
    new TreeMap<>(params).forEach((name, value) -> data.append(name).append(value));
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(authToken.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      return Base64.getEncoder().encodeToString(mac.doFinal(data.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 is not available", e);
    }
  }

  @Override
  public String toString() {
    return "Twilio fake at " + url();
  }

  private void handle(HttpServerRequest request) {
    Matcher path = MESSAGES.matcher(request.path());
    if (!path.matches()) {
      error(request, 404, 20404, "The requested resource " + request.path() + " was not found");
      return;
    }
    if (!HttpMethod.POST.equals(request.method())) {
      error(request, 405, 20004, "Method not allowed");
      return;
    }
    requests.incrementAndGet();
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization == null || !MessageDigest.isEqual(authorization.getBytes(StandardCharsets.UTF_8),
      expectedAuthorization.getBytes(StandardCharsets.UTF_8))) {
      rejected.incrementAndGet();
      error(request, 401, 20003, "Authenticate");
      return;
    }
    if (!accountSid.equals(path.group(1))) {
      error(request, 404, 20404, "The requested resource " + request.path() + " was not found");
      return;
    }
    request.setExpectMultipart(true);
    // A body that never completes means the client went away: there is no one left to answer.
    request.end().onSuccess(done -> create(request, path.group(1)));
  }

  private void create(HttpServerRequest request, String account) {
    Scripted scripted = script.poll();
    if (scripted != null) {
      if (scripted.stall()) {
        return;
      }
      if (scripted.retryAfter() != null) {
        request.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(scripted.retryAfter().toSeconds()));
      }
      error(request, scripted.status(), scripted.code(), scripted.message());
      return;
    }
    MultiMap form = MultiMap.caseInsensitiveMultiMap().addAll(request.formAttributes());
    String to = form.get("To");
    String from = form.get("From");
    String service = form.get("MessagingServiceSid");
    String body = form.get("Body");
    if (to == null || to.isEmpty()) {
      error(request, 400, 21604, "A 'To' phone number is required.");
      return;
    }
    if ((from == null || from.isEmpty()) && (service == null || service.isEmpty())) {
      error(request, 400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message");
      return;
    }
    if (body == null || body.isEmpty()) {
      error(request, 400, 21602, "Message body is required.");
      return;
    }
    Integer magic = MAGIC_CODES.get(to);
    if (magic != null) {
      error(request, 400, magic, String.format(MESSAGES_OF.get(magic), to));
      return;
    }
    Instant now = Instant.now();
    String sid = "SM" + hex32();
    Message message = new Message(sid, account, to, from, service, body, form.get("StatusCallback"), form,
      MultiMap.caseInsensitiveMultiMap().addAll(request.headers()), now);
    synchronized (this) {
      messages.add(message);
    }
    String date = RFC_2822.format(now);
    String uri = "/2010-04-01/Accounts/" + account + "/Messages/" + sid;
    json(request, 201, new JsonObject()
      .put("account_sid", account)
      .put("api_version", "2010-04-01")
      .put("body", body)
      .put("date_created", date)
      .put("date_sent", null)
      .put("date_updated", date)
      .put("direction", "outbound-api")
      .put("error_code", null)
      .put("error_message", null)
      .put("from", from)
      .put("messaging_service_sid", service)
      .put("num_media", "0")
      .put("price", null)
      .put("price_unit", "USD")
      .put("sid", sid)
      .put("status", service != null && from == null ? "accepted" : "queued")
      .put("subresource_uris", new JsonObject().put("media", uri + "/Media.json"))
      .put("to", to)
      .put("uri", uri + ".json"));
  }

  private static String hex32() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return String.format("%016x%016x", random.nextLong(), random.nextLong());
  }

  private static void error(HttpServerRequest request, int status, int code, String message) {
    json(request, status, new JsonObject()
      .put("code", code)
      .put("message", message)
      .put("more_info", "https://www.twilio.com/docs/errors/" + code)
      .put("status", status));
  }

  private static void json(HttpServerRequest request, int status, JsonObject body) {
    request.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
      .end(body.toBuffer());
  }
}
