package dev.relay.adapters.testkit.apns;

import dev.relay.adapters.testkit.push.ManualClock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemTrustOptions;
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

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The APNs fake insists on HTTP/2 and on provider tokens as Apple does. */
@ExtendWith(VertxExtension.class)
class ApnsFakeTest {

  private static final String TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
  private static TestSigningKey key;
  private ManualClock clock;
  private ApnsFake fake;
  private JWTAuth signer;

  @BeforeAll
  static void keys() {
    key = TestSigningKey.generate("TEAM123456");
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    clock = ManualClock.startingNow();
    signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("ES256")
      .setBuffer(key.privateKeyPem())));
    ApnsFake.start(vertx, key, "dev.relay.demo", clock).onComplete(ctx.succeeding(f -> {
      fake = f;
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    fake.close().onComplete(ctx.succeedingThenComplete());
  }

  private String providerToken() {
    return signer.generateToken(new JsonObject().put("iss", key.teamId()).put("iat", clock.instant().getEpochSecond()),
      new JWTOptions().setAlgorithm("ES256").setNoTimestamp(true).setHeader(new JsonObject().put("kid", key.keyId())));
  }

  private Future<Integer> push(Vertx vertx, HttpVersion version, String providerToken) {
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(version).setSsl(true)
      .setUseAlpn(true).setAlpnVersions(List.of(version)).setSslEngineOptions(new OpenSSLEngineOptions())
      .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(fake.caCertPem()))));
    return client.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(fake.url() + "/3/device/" + TOKEN)
        .putHeader("authorization", "bearer " + providerToken).putHeader("apns-topic", "dev.relay.demo"))
      .compose(request -> request.send(new JsonObject().put("aps", new JsonObject()).toBuffer()))
      .map(response -> response.statusCode())
      .eventually(client::close);
  }

  @Test
  @DisplayName("HTTP/1.1 is refused; a token older than an hour is expired; a new token within 20 minutes is too many")
  void rules(Vertx vertx, VertxTestContext ctx) {
    String first = providerToken();
    push(vertx, HttpVersion.HTTP_1_1, first)
      .compose(h1 -> push(vertx, HttpVersion.HTTP_2, first).map(h2 -> List.of(h1, h2)))
      .compose(earlier -> {
        clock.advance(Duration.ofMinutes(10));
        return push(vertx, HttpVersion.HTTP_2, providerToken()).map(early -> List.of(earlier.get(0), earlier.get(1), early));
      })
      .compose(earlier -> {
        clock.advance(Duration.ofMinutes(51));
        return push(vertx, HttpVersion.HTTP_2, first).map(old -> List.of(earlier.get(0), earlier.get(1), earlier.get(2), old));
      })
      .onComplete(ctx.succeeding(statuses -> ctx.verify(() -> {
        assertThat(statuses).containsExactly(505, 200, 429, 403);
        assertThat(fake.authRefusals()).containsExactly("TooManyProviderTokenUpdates", "ExpiredProviderToken");
        assertThat(fake.pushes()).singleElement().satisfies(p -> assertThat(p.version()).isEqualTo(HttpVersion.HTTP_2));
        ctx.completeNow();
      })));
  }
}
