package dev.relay.adapters.testkit.telegram;

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

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class TelegramFakeTest {

  private static final String TOKEN = "123456:ABC-def_1";

  private TelegramFake fake;
  private HttpClientAgent client;

  private record Answer(int status, JsonObject body) {
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    client = vertx.createHttpClient();
    TelegramFake.start(vertx, "127.0.0.1", 0, TOKEN).onComplete(ctx.succeeding(f -> {
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
      .setAbsoluteURI(fake.url() + "/bot" + token + "/sendMessage")
      .putHeader("Content-Type", "application/json");
    return client.request(options)
      .compose(request -> request.send(body.toBuffer())
        .compose(response -> response.body().map(b -> new Answer(response.statusCode(), b.toJsonObject()))));
  }

  @Test
  @DisplayName("Sends with the right token, refuses another, and answers Telegram's errors and flood control")
  void sends(VertxTestContext ctx) {
    JsonObject hello = new JsonObject().put("chat_id", "42").put("text", "hi");
    post(TOKEN, hello)
      .compose(ok -> post("999:other", hello)
        .compose(bad -> post(TOKEN, new JsonObject().put("chat_id", TelegramFake.BLOCKED_CHAT).put("text", "hi"))
          .compose(blocked -> {
            fake.throttleNext(Duration.ofSeconds(9));
            return post(TOKEN, hello).map(throttled -> new Answer[] {ok, bad, blocked, throttled});
          })))
      .onComplete(ctx.succeeding(answers -> ctx.verify(() -> {
        assertThat(answers[0].status()).isEqualTo(200);
        assertThat(answers[0].body().getJsonObject("result").getLong("message_id")).isEqualTo(1L);
        assertThat(answers[0].body().getJsonObject("result").getJsonObject("chat").getLong("id")).isEqualTo(42L);
        assertThat(answers[1].status()).isEqualTo(401);
        assertThat(answers[2].status()).isEqualTo(403);
        assertThat(answers[2].body().getString("description")).isEqualTo("Forbidden: bot was blocked by the user");
        assertThat(answers[3].status()).isEqualTo(429);
        assertThat(answers[3].body().getJsonObject("parameters").getLong("retry_after")).isEqualTo(9L);
        assertThat(fake.messages()).singleElement().satisfies(m -> assertThat(m.chatId()).isEqualTo("42"));
        ctx.completeNow();
      })));
  }
}
