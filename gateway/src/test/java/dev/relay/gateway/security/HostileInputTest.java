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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile and malformed input at every door that takes a body: the batch API and each provider's
 * webhook. Whatever arrives, the answer is never a 5xx, the process keeps answering, and nothing
 * corrupt is stored: what is stored is exactly what the 202 answers accepted, with no NUL, CR or LF
 * in any address or id.
 */
@DisplayName("Hostile input")
class HostileInputTest {

  private static final String[] NASTY = {
    "'; DROP TABLE messages; --", "\" OR 1=1 --", "$1", "%s%s%s%n", "{{#x}}{{/x}}{{> partial}}{{{html}}}",
    "<script>alert(1)</script>", "a\u0000b", "line\r\nBcc: victim@example.com", "\uD800", "\uFFFF",
    "../../../../etc/passwd", "${jndi:ldap://127.0.0.1/a}", "😀".repeat(50), "\u202Egnp.exe", " ", ""};

  private static TestGateway gateway;
  private static String key;
  private static int tried;
  private static long acceptedTotal;

  @BeforeAll
  static void start() {
    JsonArray accounts = new JsonArray()
      .add(new JsonObject().put("name", "sandbox-email").put("adapter", "sandbox-email")
        .put("settings", new JsonObject().put("url", "http://127.0.0.1:1")))
      .add(new JsonObject().put("name", "twilio").put("adapter", "sms-twilio").put("settings", new JsonObject()
        .put("account-sid", "AC0123456789abcdef0123456789abcdef").put("auth-token", "twilio-token")
        .put("from", "+15005550006").put("base-url", "http://127.0.0.1:1")))
      .add(new JsonObject().put("name", "slack").put("adapter", "social-slack").put("settings", new JsonObject()
        .put("bot-token", "xoxb-test").put("signing-secret", "slack-signing-secret").put("base-url", "http://127.0.0.1:1")))
      .add(new JsonObject().put("name", "telegram").put("adapter", "social-telegram").put("settings", new JsonObject()
        .put("bot-token", "123:abc").put("webhook-secret", "telegram-secret").put("base-url", "http://127.0.0.1:1")))
      .add(new JsonObject().put("name", "whatsapp").put("adapter", "social-whatsapp").put("settings", new JsonObject()
        .put("access-token", "wa-token").put("phone-number-id", "1234").put("app-secret", "wa-app-secret")
        .put("base-url", "http://127.0.0.1:1")));
    // Dispatch off: what is stored stays as intake stored it.
    gateway = TestGateway.withAccounts(accounts, Map.of(Setting.DISPATCH_ENABLED, "false"));
    key = gateway.apiKey("acme");
  }

  @AfterAll
  static void stop() throws Exception {
    System.out.printf("hostile inputs tried: %d, recipients accepted: %d%n", tried, acceptedTotal);
    gateway.close();
  }

  private static HttpResponse<Buffer> send(HttpRequest<Buffer> request, Buffer body) {
    tried++;
    HttpResponse<Buffer> response = await(request.sendBuffer(body));
    assertThat(response.statusCode()).as("answer to %s", preview(body)).isLessThan(500);
    if (response.statusCode() == 202) {
      acceptedTotal += response.bodyAsJsonObject().getInteger("accepted");
    }
    return response;
  }

  private static String preview(Buffer body) {
    String text = body.toString(StandardCharsets.UTF_8);
    return text.length() > 160 ? text.substring(0, 160) + "… (" + body.length() + " bytes)" : text;
  }

  private static HttpResponse<Buffer> postBatch(Buffer body) {
    return send(gateway.post("/v1/batches", key), body);
  }

