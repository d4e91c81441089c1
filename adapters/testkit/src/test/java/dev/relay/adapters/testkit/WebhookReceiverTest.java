package dev.relay.adapters.testkit;

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

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class WebhookReceiverTest {

  // The Standard Webhooks reference libraries' published test vector.
  private static final String VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final String VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  private static final String VECTOR_TIMESTAMP = "1614265330";
  private static final Buffer VECTOR_BODY = Buffer.buffer("{\"test\": 2432232314}");
  private static final String VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  private static final Instant VECTOR_TIME = Instant.ofEpochSecond(1614265330);

  private WebhookReceiver receiver;
  private HttpClientAgent http;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    http = vertx.createHttpClient();
    WebhookReceiver.start(vertx, "127.0.0.1", 0, VECTOR_SECRET).onComplete(ctx.succeeding(r -> {
      receiver = r;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    receiver.close().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("The check accepts the specification's test vector and refuses any change to it")
  void testVector() {
    WebhookSignatureCheck check = new WebhookSignatureCheck(VECTOR_SECRET);

    assertThat(check.verify(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TIME)).isNull();
    assertThat(check.verify(VECTOR_ID, VECTOR_TIMESTAMP, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
      + VECTOR_SIGNATURE + " v2,abc", VECTOR_BODY, VECTOR_TIME)).as("one good signature among several").isNull();
    assertThat(check.verify(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE, Buffer.buffer("{\"test\": 2432232315}"),
      VECTOR_TIME)).isNotNull();
    assertThat(check.verify("msg_other", VECTOR_TIMESTAMP, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TIME)).isNotNull();
    assertThat(check.verify(VECTOR_ID, VECTOR_TIMESTAMP, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
      VECTOR_BODY, VECTOR_TIME)).isNotNull();
    assertThat(check.verify(VECTOR_ID, VECTOR_TIMESTAMP, "v1a," + VECTOR_SIGNATURE.substring(3), VECTOR_BODY,
      VECTOR_TIME)).as("only v1 signatures count").isNotNull();
    assertThat(check.verify(VECTOR_ID, VECTOR_TIMESTAMP, "v1,%%%", VECTOR_BODY, VECTOR_TIME)).isNotNull();
  }

  @Test
  @DisplayName("Timestamps more than five minutes away either way are refused")
  void tolerance() {
    WebhookSignatureCheck check = new WebhookSignatureCheck(VECTOR_SECRET);

    assertThat(check.verify(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TIME.plusSeconds(300)))
      .isNull();
    assertThat(check.verify(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TIME.plusSeconds(301)))
      .contains("minutes");
    assertThat(check.verify(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE, VECTOR_BODY, VECTOR_TIME.minusSeconds(301)))
      .contains("minutes");
  }

  @Test
  @DisplayName("A malformed secret is refused when the receiver starts")
  void badSecret(Vertx vertx, VertxTestContext ctx) {
    assertThatThrownBy(() -> new WebhookSignatureCheck("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
      .hasMessageContaining("whsec_");
    WebhookReceiver.start(vertx, "127.0.0.1", 0, "whsec_not base64!").onComplete(ctx.failing(err -> ctx.verify(() -> {
      assertThat(err).isInstanceOf(IllegalArgumentException.class);
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A correctly signed call is answered 200 with an id and recorded")
  void verifiedCall(VertxTestContext ctx) {
    long now = Instant.now().getEpochSecond();
    String body = "{\"type\":\"message.send\",\"data\":{\"n\":1}}";
    post("msg_1", now, sign("msg_1", now, body), body).onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().getString("id")).startsWith("rcv_");
      assertThat(receiver.deliveries()).singleElement().satisfies(d -> {
        assertThat(d.id()).isEqualTo("msg_1");
        assertThat(d.timestamp()).isEqualTo(Instant.ofEpochSecond(now));
        assertThat(d.body()).isEqualTo(new JsonObject(body));
        assertThat(d.status()).isEqualTo(200);
        assertThat(d.accepted()).isTrue();
      });
      assertThat(receiver.requestCount()).isEqualTo(1);
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("Bad signatures, stale timestamps and missing headers are answered 401 and not recorded")
  void refusedCalls(VertxTestContext ctx) {
    long now = Instant.now().getEpochSecond();
    long stale = now - 600;
    String body = "{\"n\":1}";
    Future.all(
        post("msg_1", now, sign("msg_1", now, "{\"n\":2}"), body),
        post("msg_2", stale, sign("msg_2", stale, body), body),
        post(null, now, sign("msg_3", now, body), body))
      .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        for (int i = 0; i < 3; i++) {
          assertThat(((SandboxServerTest.Reply) all.resultAt(i)).status()).isEqualTo(401);
        }
        assertThat(receiver.deliveries()).isEmpty();
        assertThat(receiver.rejectedCount()).isEqualTo(3);
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A status fault answers verified calls with that status and records them with it")
  void statusFault(VertxTestContext ctx) {
    receiver.inject(Fault.status(503));
    long now = Instant.now().getEpochSecond();
    String body = "{\"n\":1}";
    post("msg_1", now, sign("msg_1", now, body), body).onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
      assertThat(reply.status()).isEqualTo(503);
      assertThat(receiver.deliveries()).singleElement().satisfies(d -> {
        assertThat(d.status()).isEqualTo(503);
        assertThat(d.accepted()).isFalse();
      });
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A verified body that is not a JSON object is answered 400, and other paths 404")
  void notJson(VertxTestContext ctx) {
    long now = Instant.now().getEpochSecond();
    post("msg_1", now, sign("msg_1", now, "hello"), "hello")
      .compose(reply -> {
        ctx.verify(() -> assertThat(reply.status()).isEqualTo(400));
        return SandboxServerTest.call(http, HttpMethod.POST, "http://127.0.0.1:" + receiver.port() + "/other", "{}");
      })
      .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
        assertThat(reply.status()).isEqualTo(404);
        assertThat(receiver.deliveries()).isEmpty();
        ctx.completeNow();
      })));
  }

  private Future<SandboxServerTest.Reply> post(String id, long timestamp, String signature, String body) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(receiver.url())
      .putHeader("webhook-timestamp", Long.toString(timestamp))
      .putHeader("webhook-signature", signature);
    if (id != null) {
      options.putHeader("webhook-id", id);
    }
    return http.request(options)
      .compose(request -> request.send(body)
        .compose(response -> response.body().map(b -> new SandboxServerTest.Reply(response.statusCode(),
          response.getHeader("Content-Type"), b))));
  }

  private static String sign(String id, long timestamp, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(VECTOR_SECRET.substring(6)), "HmacSHA256"));
      byte[] digest = mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(digest);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
