package dev.relay.gateway.api;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.Eventually;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.stream.Stream;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Text is taken as Unicode or not at all: what the JSON spells but no UTF-8 store can hold (unpaired
 * surrogates), NUL, and control characters where they cannot belong are refused with a 422 naming the
 * JSON pointer; whatever is accepted comes back from the API, the database and the provider exactly.
 */
@DisplayName("Unicode input")
class UnicodeInputTest {

  /** Emoji with a skin tone and a ZWJ family, combining marks, right-to-left text, astral CJK and math. */
  private static final String WORLD = "👋🏽 👨‍👩‍👧 e\u0301 n\u0303 שָׁלוֹם مرحبا \u202Bx\u202C 𠜎𝔘𝕟𝕚 ﷽";

  private static TestGateway gateway;
  private static String key;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start();
    key = gateway.apiKey("acme");
    gateway.putTemplate(key, "echo", Batches.echoTemplate());
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static long stored() {
    return gateway.database().count("SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM batches)"
      + " + (SELECT count(*) FROM templates) + (SELECT count(*) FROM suppressions)");
  }

  /** A batch whose one recipient's field {@code field} is the raw JSON text {@code json} (escapes as written). */
  private static Buffer batchWith(String field, String json) {
    JsonObject recipient = new JsonObject().put("id", "r-1").put("addresses", new JsonObject().put("chat", "u-1"))
      .put("variables", new JsonObject().put("text", "hi"));
    JsonObject body = Batches.envelope("unicode").put("template", "echo").put("channels", new JsonArray().add("chat"))
      .put("recipients", new JsonArray().add(recipient));
    String marker = "\"@@MARK@@\"";
    switch (field) {
      case "id" -> recipient.put("id", "@@MARK@@");
      case "address" -> recipient.getJsonObject("addresses").put("chat", "@@MARK@@");
      case "variable" -> recipient.getJsonObject("variables").put("text", "@@MARK@@");
      case "nested" -> recipient.getJsonObject("variables").put("items", new JsonArray().add(
        new JsonObject().put("name", "@@MARK@@")));
      case "campaign" -> body.put("campaign", "@@MARK@@");
      default -> throw new IllegalArgumentException(field);
    }
    return Buffer.buffer(body.encode().replace(marker, json));
  }