  @Test
  @DisplayName("POST /v1/batches: structural attacks, nasty strings in every field, and 600 random mutations")
  void batches() {
    // Deep nesting, in the body and inside variables.
    postBatch(Buffer.buffer("[".repeat(100_000) + "]".repeat(100_000)));
    JsonObject deep = Batches.batch("deep", "d", 1);
    String nested = "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000);
    postBatch(Buffer.buffer(deep.encode().replace("\"recipients\":[", "\"x\":" + nested + ",\"recipients\":[")));
    JsonObject withDeepVariables = Batches.batch("deep", "v", 1);
    String text = withDeepVariables.encode().replace("\"variables\":{", "\"variables\":{\"n\":" + nested + ",");
    postBatch(Buffer.buffer(text));
    // Huge strings, invalid UTF-8, NUL bytes, truncated JSON, not JSON, duplicate keys.
    postBatch(Buffer.buffer(Batches.batch("huge", "h", 1).encode().replace("\"h-0\"", "\"" + "h".repeat(2_000_000) + "\"")));
    byte[] invalid = Batches.batch("utf8", "u", 1).encode().getBytes(StandardCharsets.UTF_8);
    invalid[invalid.length / 2] = (byte) 0xC3;
    invalid[invalid.length / 2 + 1] = (byte) 0x28;
    postBatch(Buffer.buffer(invalid));
    postBatch(Buffer.buffer("{\"campaign\":\"nul\u0000\"}".getBytes(StandardCharsets.UTF_8)));
    postBatch(Buffer.buffer(Batches.batch("trunc", "t", 3).encode().substring(0, 40)));
    postBatch(Buffer.buffer("campaign=x&template=y"));
    postBatch(Buffer.buffer("{\"campaign\":\"a\",\"campaign\":\"b\"}"));
    postBatch(Buffer.buffer("null"));
    postBatch(Buffer.buffer("[]"));
    postBatch(Buffer.buffer(""));

    // Every nasty string in every field of the envelope and of a recipient.
    String[] envelopeFields = {"campaign", "template", "priority", "send_at", "ttl_seconds"};
    for (String nasty : NASTY) {
      for (String field : envelopeFields) {
        postBatch(Batches.batch("nasty", "n", 1).put(field, nasty).toBuffer());
      }
      postBatch(Batches.batch("nasty", "n", 1).put("channels", new JsonArray().add(nasty)).toBuffer());
      JsonObject batch = Batches.batch("nasty", "n", 1);
      JsonObject recipient = batch.getJsonArray("recipients").getJsonObject(0);
      recipient.put("id", nasty);
      postBatch(batch.toBuffer());
      batch = Batches.batch("nasty", "n", 1);
      batch.getJsonArray("recipients").getJsonObject(0).getJsonObject("addresses").put("email", "x" + nasty + "@example.com");
      postBatch(batch.toBuffer());
      batch = Batches.batch("nasty", "n", 1);
      batch.getJsonArray("recipients").getJsonObject(0).put("locale", nasty).put("time_zone", nasty);
      postBatch(batch.toBuffer());
      batch = Batches.batch("nasty", "n", 1);
      batch.getJsonArray("recipients").getJsonObject(0).put("variables", new JsonObject().put(nasty, nasty));
      postBatch(batch.toBuffer());
    }

    // Random mutations of a valid body: byte flips, cuts, duplications, insertions, with a fixed seed.
    Random random = new Random(20261122L);
    byte[] valid = Batches.batch("mutant", "m", 5).encode().getBytes(StandardCharsets.UTF_8);
    byte[] alphabet = "{}[]\",:\\0123456789abcdefnrtu \u0000\r\n\u00ff".getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < 600; i++) {
      byte[] mutant = valid.clone();
      int edits = 1 + random.nextInt(4);
      for (int e = 0; e < edits; e++) {
        int at = random.nextInt(mutant.length);
        switch (random.nextInt(4)) {
          case 0 -> mutant[at] = alphabet[random.nextInt(alphabet.length)];
          case 1 -> mutant = java.util.Arrays.copyOf(mutant, Math.max(1, at));
          case 2 -> {
            byte[] longer = new byte[mutant.length + 1];
            System.arraycopy(mutant, 0, longer, 0, at);
            longer[at] = alphabet[random.nextInt(alphabet.length)];
            System.arraycopy(mutant, at, longer, at + 1, mutant.length - at);
            mutant = longer;
          }
          default -> mutant[at] = (byte) random.nextInt(256);
        }
      }
      postBatch(Buffer.buffer(mutant));
    }

