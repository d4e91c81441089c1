package dev.relay.gateway.security;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A property-based fuzzer of the whole API: for every operation of {@code /openapi.json} it makes
 * hostile requests (types, sizes, nesting, Unicode edge cases, odd headers, percent-escapes, unknown
 * paths and methods, two tenants) against a started gateway, and holds that the gateway never answers
 * 5xx, answers every 4xx with a problem document, stores nothing after a 4xx, stores exactly what a 202
 * promised, never shows one tenant's batch to the other, and is healthy afterwards.
 *
 * <p>Each run draws a seed (printed first) and makes every request from a {@link Random} of its own, seeded
 * from it; a failure names both. {@code -Drelay.fuzz.seed=S} replays a run, {@code -Drelay.fuzz.tries=N}
 * changes its length: see docs/tests.md.
 */
@DisplayName("API fuzz")
class ApiFuzzTest {

  private static final int TRIES = Integer.getInteger("relay.fuzz.tries", 300);
  /** Drawn once per JVM, so that surefire's rerun of a failure replays it: a fuzz failure never passes as a flake. */
  private static final long SEED = Long.getLong("relay.fuzz.seed", new Random().nextLong());

  private static TestGateway gateway;
  private static WebClient client;
  private static Connection db;
  private static String acme;
  private static String globex;
  private static List<Operation> operations;
  private static JsonObject schemas;
  private static final Map<String, Integer> answers = new TreeMap<>();
  private static int tried;
  private static long acceptedRecipients;

  /** One operation of the OpenAPI document. */
  record Operation(String id, HttpMethod method, String path, JsonArray parameters, JsonObject body) {
  }

  /** One generated request; {@code tree} is the body as generated, before it was written as JSON. */
  record Request(Operation operation, HttpMethod method, String target, Map<String, String> headers, byte[] body,
                 Object tree, boolean asGlobex) {
    @Override
    public String toString() {
      String text = body == null ? "" : new String(body, StandardCharsets.UTF_8);
      return method + " " + target + " " + headers + " " + (text.length() > 400 ? text.substring(0, 400) + "…" : text);
    }
  }

