package dev.relay.adapters.testkit.whatsapp;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fake of the WhatsApp Cloud API's messages edge, for the {@code social-whatsapp} adapter's tests: it
 * serves {@code POST /v<major>.<minor>/{phone-number-id}/messages} on a real socket as the Graph API does,
 * and records the template messages it accepted.
 *
 * <ul>
 *   <li>Authentication: {@code Authorization: Bearer <access token>}; anything else is answered
 *   {@code 401 {"error":{"message":"Invalid OAuth access token…","type":"OAuthException","code":190,…}}}.
 *   Another phone number id is {@code 400} error 100.</li>
 *   <li>The body must be JSON with {@code messaging_product} {@code whatsapp}, {@code to}, {@code type}
 *   {@code template} and {@code template.name} and {@code template.language.code}, {@code recipient_type}
 *   {@code individual} when given, and {@code template.components} (when given) objects with a {@code type}
 *   whose {@code parameters} are objects with a {@code type} ({@code text} ones with their {@code text});
 *   otherwise {@code 400} error 100 naming the parameter. Template {@value #UNKNOWN_TEMPLATE} is error 132001 and number
 *   {@value #UNDELIVERABLE_NUMBER} error 131026.</li>
 *   <li>Anything else is accepted: {@code 200 {"messaging_product":"whatsapp","contacts":[{"input":…,
 *   "wa_id":…}],"messages":[{"id":"wamid.…","message_status":"accepted"}]}}.</li>
 *   <li>{@link #failNext(int, int, String)} and {@link #stallNext()} script the answers of the next
 *   authenticated calls, in order.</li>
 * </ul>
 * {@link #sign(String, String)} signs a webhook exactly as Meta does, and {@link #statusPayload} and
 * {@link #textPayload} build the webhooks' payloads, for webhook tests.
 */
public final class WhatsAppFake {

  /** A template name that does not exist (error 132001). */
  public static final String UNKNOWN_TEMPLATE = "no_such_template";
  /** A number that WhatsApp cannot deliver to (error 131026). */
  public static final String UNDELIVERABLE_NUMBER = "+15550131026";

  /**
   * One template message the fake accepted.
   *
   * @param id            the {@code wamid} it answered
   * @param phoneNumberId the sending number's id in the path
   * @param to            {@code to}
   * @param body          the JSON body as received
   * @param headers       the request's headers
   * @param receivedAt    when it was accepted
   */
  public record Message(String id, String phoneNumberId, String to, JsonObject body, MultiMap headers,
                        Instant receivedAt) {
  }

  private static final Pattern MESSAGES = Pattern.compile("/v[0-9]+\\.[0-9]+/([^/]+)/messages");

  private record Scripted(int status, int code, String message, boolean stall) {
  }

  private final String host;
  private final byte[] expectedAuthorization;
  private final String phoneNumberId;
  private final List<Message> messages = new ArrayList<>();
  private final ConcurrentLinkedQueue<Scripted> script = new ConcurrentLinkedQueue<>();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private HttpServer server;

  private WhatsAppFake(String host, String accessToken, String phoneNumberId) {
    this.host = host;
    this.expectedAuthorization = ("Bearer " + accessToken).getBytes(StandardCharsets.UTF_8);
    this.phoneNumberId = phoneNumberId;
  }

  /**
   * Starts a fake on {@code host} and {@code port} (0 picks a free port) that takes {@code accessToken} and
   * sends from {@code phoneNumberId}.
   */
  public static Future<WhatsAppFake> start(Vertx vertx, String host, int port, String accessToken,
                                           String phoneNumberId) {
    Objects.requireNonNull(vertx, "vertx");
    WhatsAppFake fake = new WhatsAppFake(Objects.requireNonNull(host, "host"),
      Objects.requireNonNull(accessToken, "accessToken"), Objects.requireNonNull(phoneNumberId, "phoneNumberId"));
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

  /** Every message accepted, in order: a snapshot. */
  public synchronized List<Message> messages() {
    return List.copyOf(messages);
  }

  /** How many calls reached a messages edge, whatever became of them. */
  public long requestCount() {
    return requests.get();
  }

  /** How many calls were refused for their token. */
  public long rejectedCount() {
    return rejected.get();
  }

  /** Answers the next authenticated call with {@code status} and a Graph API error of {@code code}. */
  public void failNext(int status, int code, String message) {
    script.add(new Scripted(status, code, Objects.requireNonNull(message, "message"), false));
  }

  /** Never answers the next authenticated call, so that the client times out. */
  public void stallNext() {
    script.add(new Scripted(0, 0, null, true));
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

  /** The {@code X-Hub-Signature-256} Meta sends: {@code sha256=} and the hex HMAC-SHA256 of the body. */
  public static String sign(String appSecret, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(appSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /**
   * A webhook payload reporting one message's status, as Meta sends it.
   *
   * @param wamid       the message's id
   * @param status      {@code sent}, {@code delivered}, {@code read} or {@code failed}
   * @param timestamp   when, in Unix seconds
   * @param recipient   the recipient's number, digits only
   * @param errorCode   for {@code failed}, the error's code; null for none
   */
  public static JsonObject statusPayload(String wamid, String status, long timestamp, String recipient,
                                         Integer errorCode) {
    JsonObject value = new JsonObject().put("messaging_product", "whatsapp")
      .put("metadata", new JsonObject().put("display_phone_number", "15550000000").put("phone_number_id", "1"));
    JsonObject statusJson = new JsonObject().put("id", wamid).put("status", status)
      .put("timestamp", Long.toString(timestamp)).put("recipient_id", recipient);
    if (errorCode != null) {
      statusJson.put("errors", new JsonArray().add(new JsonObject().put("code", errorCode)
        .put("title", "Message undeliverable")));
    }
    value.put("statuses", new JsonArray().add(statusJson));
    return envelope(value);
  }

  /** A webhook payload carrying one incoming text message, as Meta sends it. */
  public static JsonObject textPayload(String wamid, String from, long timestamp, String text) {
    JsonObject value = new JsonObject().put("messaging_product", "whatsapp")
      .put("metadata", new JsonObject().put("display_phone_number", "15550000000").put("phone_number_id", "1"))
      .put("contacts", new JsonArray().add(new JsonObject().put("profile", new JsonObject().put("name", "Ayşe"))
        .put("wa_id", from)))
      .put("messages", new JsonArray().add(new JsonObject().put("from", from).put("id", wamid)
        .put("timestamp", Long.toString(timestamp)).put("type", "text")
        .put("text", new JsonObject().put("body", text))));
    return envelope(value);
  }

  private static JsonObject envelope(JsonObject value) {
    return new JsonObject().put("object", "whatsapp_business_account").put("entry", new JsonArray()
      .add(new JsonObject().put("id", "102290129340398").put("changes", new JsonArray()
        .add(new JsonObject().put("value", value).put("field", "messages")))));
  }

  @Override
  public String toString() {
    return "WhatsApp fake at " + url();
  }

  private void handle(HttpServerRequest request) {
    Matcher path = MESSAGES.matcher(request.path());
    if (!path.matches() || !HttpMethod.POST.equals(request.method())) {
      error(request, 400, 100, "Unsupported " + request.method().name().toLowerCase(Locale.ROOT) + " request.");
      return;
    }
    requests.incrementAndGet();
    // A body that never completes means the client went away: there is no one left to answer.
    request.body().onSuccess(body -> send(request, path.group(1), body));
  }

  private void send(HttpServerRequest request, String numberId, Buffer body) {
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization == null
      || !MessageDigest.isEqual(authorization.getBytes(StandardCharsets.UTF_8), expectedAuthorization)) {
      rejected.incrementAndGet();
      error(request, 401, 190, "Invalid OAuth access token - Cannot parse access token");
      return;
    }
    if (!phoneNumberId.equals(numberId)) {
      error(request, 400, 100, "Unsupported post request. Object with ID '" + numberId + "' does not exist");
      return;
    }
    Scripted scripted = script.poll();
    if (scripted != null) {
      if (!scripted.stall()) {
        error(request, scripted.status(), scripted.code(), scripted.message());
      }
      return;
    }
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      error(request, 400, 100, "(#100) Invalid JSON");
      return;
    }
    String to = json.getValue("to") instanceof String t && !t.isBlank() ? t : null;
    JsonObject template = json.getValue("template") instanceof JsonObject t ? t : null;
    Object name = template == null ? null : template.getValue("name");
    Object language = template != null && template.getValue("language") instanceof JsonObject l
      ? l.getValue("code") : null;
    String problem = !"whatsapp".equals(json.getValue("messaging_product")) ? "messaging_product"
      : to == null ? "to"
      : !"template".equals(json.getValue("type")) ? "type"
      : !(name instanceof String) ? "template[name]"
      : !(language instanceof String) ? "template[language][code]"
      : json.getValue("recipient_type") != null && !"individual".equals(json.getValue("recipient_type"))
      ? "recipient_type"
      : componentProblem(template.getValue("components"));
    if (problem != null) {
      error(request, 400, 100, "(#100) The parameter " + problem + " is required.");
      return;
    }
    if (UNKNOWN_TEMPLATE.equals(name)) {
      error(request, 404, 132001, "(#132001) Template name does not exist in the translation");
      return;
    }
    if (UNDELIVERABLE_NUMBER.equals(to)) {
      error(request, 400, 131026, "Message undeliverable");
      return;
    }
    byte[] random = new byte[24];
    ThreadLocalRandom.current().nextBytes(random);
    String id = "wamid.HBgL" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    synchronized (this) {
      messages.add(new Message(id, numberId, to, json, MultiMap.caseInsensitiveMultiMap().addAll(request.headers()),
        Instant.now()));
    }
    answer(request, 200, new JsonObject()
      .put("messaging_product", "whatsapp")
      .put("contacts", new JsonArray().add(new JsonObject().put("input", to).put("wa_id", to.replace("+", ""))))
      .put("messages", new JsonArray().add(new JsonObject().put("id", id).put("message_status", "accepted"))));
  }

  /**
   * What is wrong with a template's {@code components}, named as the Graph API names parameters, or null:
   * an array of objects with a {@code type}, whose {@code parameters} are objects with a {@code type}, and a
   * {@code text} parameter has its {@code text}.
   */
  private static String componentProblem(Object components) {
    if (components == null) {
      return null;
    }
    if (!(components instanceof JsonArray list)) {
      return "template[components]";
    }
    for (int i = 0; i < list.size(); i++) {
      if (!(list.getValue(i) instanceof JsonObject component) || !(component.getValue("type") instanceof String)) {
        return "template[components][" + i + "][type]";
      }
      Object parameters = component.getValue("parameters");
      if (parameters == null) {
        continue;
      }
      if (!(parameters instanceof JsonArray params)) {
        return "template[components][" + i + "][parameters]";
      }
      for (int j = 0; j < params.size(); j++) {
        String at = "template[components][" + i + "][parameters][" + j + "]";
        if (!(params.getValue(j) instanceof JsonObject parameter) || !(parameter.getValue("type") instanceof String type)) {
          return at + "[type]";
        }
        if ("text".equals(type) && !(parameter.getValue("text") instanceof String)) {
          return at + "[text]";
        }
      }
    }
    return null;
  }

  private static void error(HttpServerRequest request, int status, int code, String message) {
    answer(request, status, new JsonObject().put("error", new JsonObject()
      .put("message", message)
      .put("type", code == 190 ? "OAuthException" : "GraphMethodException")
      .put("code", code)
      .put("fbtrace_id", "AbCdEf" + ThreadLocalRandom.current().nextInt(1_000_000))));
  }

  private static void answer(HttpServerRequest request, int status, JsonObject body) {
    request.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=UTF-8")
      .end(body.toBuffer());
  }
}
