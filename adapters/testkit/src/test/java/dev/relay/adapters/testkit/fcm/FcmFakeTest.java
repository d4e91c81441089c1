package dev.relay.adapters.testkit.fcm;

import dev.relay.adapters.testkit.push.ManualClock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The FCM fake's token endpoint checks the claims Google checks. */
@ExtendWith(VertxExtension.class)
class FcmFakeTest {

  private static TestServiceAccount account;
  private ManualClock clock;
  private FcmFake fake;
  private HttpClientAgent client;

  @BeforeAll
  static void keys() {
    account = TestServiceAccount.generate("relay-test");
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    clock = ManualClock.startingNow();
    client = vertx.createHttpClient();
    FcmFake.start(vertx, account, clock).onComplete(ctx.succeeding(f -> {
      fake = f;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    client.close().eventually(() -> fake.close()).onComplete(ctx.succeedingThenComplete());
  }

  private String assertion(Vertx vertx, JsonObject claims) {
    String privateKey = new JsonObject(fake.serviceAccountJson()).getString("private_key");
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256")
        .setBuffer(privateKey)))
      .generateToken(claims, new JWTOptions().setAlgorithm("RS256").setNoTimestamp(true));
  }

  private JsonObject claims() {
    long now = clock.instant().getEpochSecond();
    return new JsonObject().put("iss", account.clientEmail()).put("scope", FcmFake.SCOPE).put("aud", fake.tokenUri())
      .put("iat", now).put("exp", now + 3600);
  }

  private Future<JsonObject> exchange(String assertion) {
    return client.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(fake.tokenUri())
        .putHeader("content-type", "application/x-www-form-urlencoded"))
      .compose(request -> request.send(Buffer.buffer(
          "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + assertion))
        .compose(response -> response.body().map(body -> body.toJsonObject().put("status", response.statusCode()))));
  }

  @Test
  @DisplayName("A well-formed assertion gets a token; a wrong audience, scope, issuer or an expired one does not")
  void checksClaims(Vertx vertx, VertxTestContext ctx) {
    List<JsonObject> variants = List.of(
      claims(),
      claims().put("aud", "https://oauth2.googleapis.com/token"),
      claims().put("scope", "https://www.googleapis.com/auth/cloud-platform"),
      claims().put("iss", "someone@else.iam.gserviceaccount.com"),
      claims().put("iat", clock.instant().getEpochSecond() - 7200).put("exp", clock.instant().getEpochSecond() - 3600),
      claims().put("exp", clock.instant().getEpochSecond() + 7200));
    Future<List<JsonObject>> all = Future.all(variants.stream().map(c -> exchange(assertion(vertx, c))).toList())
      .map(f -> f.list());
    all.onComplete(ctx.succeeding(answers -> ctx.verify(() -> {
      assertThat(answers.get(0).getInteger("status")).isEqualTo(200);
      assertThat(answers.get(0).getString("access_token")).startsWith("ya29.fake-");
      assertThat(answers.get(0).getLong("expires_in")).isEqualTo(3600);
      assertThat(answers.subList(1, answers.size())).allSatisfy(answer -> {
        assertThat(answer.getInteger("status")).isEqualTo(400);
        assertThat(answer.getString("error")).isEqualTo("invalid_grant");
      });
      assertThat(fake.tokenExchanges()).isEqualTo(1);
      assertThat(fake.rejectedExchanges()).isEqualTo(5);
      ctx.completeNow();
    })));
  }
}