  static Stream<Arguments> refused() {
    return Stream.of(
      Arguments.of("id", "\"\\ud800\\ud800\\ud800\"", "/recipients/0/id", "unpaired UTF-16 surrogate (U+D800)"),
      Arguments.of("id", "\"\\ud83d\"", "/recipients/0/id", "unpaired UTF-16 surrogate (U+D83D)"),
      Arguments.of("id", "\"a\\udc00b\"", "/recipients/0/id", "unpaired UTF-16 surrogate (U+DC00)"),
      Arguments.of("id", "\"\\ude00\\ud83d\"", "/recipients/0/id", "unpaired UTF-16 surrogate (U+DE00)"),
      Arguments.of("id", "\"tab\\there\"", "/recipients/0/id", "control character (U+0009)"),
      Arguments.of("id", "\"c1\\u0085\"", "/recipients/0/id", "control character (U+0085)"),
      Arguments.of("address", "\"u\\u0007\"", "/recipients/0/addresses/chat", "control character (U+0007)"),
      Arguments.of("address", "\"\\udbff\"", "/recipients/0/addresses/chat", "unpaired UTF-16 surrogate"),
      Arguments.of("variable", "\"x\\ud800\"", "/recipients/0/variables/text", "unpaired UTF-16 surrogate"),
      Arguments.of("variable", "\"bell\\u0007\"", "/recipients/0/variables/text", "control character (U+0007)"),
      Arguments.of("variable", "\"nul\\u0000\"", "/recipients/0/variables/text", "NUL character"),
      Arguments.of("nested", "\"\\udfff\"", "/recipients/0/variables/items/0/name", "unpaired UTF-16 surrogate"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("refused")
  @DisplayName("a recipient with text that cannot be stored exactly is refused, naming the JSON pointer")
  void refusesRecipient(String field, String json, String pointer, String reason) {
    long before = stored();

    HttpResponse<Buffer> response = gateway.postBatch(key, null, batchWith(field, json));

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(422);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/problem+json");
    JsonObject problem = response.bodyAsJsonObject();
    assertThat(problem.getString("type")).isEqualTo("urn:relay:problem:no-valid-recipients");
    assertThat(problem.getString("pointer")).isEqualTo(pointer);
    JsonObject rejection = problem.getJsonArray("rejected").getJsonObject(0);
    assertThat(rejection.getString("pointer")).isEqualTo(pointer);
    assertThat(rejection.getString("reason")).contains(reason);
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("one bad recipient among good ones is rejected with its pointer; the good one is stored exactly")
  void rejectsOneAcceptsOther() {
    String body = batchWith("id", "\"\\ud800\"").toString(StandardCharsets.UTF_8)
      .replace("\"recipients\":[", "\"recipients\":[{\"id\":\"ok-" + WORLD + "\",\"addresses\":{\"chat\":\"c\"}},");

    HttpResponse<Buffer> response = gateway.postBatch(key, null, Buffer.buffer(body));

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(202);
    JsonObject answer = response.bodyAsJsonObject();
    assertThat(answer.getInteger("accepted")).isEqualTo(1);
    assertThat(answer.getJsonArray("rejected")).containsExactly(new JsonObject().put("index", 1)
      .put("reason", "id contains an unpaired UTF-16 surrogate (U+D800) at character 1")
      .put("pointer", "/recipients/1/id"));
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = 'ok-" + WORLD + "'"))
      .isEqualTo(1);
  }

  @Test
  @DisplayName("raw UTF-8 that encodes a surrogate (CESU-8) is refused too, and nothing is stored")
  void refusesEncodedSurrogate() {
    long before = stored();
    byte[] body = batchWith("id", "\"@@\"").getBytes();
    String text = new String(body, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("\"@@\"") + 1;
    byte[] mutated = new byte[body.length + 1];
    System.arraycopy(body, 0, mutated, 0, at);
    mutated[at] = (byte) 0xED;
    mutated[at + 1] = (byte) 0xA0;
    mutated[at + 2] = (byte) 0x80;
    System.arraycopy(body, at + 2, mutated, at + 3, body.length - at - 2);

    HttpResponse<Buffer> response = gateway.postBatch(key, null, Buffer.buffer(mutated));

    assertThat(response.statusCode()).as(response.bodyAsString()).isBetween(400, 422);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("a campaign name with an unpaired surrogate is refused as a whole, naming /campaign")
  void refusesCampaign() {
    long before = stored();
    HttpResponse<Buffer> response = gateway.postBatch(key, null, batchWith("campaign", "\"spring\\ud800\""));

    assertThat(response.statusCode()).isEqualTo(422);
    assertThat(response.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:invalid-text");
    assertThat(response.bodyAsJsonObject().getString("pointer")).isEqualTo("/campaign");
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("a recipient of emoji, combining marks, RTL and astral text comes back identical from the API, "
    + "the database and the provider")
  void roundTrip() throws Exception {
    String id = "id " + WORLD;
    String address = "chat " + WORLD;
    String text = "line one " + WORLD + "\nline two\ttabbed\r\n";
    JsonObject recipient = new JsonObject().put("id", id).put("addresses", new JsonObject().put("chat", address))
      .put("variables", new JsonObject().put("text", text));
    JsonObject batch = Batches.envelope("unicode " + WORLD).put("template", "echo")
      .put("channels", new JsonArray().add("chat")).put("priority", "transactional")
      .put("recipients", new JsonArray().add(recipient));

    HttpResponse<Buffer> response = gateway.postBatch(key, null, batch);

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(202);
    assertThat(response.bodyAsJsonObject().getInteger("accepted")).isEqualTo(1);
    Eventually.until("the message at the sandbox", () -> receipt(address).isPresent());
    SandboxServer.Receipt receipt = receipt(address).orElseThrow();
    assertThat(receipt.recipientId()).isEqualTo(id);
    assertThat(receipt.campaign()).isEqualTo("unicode " + WORLD);
    assertThat(receipt.content().getString("text")).isEqualTo(text);
    long messageId = gateway.database().count("SELECT id FROM messages WHERE recipient_id = '" + id + "'");
    JsonObject message = await(gateway.get("/v1/messages/" + messageId, key).send()).bodyAsJsonObject();
    assertThat(message.getString("recipient_id")).isEqualTo(id);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE addresses ->> 'chat' = '" + address
      + "' AND variables ->> 'text' = '" + text.replace("'", "''") + "'")).isEqualTo(1);
  }

  @Test
  @DisplayName("templates, previews, test sends and suppressions refuse text that cannot be stored, naming the pointer")
  void otherBodies() {
    long before = stored();
    String template = Batches.echoTemplate().encode();
    HttpResponse<Buffer> put = await(gateway.post("/v1/templates/bad-text", key).method(HttpMethod.PUT)
      .sendBuffer(Buffer.buffer(template.replace("\"{{subject}}\"", "\"Hi \\ud83d {{subject}}\""))));
    assertProblem(put, 422, "invalid-text", "/locales/en/email/subject");
    put = await(gateway.post("/v1/templates/bad-text", key).method(HttpMethod.PUT)
      .sendBuffer(Buffer.buffer(template.replace("\"{{text}}\"", "\"{{text}}\\u0001\""))));
    assertProblem(put, 422, "invalid-text", "/locales/en/email/text");
    put = await(gateway.post("/v1/templates/bad-text", key).method(HttpMethod.PUT)
      .sendBuffer(Buffer.buffer(template.replace("\"Echoes its variables\"", "\"multi\\nline\\u2028ok\""))));
    assertThat(put.statusCode()).as("line breaks belong in text").isEqualTo(201);
    before++;

    HttpResponse<Buffer> preview = await(gateway.post("/v1/templates/echo/preview", key)
      .sendBuffer(Buffer.buffer("{\"variables\":{\"subject\":\"\\ud800\"}}")));
    assertProblem(preview, 422, "invalid-text", "/variables/subject");
    HttpResponse<Buffer> test = await(gateway.post("/v1/templates/echo/test", key)
      .sendBuffer(Buffer.buffer("{\"channel\":\"chat\",\"address\":\"a\\u0007\"}")));
    assertProblem(test, 422, "invalid-text", "/address");
    HttpResponse<Buffer> suppression = await(gateway.post("/v1/suppressions", key)
      .sendBuffer(Buffer.buffer("{\"channel\":\"chat\",\"address\":\"\\udc00x\"}")));
    assertProblem(suppression, 422, "invalid-text", "/address");
    assertThat(stored()).isEqualTo(before);
  }

  private static void assertProblem(HttpResponse<Buffer> response, int status, String type, String pointer) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(response.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:" + type);
    assertThat(response.bodyAsJsonObject().getString("pointer")).isEqualTo(pointer);
  }

  private static Optional<SandboxServer.Receipt> receipt(String address) {
    return gateway.sandbox().receipts().stream().filter(r -> r.address().equals(address)).findFirst();
  }

}
