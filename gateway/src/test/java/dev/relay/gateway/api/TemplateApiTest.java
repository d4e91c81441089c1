package dev.relay.gateway.api;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The template API, and templates at intake and dispatch")
class TemplateApiTest {

  private static TestGateway gateway;
  private static String acme;
  private static String globex;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(Map.of(Setting.HTTP_PUBLIC_BASE_URL, "https://relay.example.com"));
    acme = gateway.apiKey("acme");
    globex = gateway.apiKey("globex");
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static JsonObject smsTemplate(String text) {
    return new JsonObject().put("description", "sms only")
      .put("locales", new JsonObject().put("en", new JsonObject().put("sms", new JsonObject().put("text", text))));
  }

  private static HttpResponse<Buffer> put(String key, String name, JsonObject body) {
    return await(gateway.post("/v1/templates/" + name, key).method(io.vertx.core.http.HttpMethod.PUT).sendJsonObject(body));
  }

  private static HttpResponse<Buffer> post(String key, String path, JsonObject body) {
    return await(gateway.post(path, key).sendJsonObject(body));
  }

  private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  @Test
  @DisplayName("A syntax error at PUT is 422 naming the part, line and column, and stores nothing")
  void syntaxError() {
    HttpResponse<Buffer> response = put(acme, "broken", new JsonObject().put("locales", new JsonObject()
      .put("tr", new JsonObject().put("email", new JsonObject().put("subject", "Merhaba")
        .put("html", "<p>Merhaba</p>\n<p>{{#offer}}{{code}}</p>")))));
    assertThat(response.statusCode()).isEqualTo(422);
    JsonObject problem = response.bodyAsJsonObject();
    assertThat(problem.getString("type")).isEqualTo("urn:relay:problem:template-syntax");
    assertThat(problem.getInteger("line")).isEqualTo(2);
    assertThat(problem.getInteger("column")).isEqualTo(4);
    assertThat(problem.getString("detail")).contains("locale tr, email html, line 2, column 4")
      .contains("'offer' is never closed");
    assertThat(await(gateway.get("/v1/templates/broken", acme).send()).statusCode()).isEqualTo(404);

    HttpResponse<Buffer> invalid = put(acme, "broken", new JsonObject().put("locales", new JsonObject()
      .put("en", new JsonObject().put("fax", new JsonObject().put("text", "hi")))));
    assertThat(invalid.statusCode()).isEqualTo(422);
    assertThat(invalid.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:invalid-template");
    assertThat(invalid.bodyAsJsonObject().getString("detail")).contains("'fax' is not a channel");
  }

  @Test
  @DisplayName("PUT takes a chat part with a whatsapp_template and preview renders it; one WhatsApp would refuse is 422")
  void whatsAppTemplatePart() {
    JsonObject chat = new JsonObject().put("text", "Hi {{first_name}}").put("whatsapp_template", new JsonObject()
      .put("name", "order_shipped").put("language", "en_US").put("components", new JsonArray().add(new JsonObject()
        .put("type", "body").put("parameters", new JsonArray().add(new JsonObject().put("type", "text")
          .put("text", "{{first_name}}"))))));
    HttpResponse<Buffer> created = put(acme, "shipped-wa", new JsonObject().put("locales", new JsonObject()
      .put("en", new JsonObject().put("chat", chat))));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    HttpResponse<Buffer> preview = post(acme, "/v1/templates/shipped-wa/preview", new JsonObject()
      .put("variables", new JsonObject().put("first_name", "Ada")));
    assertThat(preview.statusCode()).as(preview.bodyAsString()).isEqualTo(200);
    assertThat(preview.bodyAsJsonObject().getJsonObject("channels").getJsonObject("chat")
      .getJsonObject("whatsapp_template").getJsonArray("components").getJsonObject(0).getJsonArray("parameters")
      .getJsonObject(0).getString("text")).isEqualTo("Ada");

    HttpResponse<Buffer> refused = put(acme, "shipped-wa", new JsonObject().put("locales", new JsonObject()
      .put("en", new JsonObject().put("chat", new JsonObject().put("whatsapp_template", new JsonObject()
        .put("name", "order_shipped"))))));
    assertThat(refused.statusCode()).isEqualTo(422);
    assertThat(refused.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:invalid-template");
    assertThat(refused.bodyAsJsonObject().getString("detail")).contains("language");
  }

  @Test
  @DisplayName("PUT makes versions; GET lists them; another tenant sees none of them")
  void versionsAndIsolation() {
    HttpResponse<Buffer> first = put(acme, "promo", smsTemplate("First {{name}}"));
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.bodyAsJsonObject().getInteger("version")).isEqualTo(1);
    assertThat(put(acme, "promo", smsTemplate("Second {{name}}")).bodyAsJsonObject().getInteger("version")).isEqualTo(2);

    JsonObject list = await(gateway.get("/v1/templates/promo", acme).send()).bodyAsJsonObject();
    assertThat(list.getJsonArray("versions").stream().map(v -> ((JsonObject) v).getInteger("version"))
      .collect(Collectors.toList())).containsExactly(1, 2);
    assertThat(list.getJsonArray("versions").getJsonObject(0).getString("source")).isEqualTo("tenant");

    HttpResponse<Buffer> other = await(gateway.get("/v1/templates/promo", globex).send());
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(other.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:template-not-found");
    assertThat(post(globex, "/v1/templates/promo/preview", new JsonObject()).statusCode()).isEqualTo(404);
    assertThat(gateway.postBatch(globex, null, Batches.batch("c", "g", 1).put("template", "promo")).statusCode())
      .isEqualTo(422);

    JsonObject shipped = await(gateway.get("/v1/templates/welcome", globex).send()).bodyAsJsonObject();
    assertThat(shipped.getJsonArray("versions").getJsonObject(0).getString("source")).isEqualTo("shipped");
  }

  @Test
  @DisplayName("A batch naming a template or version that does not exist is 422 unknown-template and stores nothing")
  void unknownTemplate() {
    long before = gateway.database().count("SELECT count(*) FROM batches");
    HttpResponse<Buffer> none = gateway.postBatch(acme, null, Batches.batch("c", "u", 1).put("template", "nope"));
    assertThat(none.statusCode()).isEqualTo(422);
    assertThat(none.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:unknown-template");
    assertThat(none.bodyAsJsonObject().getString("template")).isEqualTo("nope");
    HttpResponse<Buffer> version = gateway.postBatch(acme, null, Batches.batch("c", "u", 1).put("template_version", 99));
    assertThat(version.statusCode()).isEqualTo(422);
    assertThat(version.bodyAsJsonObject().getString("detail")).contains("'welcome' has no version 99");
    assertThat(gateway.database().count("SELECT count(*) FROM batches")).isEqualTo(before);
  }

  @Test
  @DisplayName("A batch keeps the version it was accepted with: a newer version does not change what it sends")
  void acceptedBatchKeepsItsVersion() throws Exception {
    put(acme, "pinned", smsTemplate("v1 for {{name}}"));
    JsonObject recipient = new JsonObject().put("id", "p-1").put("addresses", new JsonObject().put("sms", "+905551110001"))
      .put("variables", new JsonObject().put("name", "Ayşe"));
    JsonObject batch = Batches.envelope("pinning").put("template", "pinned").put("channels", new JsonArray().add("sms"))
      .put("send_at", java.time.OffsetDateTime.now().plusSeconds(2).toString())
      .put("recipients", new JsonArray().add(recipient));
    HttpResponse<Buffer> accepted = gateway.postBatch(acme, null, batch);
    assertThat(accepted.statusCode()).isEqualTo(202);
    put(acme, "pinned", smsTemplate("v2 for {{name}}"));
    String id = accepted.bodyAsJsonObject().getString("batch_id");
    JsonObject status = await(gateway.get("/v1/batches/" + id, acme).send()).bodyAsJsonObject();
    assertThat(status.getJsonObject("template")).isEqualTo(new JsonObject().put("name", "pinned").put("version", 1));
    eventually("sent", () -> receipts("p-1").size() == 1);
    assertThat(receipts("p-1").get(0).content().getString("text")).isEqualTo("v1 for Ayşe");
  }

  @Test
  @DisplayName("Preview renders every part of a shipped template with tracking; a missing variable is 422 naming it")
  void preview() {
    HttpResponse<Buffer> response = post(acme, "/v1/templates/abandoned-cart/preview", new JsonObject()
      .put("locale", "tr-TR").put("time_zone", "Europe/Istanbul")
      .put("variables", new JsonObject().put("first_name", "<b>Ayşe</b>").put("cart_total", "99.9")
        .put("currency", "TRY").put("cart_url", "https://shop.example.com/c/1")));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    JsonObject preview = response.bodyAsJsonObject();
    assertThat(preview.getString("locale")).isEqualTo("tr");
    JsonObject channels = preview.getJsonObject("channels");
    assertThat(channels.fieldNames()).containsExactlyInAnyOrder("email", "sms", "push", "chat");
    JsonObject email = channels.getJsonObject("email");
    assertThat(email.getString("html")).contains("&lt;b&gt;Ayşe&lt;/b&gt;").contains("₺99,90")
      .contains("https://relay.example.com/t/o/").contains("href=\"https://relay.example.com/t/c/");
    assertThat(email.getString("subject")).isEqualTo("<b>Ayşe</b>, sepetinde ürün unuttun");
    assertThat(email.getString("list_unsubscribe")).startsWith("https://relay.example.com/u/");
    assertThat(channels.getJsonObject("sms").getString("text")).contains("https://relay.example.com/t/c/");

    HttpResponse<Buffer> missing = post(acme, "/v1/templates/one-time-code/preview", new JsonObject()
      .put("variables", new JsonObject().put("brand", "Acme").put("valid_minutes", 5)));
    assertThat(missing.statusCode()).isEqualTo(422);
    assertThat(missing.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:render-failed");
    assertThat(missing.bodyAsJsonObject().getString("detail")).contains("variable 'code' is missing");
  }

  @Test
  @DisplayName("A test send goes through intake to the provider and answers with the message id")
  void testSend() throws Exception {
    HttpResponse<Buffer> response = post(acme, "/v1/templates/one-time-code/test", new JsonObject()
      .put("channel", "sms").put("address", "+905559990001").put("locale", "tr")
      .put("variables", new JsonObject().put("code", "123456").put("brand", "Acme").put("valid_minutes", 5)));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(202);
    long messageId = response.bodyAsJsonObject().getLong("message_id");
    assertThat(response.bodyAsJsonObject().getString("status_url")).isEqualTo("/v1/messages/" + messageId);
    eventually("sent", () -> receipts("template-test").stream().anyMatch(r -> r.address().equals("+905559990001")));
    SandboxServer.Receipt receipt = receipts("template-test").stream()
      .filter(r -> r.address().equals("+905559990001")).findFirst().orElseThrow();
    assertThat(receipt.content().getString("text")).isEqualTo("Acme kodun: 123456. 5 dakika geçerli. Kimseyle paylaşma.");
    assertThat(receipt.campaign()).isEqualTo("template-test");
  }

  @Test
  @DisplayName("A message missing a variable under 'fail' ends failed with a reason naming it; others are sent")
  void missingVariableFailsTheMessage() throws Exception {
    JsonArray recipients = new JsonArray()
      .add(new JsonObject().put("id", "otp-ok").put("addresses", new JsonObject().put("sms", "+905551112201"))
        .put("variables", new JsonObject().put("code", "1111").put("brand", "Acme").put("valid_minutes", 3)))
      .add(new JsonObject().put("id", "otp-missing").put("addresses", new JsonObject().put("sms", "+905551112202"))
        .put("variables", new JsonObject().put("brand", "Acme").put("valid_minutes", 3)));
    assertThat(gateway.postBatch(acme, null, Batches.envelope("otp").put("template", "one-time-code")
      .put("channels", new JsonArray().add("sms")).put("priority", "transactional")
      .put("recipients", recipients)).statusCode()).isEqualTo(202);
    eventually("both done", () -> gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id LIKE 'otp-%'"
      + " AND state IN ('sent', 'failed')") == 2);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = 'otp-missing'"
      + " AND state = 'failed' AND last_error LIKE '%variable ''code'' is missing%'")).isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = 'otp-ok' AND state = 'sent'"))
      .isEqualTo(1);
  }

  @Test
  @DisplayName("Constructs that fail or show Java text are refused at upload; preview answers 200 or 422, never 500")
  void constructsRefusedAtUpload() {
    for (String text : new String[] {"{{a..b}}", "{{this}}", "{{.}}", "{{format_date}}", "{{__relay_open}}"}) {
      HttpResponse<Buffer> refused = put(acme, "constructs", smsTemplate("Hi " + text));
      assertThat(refused.statusCode()).as(text).isEqualTo(422);
      assertThat(refused.getHeader("Content-Type")).isEqualTo("application/problem+json");
      assertThat(refused.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:template-syntax");
      assertThat(refused.bodyAsJsonObject().getInteger("column")).isEqualTo(4);
    }
    assertThat(put(acme, "constructs", smsTemplate("{{#flag}}[{{.}}]{{/flag}}{{#items}}{{.}}{{/items}} {{a.b}}"))
      .statusCode()).isEqualTo(201);
    JsonObject variables = new JsonObject().put("flag", true).put("a", new JsonObject().put("b", "AB"))
      .put("items", new JsonArray().add(new JsonObject().put("k", "v")));
    HttpResponse<Buffer> preview = post(acme, "/v1/templates/constructs/preview",
      new JsonObject().put("variables", variables));
    assertThat(preview.statusCode()).as(preview.bodyAsString()).isEqualTo(200);
    assertThat(preview.bodyAsJsonObject().getJsonObject("channels").getJsonObject("sms").getString("text"))
      .isEqualTo("[]{\"k\":\"v\"} AB");
    // The variables: "a" a string, so a.b is a missing variable, a 422 naming it.
    HttpResponse<Buffer> missing = post(acme, "/v1/templates/constructs/preview", new JsonObject()
      .put("variables", new JsonObject().put("a", "AVAL").put("b", new JsonArray().add(1))));
    assertThat(missing.statusCode()).as(missing.bodyAsString()).isEqualTo(422);
    assertThat(missing.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:render-failed");
    assertThat(missing.bodyAsJsonObject().getString("detail")).contains("'a.b' is missing");
  }

  @Test
  @DisplayName("Shipped templates load once: a restart on the same database adds no version")
  void shippedTemplatesAreIdempotent() throws Exception {
    long shipped = gateway.database().count("SELECT count(*) FROM templates WHERE tenant_id IS NULL");
    assertThat(shipped).isEqualTo(5);
    try (TestGateway again = TestGateway.restart(gateway.database(), Map.of(Setting.DISPATCH_ENABLED, "false"))) {
      assertThat(again.database().count("SELECT count(*) FROM templates WHERE tenant_id IS NULL")).isEqualTo(5);
    }
  }

  private static List<SandboxServer.Receipt> receipts(String recipientId) {
    return gateway.sandbox().receipts().stream().filter(r -> r.recipientId().equals(recipientId))
      .collect(Collectors.toList());
  }
}