    // An oversized header, and a header with a line break in its value.
    HttpResponse<Buffer> big = await(gateway.post("/v1/batches", key).putHeader("X-Big", "a".repeat(64 * 1024))
      .sendBuffer(Batches.batch("big", "b", 1).toBuffer()));
    tried++;
    assertThat(big.statusCode()).isBetween(400, 499);

    assertStoredIsClean();
    assertThat(await(gateway.get("/health/live", null).send()).statusCode()).isEqualTo(200);
  }

  private static void assertStoredIsClean() {
    assertThat(acceptedTotal).as("some hostile-looking but valid batches (nasty variables) were accepted").isPositive();
    assertThat(gateway.database().count("SELECT count(*) FROM messages")).as("stored = accepted").isEqualTo(acceptedTotal);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id ~ '[\\x01-\\x1f]' "
      + "OR addresses::text ~ '\\\\u0000|\\\\r|\\\\n' OR recipient_id = ''")).as("corrupt messages").isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE addresses ->> 'email' IS NOT NULL "
      + "AND addresses ->> 'email' !~ '^[^@\\s]+@[^@\\s]+$'")).as("stored invalid addresses").isZero();
  }

  @Test
  @DisplayName("PUT /v1/templates/{name}: template injection, malformed definitions and 300 random mutations")
  void templates() {
    JsonObject valid = new JsonObject().put("description", "fuzz").put("locales", new JsonObject().put("en",
      new JsonObject().put("email", new JsonObject().put("subject", "Hi {{name}}").put("html", "<p>{{name}}</p>")
        .put("text", "{{name}}")).put("sms", new JsonObject().put("text", "Hi {{name}}"))));
    String[] bodies = {
      "{{#a}}".repeat(20_000) + "x" + "{{/a}}".repeat(20_000), "{{> /etc/passwd}}", "{{=<% %>=}}<% name %>",
      "{{{name}}}", "{{&name}}", "{{#name}}{{/other}}", "{{name", "}}{{", "{{!comment", "{{class.forName}}",
      "{{name.getClass.getClassLoader}}", "{{#format_date}}{{/format_date}}", "{{#format_money}}x y z{{/format_money}}",
      "a\u0000b", "<script>{{name}}</script>", "x".repeat(2_000_000)};
    for (String body : bodies) {
      for (String part : new String[] {"subject", "html", "text"}) {
        JsonObject definition = valid.copy();
        definition.getJsonObject("locales").getJsonObject("en").getJsonObject("email").put(part, body);
        putTemplate("fuzz", definition.toBuffer());
      }
    }
    for (String nasty : NASTY) {
      putTemplate("fuzz", valid.copy().put("missing_variables", nasty).toBuffer());
      putTemplate("fuzz", new JsonObject().put("locales", new JsonObject().put(nasty, new JsonObject()
        .put("sms", new JsonObject().put("text", nasty)))).toBuffer());
      putTemplate("fuzz", new JsonObject().put("locales", new JsonObject().put("en", new JsonObject()
        .put(nasty, new JsonObject().put("text", "x")))).toBuffer());
      putTemplate(java.net.URLEncoder.encode(nasty, StandardCharsets.UTF_8).replace("+", "%20"), valid.toBuffer());
    }
    putTemplate("fuzz", Buffer.buffer("{\"locales\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}"));
    putTemplate("fuzz", Buffer.buffer(new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', ':', '1', '}'}));
    Random random = new Random(42L);
    byte[] base = valid.encode().getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 300; i++) {
      byte[] mutant = base.clone();
      for (int e = 0; e <= random.nextInt(3); e++) {
        mutant[random.nextInt(mutant.length)] = (byte) "{}[]\":,\\#/^!>&=x \u0000".charAt(random.nextInt(17));
      }
      putTemplate("mutant", Buffer.buffer(mutant));
    }
    HttpResponse<Buffer> ok = putTemplate("fuzz-after", valid.toBuffer());
    assertThat(ok.statusCode()).as(ok.bodyAsString()).isEqualTo(201);
    // Every version stored compiles: rendering them in preview never fails with a 5xx either.
    HttpResponse<Buffer> preview = send(gateway.post("/v1/templates/fuzz/preview", key),
      new JsonObject().put("variables", new JsonObject().put("name", "{{#x}}<b>\r\n")).toBuffer());
    assertThat(preview.statusCode()).isIn(200, 404, 422);
  }

  private static HttpResponse<Buffer> putTemplate(String name, Buffer body) {
    return send(gateway.post("/v1/templates/" + name, key).method(HttpMethod.PUT), body);
  }

  @Test
  @DisplayName("each provider's webhook: unsigned, forged, malformed and oversized calls are answered 4xx and stored nowhere")
  void webhooks() {
    long before = gateway.database().count("SELECT (SELECT count(*) FROM webhook_receipts) + (SELECT count(*) FROM webhook_events)");
    String[] paths = {"sms-twilio/twilio", "social-slack/slack", "social-telegram/telegram", "social-whatsapp/whatsapp",
      "sandbox-email/sandbox-email", "nope/nope", "sms-twilio/nope", "social-slack/twilio", "..%2F..%2Fadmin/x"};
    Random random = new Random(7L);
    List<Buffer> bodies = new ArrayList<>();
    bodies.add(Buffer.buffer(""));
    bodies.add(Buffer.buffer("MessageSid=SM1&MessageStatus=delivered"));
    bodies.add(Buffer.buffer("{\"type\":\"event_callback\",\"event_id\":\"Ev1\"}"));
    bodies.add(Buffer.buffer("{\"update_id\":1,\"message\":{\"text\":\"/stop\",\"chat\":{\"id\":1}}}"));
    bodies.add(Buffer.buffer("{\"entry\":[{\"changes\":[{\"value\":{\"statuses\":[{\"id\":\"wamid.1\",\"status\":\"read\"}]}}]}]}"));
    bodies.add(Buffer.buffer("[".repeat(50_000)));
    bodies.add(Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 0, 0x41}));
    bodies.add(Buffer.buffer("x=" + "y".repeat(2 * 1024 * 1024)));
    for (String nasty : NASTY) {
      bodies.add(Buffer.buffer("MessageSid=" + nasty + "&MessageStatus=" + nasty));
      bodies.add(Buffer.buffer(new JsonObject().put("type", nasty).put("event_id", nasty).encode()));
    }
    for (int i = 0; i < 50; i++) {
      byte[] noise = new byte[random.nextInt(2048)];
      random.nextBytes(noise);
      bodies.add(Buffer.buffer(noise));
    }
    String[][] headerSets = {
      {},
      {"X-Twilio-Signature", "Zm9yZ2Vk"},
      {"X-Slack-Signature", "v0=deadbeef", "X-Slack-Request-Timestamp", Long.toString(System.currentTimeMillis() / 1000)},
      {"X-Slack-Signature", "v0=deadbeef", "X-Slack-Request-Timestamp", "-99999999999999999999"},
      {"X-Telegram-Bot-Api-Secret-Token", "wrong"},
      {"X-Hub-Signature-256", "sha256=00"},
      {"X-Hub-Signature-256", "sha256=" + "z".repeat(4000)},
    };
    for (String path : paths) {
      for (Buffer body : bodies) {
        for (String[] headers : headerSets) {
          HttpRequest<Buffer> request = gateway.get("/v1/webhooks/" + path, null).method(HttpMethod.POST)
            .putHeader("Content-Type", body.length() > 0 && body.getByte(0) == '{' ? "application/json"
              : "application/x-www-form-urlencoded");
          for (int h = 0; h + 1 < headers.length; h += 2) {
            request.putHeader(headers[h], headers[h + 1]);
          }
          HttpResponse<Buffer> response = send(request, body);
          assertThat(response.statusCode()).as("POST /v1/webhooks/%s %s", path, preview(body)).isBetween(400, 499);
        }
      }
    }
    assertThat(gateway.database().count("SELECT (SELECT count(*) FROM webhook_receipts) + (SELECT count(*) FROM webhook_events)"))
      .as("nothing stored from unverified calls").isEqualTo(before);
    assertThat(await(gateway.get("/health/live", null).send()).statusCode()).isEqualTo(200);
  }
}
