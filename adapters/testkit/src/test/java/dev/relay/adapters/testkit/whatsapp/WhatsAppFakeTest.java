package dev.relay.adapters.testkit.whatsapp;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class WhatsAppFakeTest {

  private WhatsAppFake fake;
  private HttpClientAgent client;

  private record Answer(int status, JsonObject body) {
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    client = vertx.createHttpClient();
    WhatsAppFake.start(vertx, "127.0.0.1", 0, "EAAG-token", "106540352242922").onComplete(ctx.succeeding(f -> {
      fake = f;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    client.close().eventually(() -> fake.close()).onComplete(ctx.succeedingThenComplete());
  }

  private Future<Answer> post(String token, JsonObject body) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
      .setAbsoluteURI(fake.url() + "/v19.0/106540352242922/messages")
      .putHeader("Content-Type", "application/json")
      .putHeader("Authorization", "Bearer " + token);
    return client.request(options)
      .compose(request -> request.send(body.toBuffer())
        .compose(response -> response.body().map(b -> new Answer(response.statusCode(), b.toJsonObject()))));
  }

  private static JsonObject template(String to, String name) {
    return new JsonObject().put("messaging_product", "whatsapp").put("to", to).put("type", "template")
      .put("template", new JsonObject().put("name", name).put("language", new JsonObject().put("code", "tr")));
  }

  @Test
  @DisplayName("Accepts a template with the right token under a wamid; refuses another token and unknown templates")
  void accepts(VertxTestContext ctx) {
    post("EAAG-token", template("+905551112233", "welcome"))
      .compose(ok -> post("other", template("+905551112233", "welcome"))
        .compose(bad -> post("EAAG-token", template("+905551112233", WhatsAppFake.UNKNOWN_TEMPLATE))
          .map(unknown -> new Answer[] {ok, bad, unknown})))
      .onComplete(ctx.succeeding(answers -> ctx.verify(() -> {
        assertThat(answers[0].status()).isEqualTo(200);
        assertThat(answers[0].body().getJsonArray("messages").getJsonObject(0).getString("id")).startsWith("wamid.");
        assertThat(answers[1].status()).isEqualTo(401);
        assertThat(answers[1].body().getJsonObject("error").getInteger("code")).isEqualTo(190);
        assertThat(answers[2].body().getJsonObject("error").getInteger("code")).isEqualTo(132001);
        assertThat(fake.messages()).singleElement().satisfies(m -> assertThat(m.to()).isEqualTo("+905551112233"));
        ctx.completeNow();
      })));
  }

  @ParameterizedTest(name = "{0} is refused naming {1}")
  @CsvSource(delimiter = '|', textBlock = """
    {"messaging_product":"whatsapp","to":"+905551112233","type":"template","template":{"language":{"code":"tr"}}} | template[name]
    {"messaging_product":"whatsapp","to":"+905551112233","type":"template","template":{"name":"welcome"}} | template[language][code]
    {"messaging_product":"whatsapp","to":"+905551112233","type":"template","template":{"name":"welcome","language":"tr"}} | template[language][code]
    {"messaging_product":"whatsapp","to":"+905551112233","type":"text","text":{"body":"hi"}} | type
    {"messaging_product":"whatsapp","to":"+905551112233","type":"template","template":{"name":"welcome","language":{"code":"tr"},"components":[{"parameters":[]}]}} | template[components][0][type]
    {"messaging_product":"whatsapp","to":"+905551112233","type":"template","template":{"name":"welcome","language":{"code":"tr"},"components":[{"type":"body","parameters":[{"type":"text"}]}]}} | template[components][0][parameters][0][text]
    """)
  @DisplayName("Refuses, as the Graph API does with error 100, a template message that lacks what Meta requires")
  void refusesIncompleteTemplates(String body, String parameter, VertxTestContext ctx) {
    post("EAAG-token", new JsonObject(body)).onComplete(ctx.succeeding(answer -> ctx.verify(() -> {
      assertThat(answer.status()).isEqualTo(400);
      assertThat(answer.body().getJsonObject("error").getInteger("code")).isEqualTo(100);
      assertThat(answer.body().getJsonObject("error").getString("message"))
        .isEqualTo("(#100) The parameter " + parameter + " is required.");
      assertThat(fake.messages()).isEmpty();
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("Signs webhooks as Meta does: sha256= and the hex HMAC-SHA256 of the body")
  void signs() {
    assertThat(WhatsAppFake.sign("It's a Secret to Everybody", "Hello, World!"))
      .isEqualTo("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  }
}
