package dev.relay.adapters.testkit.twilio;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class TwilioFakeTest {

  static final String SID = "AC" + "0123456789abcdef".repeat(2);
  static final String TOKEN = "auth-token-1";

  private TwilioFake fake;
  private HttpClientAgent client;

  private record Answer(int status, String retryAfter, JsonObject body) {
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    client = vertx.createHttpClient();
    TwilioFake.start(vertx, "127.0.0.1", 0, SID, TOKEN).onComplete(ctx.succeeding(f -> {
      fake = f;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    client.close().eventually(() -> fake.close()).onComplete(ctx.succeedingThenComplete());
  }

  private Future<Answer> post(String account, String user, String password, String form) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
      .setAbsoluteURI(fake.url() + "/2010-04-01/Accounts/" + account + "/Messages.json")
      .putHeader("Content-Type", "application/x-www-form-urlencoded")
      .putHeader("Authorization", "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    return client.request(options)
      .compose(request -> request.send(Buffer.buffer(form))
        .compose(response -> response.body().map(body -> new Answer(response.statusCode(),
          response.getHeader("Retry-After"), body.toJsonObject()))));
  }

  @Test
  @DisplayName("Signs callbacks exactly as Twilio's published example")
  void signsTwilioTestVector() {
    String signature = TwilioFake.sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", Map.of(
      "CallSid", "CA1234567890ABCDE", "Caller", "+14158675309", "Digits", "1234", "From", "+14158675309",
      "To", "+18005551212"));

    assertThat(signature).isEqualTo("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  }

  @Test
  @DisplayName("An authenticated form creates a message: 201 with an SM sid, recorded with its parameters")
  void creates(VertxTestContext ctx) {
    post(SID, SID, TOKEN, "To=%2B905551112233&From=%2B15017122661&Body=Merhaba+d%C3%BCnya")
      .onComplete(ctx.succeeding(answer -> ctx.verify(() -> {
        assertThat(answer.status()).isEqualTo(201);
        assertThat(answer.body().getString("sid")).matches("SM[0-9a-f]{32}");
        assertThat(answer.body().getString("status")).isEqualTo("queued");
        assertThat(fake.messages()).singleElement().satisfies(m -> {
          assertThat(m.sid()).isEqualTo(answer.body().getString("sid"));
          assertThat(m.to()).isEqualTo("+905551112233");
          assertThat(m.from()).isEqualTo("+15017122661");
          assertThat(m.body()).isEqualTo("Merhaba dünya");
        });
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Wrong credentials are answered 401 with error 20003 and nothing is created")
  void rejectsCredentials(VertxTestContext ctx) {
    post(SID, SID, "wrong", "To=%2B905551112233&From=%2B15017122661&Body=x")
      .onComplete(ctx.succeeding(answer -> ctx.verify(() -> {
        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.body().getInteger("code")).isEqualTo(20003);
        assertThat(fake.rejectedCount()).isEqualTo(1);
        assertThat(fake.messages()).isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Magic numbers, missing parameters and scripted answers fail as Twilio does")
  void errors(VertxTestContext ctx) {
    fake.throttleNext(Duration.ofSeconds(7));
    post(SID, SID, TOKEN, "To=%2B15005550001&From=%2B1&Body=x")
      .compose(throttled -> post(SID, SID, TOKEN, "To=%2B15005550004&From=%2B1&Body=x")
        .compose(stop -> post(SID, SID, TOKEN, "To=%2B15005550001&From=%2B1")
          .map(noBody -> new Answer[] {throttled, stop, noBody})))
      .onComplete(ctx.succeeding(answers -> ctx.verify(() -> {
        assertThat(answers[0].status()).isEqualTo(429);
        assertThat(answers[0].retryAfter()).isEqualTo("7");
        assertThat(answers[0].body().getInteger("code")).isEqualTo(20429);
        assertThat(answers[1].status()).isEqualTo(400);
        assertThat(answers[1].body().getInteger("code")).isEqualTo(21610);
        assertThat(answers[2].body().getInteger("code")).isEqualTo(21602);
        assertThat(fake.messages()).isEmpty();
        ctx.completeNow();
      })));
  }
}