  @BeforeAll
  static void start() throws SQLException {
    // Dispatch off: what intake stored stays as it stored it. The auth-failure limiter would answer every
    // request 429 after the fuzzer's first twenty bad keys, and hide the rest.
    gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false", Setting.API_AUTH_FAILURE_LIMIT, "100000"));
    client = WebClient.create(gateway.vertx(), new WebClientOptions().setDefaultHost("127.0.0.1")
      .setDefaultPort(gateway.port()));
    acme = gateway.apiKey("acme");
    globex = gateway.apiKey("globex");
    gateway.putTemplate(acme, "echo", Batches.echoTemplate());
    JsonObject document = await(client.get("/openapi.json").send()).bodyAsJsonObject();
    schemas = document.getJsonObject("components").getJsonObject("schemas");
    operations = new ArrayList<>();
    JsonObject paths = document.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        JsonObject op = item.getJsonObject(method);
        JsonObject body = null;
        if (op.containsKey("requestBody")) {
          JsonObject content = op.getJsonObject("requestBody").getJsonObject("content");
          JsonObject media = content.getJsonObject("application/json");
          body = media == null ? new JsonObject() : resolve(media.getJsonObject("schema", new JsonObject()));
        }
        operations.add(new Operation(op.getString("operationId"), HttpMethod.valueOf(method.toUpperCase()), path,
          op.getJsonArray("parameters", new JsonArray()), body));
      }
    }
    db = gateway.database().connect();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      System.out.printf("API fuzz: %d requests over %d operations, %d recipients accepted; answers by status: %s%n",
        tried, operations.size(), acceptedRecipients, answers);
      assertThat(await(client.get("/health/live").send()).statusCode()).isEqualTo(200);
      assertThat(await(client.get("/health/ready").send()).statusCode()).isEqualTo(200);
    } finally {
      db.close();
      client.close();
      gateway.close();
    }
  }

  @Test
  @DisplayName("hostile requests to every operation: no 5xx, every 4xx a problem, nothing stored but what a 2xx promised")
  void hostileRequests() throws Exception {
    long seed = SEED;
    System.out.printf("API fuzz: seed %d (replay with -Drelay.fuzz.seed=%d), %d tries%n", seed, seed, TRIES);
    Random seeds = new Random(seed);
    for (int i = 0; i < TRIES; i++) {
      long requestSeed = seeds.nextLong();
      Request request = request(new Random(requestSeed));
      try {
        hostileRequest(request);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("API fuzz failed at try " + (i + 1) + " of the run with seed " + seed
          + " (request seed " + requestSeed + "): " + request + "\n" + e.getMessage(), e);
      }
    }
  }

  private void hostileRequest(Request request) throws SQLException, java.io.IOException {
    long[] before = counts();
    HttpRequest<Buffer> http = client.request(request.method(), request.target());
    request.headers().forEach(http::putHeader);
    HttpResponse<Buffer> response;
    try {
      response = await(request.body() == null ? http.send() : http.sendBuffer(Buffer.buffer(request.body())));
    } catch (AssertionError e) {
      if (e.getCause() instanceof IllegalArgumentException) {
        return; // the client itself refuses to send it (a header value it cannot write): not the gateway's
      }
      throw e;
    }
    tried++;
    int status = response.statusCode();
    String type = status >= 400 && response.getHeader("Content-Type") != null
      && response.getHeader("Content-Type").startsWith("application/problem+json") && response.body() != null
      ? " " + response.bodyAsJsonObject().getString("type", "").replace("urn:relay:problem:", "") : "";
    answers.merge((request.operation() == null ? "odd-path" : request.operation().id()) + " " + status + type,
      1, Integer::sum);
    assertThat(status).as("%s answered %s", request, response.bodyAsString()).isLessThan(500);
    long[] after = counts();
    if (status >= 400) {
      assertThat(response.getHeader("Content-Type")).as("%s", request).isEqualTo("application/problem+json");
      assertThat(after).as("rows (batches, messages, templates, suppressions, keys, campaigns) after %s", request)
        .isEqualTo(before);
      if (request.method() == HttpMethod.HEAD) {
        return;
      }
      JsonObject problem = response.bodyAsJsonObject();
      assertThat(problem.getString("type")).startsWith("urn:relay:problem:");
      assertThat(problem.getInteger("status")).isEqualTo(status);
      assertThat(problem.getString("title")).isNotBlank();
      assertThat(problem.getString("detail")).isNotBlank();
    } else if (request.operation() != null && "createBatch".equals(request.operation().id()) && status == 202
      && response.getHeader("Idempotent-Replayed") == null) {
      checkStoredBatch(request, response.bodyAsJsonObject(), before, after);
    }
  }

  /** What a 202 promised is what is stored: the accepted recipients' ids, exactly, and no more. */
  private static void checkStoredBatch(Request request, JsonObject answer, long[] before, long[] after)
    throws SQLException {
    int accepted = answer.getInteger("accepted");
    acceptedRecipients += accepted;
    assertThat(after[1] - before[1]).as("messages stored for %s", request).isEqualTo(accepted);
    Set<Integer> rejected = new HashSet<>();
    answer.getJsonArray("rejected").forEach(r -> rejected.add(((JsonObject) r).getInteger("index")));
    List<?> recipients = (List<?>) ((Map<?, ?>) request.tree()).get("recipients");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < recipients.size(); i++) {
      if (!rejected.contains(i)) {
        expected.add((String) ((Map<?, ?>) recipients.get(i)).get("id"));
      }
    }
    List<String> stored = new ArrayList<>();
    try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(
      "SELECT recipient_id FROM messages WHERE batch_id = '" + answer.getString("batch_id") + "' ORDER BY id")) {
      while (rs.next()) {
        stored.add(rs.getString(1));
      }
    }
    assertThat(stored).as("recipient ids stored for %s", request).containsExactlyInAnyOrderElementsOf(expected);
    // The other tenant cannot see it.
    HttpResponse<Buffer> probe = await(client.get("/v1/batches/" + answer.getString("batch_id"))
      .putHeader("Authorization", "Bearer " + (request.asGlobex() ? acme : globex)).send());
    assertThat(probe.statusCode()).isEqualTo(404);
  }

  private static long[] counts() throws SQLException {
    try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM batches), "
      + "(SELECT count(*) FROM messages), (SELECT count(*) FROM templates), (SELECT count(*) FROM suppressions), "
      + "(SELECT count(*) FROM idempotency_keys), (SELECT count(*) FROM campaigns)")) {
      rs.next();
      long[] counts = new long[6];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = rs.getLong(i + 1);
      }
      return counts;
    }
  }

  // ---- generation ----------------------------------------------------------------------------------

  /** Strings that have broken parsers, stores and renderers, as Java strings (lone surrogates included). */
  private static final String[] NASTY = {
    "", " ", "welcome", "echo", "acme", "\uD800", "\uD83D", "\uDC00x", "\uD800\uD800\uD800", "\uFFFF", "\uFEFF",
    "\u0000", "a\u0000b", "\u0007", "tab\there", "line\r\nBcc: x@y.z", "\u2028\u2029", "\u0085", "\u202Egnp.exe",
    "👋🏽👨‍👩‍👧", "e\u0301", "שָׁלוֹם", "𠜎𝔘𝕟𝕚", "%ZZ", "%", "%%%", "%ED%A0%80", "..%2F..%2F", "../../etc/passwd",
    "{{a..b}}", "{{this}}", "{{.}}", "{{#a}}{{/b}}", "{{format_date}}", "{{__relay_open}}", "{{> x}}",
    "'; DROP TABLE messages; --", "${jndi:ldap://x/a}", "<script>alert(1)</script>", "9".repeat(40), "-1", "0",
    "1e400", "null", "true", "x".repeat(300), "y".repeat(5000), "+905551234567", "a@b.co", "Europe/Istanbul",
    "tr-TR", "2026-12-01T09:00:00+03:00", "2026-13-45T99:99:99Z", "email", "sms", "push", "chat", "webhook"};

  private static Request request(Random random) {
    boolean asGlobex = random.nextInt(20) == 0;
    Map<String, String> headers = new LinkedHashMap<>();
    int auth = random.nextInt(20);
    headers.put("Authorization", auth == 0 ? "Bearer rly_" + new UUID(random.nextLong(), random.nextLong()) : auth == 1 ? "Basic Zm9v"
      : "Bearer " + (asGlobex ? globex : acme));
    if (random.nextInt(12) == 0) {
      // An odd path: unknown, with escapes, or a known prefix with junk, under any method.
      String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"};
      String path = switch (random.nextInt(4)) {
        case 0 -> "/" + pathSegment(random);
        case 1 -> "/v1/" + pathSegment(random) + "/" + pathSegment(random);
        case 2 -> "/u/" + rawEscapes(random);
        default -> "/v1/batches/" + pathSegment(random) + "?" + query(random, new JsonArray());
      };
      return new Request(null, HttpMethod.valueOf(methods[random.nextInt(methods.length)]), path, headers,
        random.nextBoolean() ? null : "{}".getBytes(StandardCharsets.UTF_8), null, asGlobex);
    }
    // Intake takes the most: a third of the requests are batches.
    Operation op = random.nextInt(3) == 0 ? operation("createBatch") : operations.get(random.nextInt(operations.size()));
    String path = op.path();
    for (Object p : op.parameters()) {
      JsonObject param = (JsonObject) p;
      if ("path".equals(param.getString("in"))) {
        path = path.replace("{" + param.getString("name") + "}", pathValue(random, param));
      }
    }
    String target = path + (random.nextInt(8) == 0 || hasQuery(op) ? "?" + query(random, op.parameters()) : "");
    for (Object p : op.parameters()) {
      JsonObject param = (JsonObject) p;
      if ("header".equals(param.getString("in")) && random.nextInt(3) > 0) {
        headers.put(param.getString("name"), headerValue(random));
      }
    }
    if (random.nextInt(10) == 0) {
      headers.put("X-" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36), headerValue(random));
    }
    byte[] body = null;
    Object tree = null;
    if (op.body() != null) {
      int kind = random.nextInt(20);
      headers.put("Content-Type", kind == 0 ? "text/plain" : kind == 1 ? "application/json; charset=latin1"
        : "application/json");
      if (kind < 16) {
        tree = "createBatch".equals(op.id()) && random.nextBoolean() ? plausibleBatch(random)
          : value(random, op.body(), 0, op.id());
        body = json(random, tree).getBytes(StandardCharsets.UTF_8);
        if (kind == 15) {
          body = mutate(random, body);
        }
      } else {
        String[] junk = {"", "null", "[]", "{", "\"x\"", "[".repeat(5000), "{\"a\":".repeat(3000) + "1" + "}".repeat(3000),
          "{\"recipients\":" + "[".repeat(200) + "]".repeat(200) + "}", "campaign=x&template=y"};
        body = junk[random.nextInt(junk.length)].getBytes(StandardCharsets.UTF_8);
      }
    }
    return new Request(op, op.method(), target, headers, body, tree, asGlobex);
  }

  private static Operation operation(String id) {
    return operations.stream().filter(o -> o.id().equals(id)).findFirst().orElseThrow();
  }

  private static boolean hasQuery(Operation op) {
    return op.parameters().stream().anyMatch(p -> "query".equals(((JsonObject) p).getString("in")));
  }

  private static String pathValue(Random random, JsonObject param) {
    JsonObject schema = param.getJsonObject("schema", new JsonObject());
    int kind = random.nextInt(10);
    if (kind == 0) {
      return rawEscapes(random);
    }
    if (kind <= 5) {
      if ("uuid".equals(schema.getString("format"))) {
        return new UUID(random.nextLong(), random.nextLong()).toString();
      }
      if (schema.getString("pattern", "").contains("0-9]{1,18}")) {
        return Long.toString(random.nextInt(1000));
      }
      return random.nextBoolean() ? "welcome" : "echo";
    }
    return pathSegment(random);
  }

  private static String pathSegment(Random random) {
    return URLEncoder.encode(string(random), StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Percent-escapes that do not decode: bad hex, cut short, or bytes that are not UTF-8. */
  private static String rawEscapes(Random random) {
    String[] bad = {"%ZZ", "%", "%%%", "%4", "%ED%A0%80", "%C3%28", "%FF", "%00", "a%2Fb", "%E2%82"};
    return "x" + bad[random.nextInt(bad.length)] + (random.nextBoolean() ? "" : bad[random.nextInt(bad.length)]);
  }

  private static String query(Random random, JsonArray parameters) {
    List<String> parts = new ArrayList<>();
    for (Object p : parameters) {
      JsonObject param = (JsonObject) p;
      if ("query".equals(param.getString("in")) && random.nextInt(4) > 0) {
        JsonObject schema = param.getJsonObject("schema", new JsonObject());
        String value = schema.containsKey("enum") && random.nextBoolean()
          ? schema.getJsonArray("enum").getString(random.nextInt(schema.getJsonArray("enum").size()))
          : "integer".equals(schema.getString("type")) && random.nextBoolean()
          ? Long.toString(random.nextInt(3000) - 10) : string(random);
        parts.add(param.getString("name") + "=" + (random.nextInt(12) == 0 ? rawEscapes(random)
          : URLEncoder.encode(value, StandardCharsets.UTF_8)));
      }
    }
    if (parts.isEmpty() || random.nextInt(5) == 0) {
      parts.add(random.nextInt(4) == 0 ? rawEscapes(random) : URLEncoder.encode(string(random), StandardCharsets.UTF_8)
        + "=" + URLEncoder.encode(string(random), StandardCharsets.UTF_8));
    }
    return String.join("&", parts);
  }

  private static String headerValue(Random random) {
    return switch (random.nextInt(6)) {
      case 0 -> ascii(random, 1 + random.nextInt(300));
      case 1 -> "k-" + new UUID(random.nextLong(), random.nextLong());
      case 2 -> "caf\u00e9 \u00ff";
      case 3 -> " padded ";
      default -> ascii(random, 1 + random.nextInt(40));
    };
  }

  private static String ascii(Random random, int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append((char) ('!' + random.nextInt(94)));
    }
    return out.toString();
  }

  private static String string(Random random) {
    switch (random.nextInt(5)) {
      case 0, 1:
        return NASTY[random.nextInt(NASTY.length)];
      case 2: {
        // Any UTF-16 code units, unpaired surrogates and controls included.
        StringBuilder out = new StringBuilder();
        for (int i = random.nextInt(12); i > 0; i--) {
          out.append((char) random.nextInt(0x10000));
        }
        return out.toString();
      }
      case 3: {
        StringBuilder out = new StringBuilder();
        for (int i = 1 + random.nextInt(6); i > 0; i--) {
          out.appendCodePoint(random.nextBoolean() ? 0x1F300 + random.nextInt(0x300) : 0x20 + random.nextInt(0x3000));
        }
        return out.toString();
      }
      default:
        return "v" + random.nextInt(1000);
    }
  }

  /** A JSON value for {@code schema}, mostly of its shape, sometimes of another type or with extra members. */
  private static Object value(Random random, JsonObject schema, int depth, String where) {
    schema = resolve(schema);
    if (random.nextInt(25) == 0 || depth > 6) {
      return anyValue(random, depth);
    }
    if (schema.containsKey("enum") && random.nextInt(5) > 0) {
      JsonArray values = schema.getJsonArray("enum");
      return values.getValue(random.nextInt(values.size()));
    }
    String type = schema.getString("type", "object");
    switch (type) {
      case "object": {
        Map<String, Object> object = new LinkedHashMap<>();
        JsonObject properties = schema.getJsonObject("properties", new JsonObject());
        Set<String> required = new HashSet<>();
        schema.getJsonArray("required", new JsonArray()).forEach(r -> required.add((String) r));
        for (String name : properties.fieldNames()) {
          if (random.nextInt(10) < (required.contains(name) ? 9 : 4)) {
            object.put(name, special(random, where, name, depth).orElseGet(() ->
              value(random, properties.getJsonObject(name), depth + 1, where)));
          }
        }
        if (properties.isEmpty() || random.nextInt(12) == 0) {
          for (int i = random.nextInt(4); i > 0; i--) {
            object.put(random.nextBoolean() ? "v" + random.nextInt(9) : string(random), anyValue(random, depth + 1));
          }
        }
        return object;
      }
      case "array": {
        List<Object> list = new ArrayList<>();
        JsonObject items = schema.getJsonObject("items", new JsonObject());
        for (int i = random.nextInt(random.nextInt(8) == 0 ? 40 : 4); i > 0; i--) {
          list.add(value(random, items, depth + 1, where));
        }
        return list;
      }
      case "integer":
        return switch (random.nextInt(6)) {
          case 0 -> Long.MAX_VALUE;
          case 1 -> -random.nextInt(100);
          case 2 -> new java.math.BigInteger("9".repeat(30));
          default -> schema.getInteger("minimum", 0) + random.nextInt(100);
        };
      case "boolean":
        return random.nextBoolean();
      default:
        return string(random);
    }
  }

  /** Fields whose useful values a schema cannot say: recipients, templates, channels, variables. */
  private static java.util.Optional<Object> special(Random random, String where, String name, int depth) {
    if (random.nextInt(4) == 0) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.ofNullable(switch (name) {
      case "recipients" -> {
        List<Object> recipients = new ArrayList<>();
        for (int i = random.nextInt(random.nextInt(6) == 0 ? 30 : 5); i >= 0; i--) {
          recipients.add(recipient(random, depth));
        }
        yield recipients;
      }
      case "template" -> random.nextBoolean() ? "echo" : "welcome";
      case "campaign" -> "c-" + string(random);
      case "send_at" -> random.nextBoolean() ? "2026-01-01T00:00:00Z" : "2099-12-31T23:59:59+03:00";
      case "ttl_seconds" -> 3600;
      case "template_version" -> 1;
      case "channels" -> new ArrayList<>(List.of(random.nextBoolean() ? "chat" : "email"));
      case "variables" -> variables(random, depth);
      case "locales" -> {
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("text", random.nextBoolean() ? "Hi {{text}}" : string(random));
        Map<String, Object> channels = new LinkedHashMap<>();
        channels.put(random.nextInt(5) == 0 ? string(random) : "sms", parts);
        Map<String, Object> locales = new LinkedHashMap<>();
        locales.put(random.nextInt(5) == 0 ? string(random) : "en", channels);
        yield locales;
      }
      default -> null;
    });
  }

  /** A batch right in every field but the hostile text in its recipients' ids, addresses and variables. */
  private static Map<String, Object> plausibleBatch(Random random) {
    Map<String, Object> batch = new LinkedHashMap<>();
    batch.put("campaign", "c-" + random.nextInt(50));
    batch.put("template", "echo");
    batch.put("channels", new ArrayList<>(List.of("chat")));
    List<Object> recipients = new ArrayList<>();
    for (int i = 1 + random.nextInt(5); i > 0; i--) {
      Map<String, Object> recipient = new LinkedHashMap<>();
      recipient.put("id", random.nextBoolean() ? "r" + random.nextLong() : string(random));
      recipient.put("addresses", new LinkedHashMap<>(Map.of("chat", random.nextBoolean() ? "u" + i : string(random))));
      Map<String, Object> variables = new LinkedHashMap<>();
      variables.put("text", string(random));
      recipient.put("variables", variables);
      recipients.add(recipient);
    }
    batch.put("recipients", recipients);
    return batch;
  }

  private static Map<String, Object> recipient(Random random, int depth) {
    Map<String, Object> recipient = new LinkedHashMap<>();
    recipient.put("id", random.nextInt(3) == 0 ? "r" + random.nextInt(1_000_000) : string(random));
    Map<String, Object> addresses = new LinkedHashMap<>();
    addresses.put(random.nextBoolean() ? "chat" : "email", random.nextBoolean() ? "u" + random.nextInt(9999) + "@example.com"
      : string(random));
    recipient.put("addresses", addresses);
    if (random.nextBoolean()) {
      recipient.put("variables", variables(random, depth));
    }
    if (random.nextInt(4) == 0) {
      recipient.put("locale", random.nextBoolean() ? "tr-TR" : string(random));
    }
    if (random.nextInt(4) == 0) {
      recipient.put("time_zone", random.nextBoolean() ? "Europe/Istanbul" : string(random));
    }
    if (random.nextInt(15) == 0) {
      recipient.put(string(random), anyValue(random, depth));
    }
    return recipient;
  }

  private static Map<String, Object> variables(Random random, int depth) {
    Map<String, Object> variables = new LinkedHashMap<>();
    for (int i = random.nextInt(5); i > 0; i--) {
      String[] names = {"text", "subject", "html", "title", "body", "first_name", "items"};
      variables.put(random.nextInt(6) == 0 ? string(random) : names[random.nextInt(names.length)],
        anyValue(random, depth + 1));
    }
    return variables;
  }

  private static Object anyValue(Random random, int depth) {
    int kind = random.nextInt(depth > 8 ? 5 : 8);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return random.nextBoolean();
      case 2:
        return random.nextInt(3) == 0 ? random.nextDouble() * 1e300 : random.nextLong();
      case 3, 4:
        return string(random);
      case 5, 6: {
        List<Object> list = new ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
          list.add(anyValue(random, depth + 1));
        }
        return list;
      }
      default: {
        Map<String, Object> object = new LinkedHashMap<>();
        for (int i = random.nextInt(4); i > 0; i--) {
          object.put(string(random), anyValue(random, depth + 1));
        }
        return object;
      }
    }
  }

  private static JsonObject resolve(JsonObject schema) {
    String ref = schema.getString("$ref");
    return ref == null ? schema : schemas.getJsonObject(ref.substring(ref.lastIndexOf('/') + 1));
  }

  /**
   * JSON text of a value, written here rather than by Jackson so that strings reach the gateway as a
   * hostile client spells them: an unpaired surrogate as its {@code \\uXXXX} escape (Jackson would
   * write it as {@code ?}), other characters raw or escaped at random.
   */
  static String json(Random random, Object value) {
    StringBuilder out = new StringBuilder();
    write(random, value, out);
    return out.toString();
  }

  private static void write(Random random, Object value, StringBuilder out) {
    if (value instanceof String text) {
      quote(random, text, out);
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        out.append(first ? "" : ",");
        first = false;
        quote(random, String.valueOf(e.getKey()), out);
        out.append(':');
        write(random, e.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        out.append(i == 0 ? "" : ",");
        write(random, list.get(i), out);
      }
      out.append(']');
    } else if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
      out.append("1e400");
    } else {
      out.append(value);
    }
  }

  private static void quote(Random random, String text, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
      boolean escape = random.nextInt(50) == 0;
      if (pair) {
        char low = text.charAt(++i);
        if (escape) {
          out.append(String.format("\\u%04x\\u%04x", (int) c, (int) low));
        } else {
          out.append(c).append(low);
        }
      } else if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || Character.isSurrogate(c) || escape) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }

  private static byte[] mutate(Random random, byte[] body) {
    byte[] mutant = body.clone();
    for (int e = 1 + random.nextInt(3); e > 0 && mutant.length > 0; e--) {
      int at = random.nextInt(mutant.length);
      switch (random.nextInt(3)) {
        case 0 -> mutant[at] = (byte) random.nextInt(256);
        case 1 -> mutant = java.util.Arrays.copyOf(mutant, at);
        default -> mutant[at] = (byte) "{}[]\",:\\u0".charAt(random.nextInt(10));
      }
    }
    return mutant;
  }
}
