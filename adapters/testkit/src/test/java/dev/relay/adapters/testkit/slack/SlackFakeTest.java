package dev.relay.adapters.testkit.slack;

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

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class SlackFakeTest {

  private SlackFake fake;
  private HttpClientAgent client;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    client = vertx.createHttpClient();
    SlackFake.start(vertx, "127.0.0.1", 0, "xoxb-1").onComplete(ctx.succeeding(f -> {
      fake = f;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    client.close().eventually(() -> fake.close()).onComplete(ctx.succeedingThenComplete());
  }

  private Future<JsonObject> post(String token, JsonObject body) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
      .setAbsoluteURI(fake.url() + "/api/chat.postMessage")
      .putHeader("Content-Type", "application/json")
      .putHeader("Authorization", "Bearer " + token);
    return client.request(options)
      .compose(request -> request.send(body.toBuffer()).compose(response -> response.body().map(b -> b.toJsonObject())));
  }

  @Test
  @DisplayName("Signs Events API calls exactly as Slack's documented example")
  void signsSlackExample() {
    String body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
      + "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url="
      + "https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id="
      + "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

    assertThat(SlackFake.sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618L, body))
      .isEqualTo("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
  }

  @Test
  @DisplayName("Posts with the right token, refuses another, and answers Slack's errors for bad channels")
  void posts(VertxTestContext ctx) {
    post("xoxb-1", new JsonObject().put("channel", "C1").put("text", "hi"))
      .compose(ok -> post("xoxb-2", new JsonObject().put("channel", "C1").put("text", "hi"))
        .compose(bad -> post("xoxb-1", new JsonObject().put("channel", SlackFake.ARCHIVED_CHANNEL).put("text", "hi"))
          .map(archived -> new JsonObject[] {ok, bad, archived})))
      .onComplete(ctx.succeeding(answers -> ctx.verify(() -> {
        assertThat(answers[0].getBoolean("ok")).isTrue();
        assertThat(answers[0].getString("ts")).matches("\\d+\\.\\d{6}");
        assertThat(answers[1].getString("error")).isEqualTo("invalid_auth");
        assertThat(answers[2].getString("error")).isEqualTo("is_archived");
        assertThat(fake.messages()).singleElement().satisfies(m -> assertThat(m.channel()).isEqualTo("C1"));
        assertThat(fake.rejectedCount()).isEqualTo(1);
        ctx.completeNow();
      })));
  }
}
