package dev.relay.adapters.apns;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.testkit.apns.ApnsFake;
import dev.relay.adapters.testkit.apns.TestSigningKey;
import dev.relay.adapters.testkit.push.ManualClock;
import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The adapter against the APNs fake: real HTTP/2 over TLS with ALPN, both ends on netty-tcnative's OpenSSL,
 * on loopback.
 */
@ExtendWith(VertxExtension.class)
class ApnsDeliveryTest {

  static final String TOPIC = "dev.relay.demo";
  static final String TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
  private static TestSigningKey key;

  private ManualClock clock;
  private ApnsFake apns;
  private ProviderAccount account;

  @BeforeAll
  static void keys() {
    key = TestSigningKey.generate("TEAM123456");
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    clock = ManualClock.startingNow();
    ApnsFake.start(vertx, key, TOPIC, clock).onComplete(ctx.succeeding(f -> {
      apns = f;
      account = new ApnsAdapter(clock).open(vertx, settings(key));
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    account.close().eventually(() -> apns.close()).onComplete(ctx.succeedingThenComplete());
  }

  private AccountSettings settings(TestSigningKey signingKey) {
    return new AccountSettings("apns-main", ApnsAdapter.NAME, new JsonObject()
      .put("team-id", signingKey.teamId())
      .put("key-id", signingKey.keyId())
      .put("private-key", signingKey.privateKeyPem())
      .put("topic", TOPIC)
      .put("base-url", apns.url())
      .put("ca-cert", apns.caCertPem())
      .put("timeout-ms", 3000));
  }

  static OutboundMessage message(long id, String token, JsonObject content) {
    return new OutboundMessage(id, "relay-" + id, 1, "acme", "welcome", "u-" + id, token, "tr-TR", content);
  }

  static OutboundMessage message(long id, String token) {
    return message(id, token, new JsonObject().put("title", "Merhaba").put("body", "Hoş geldin " + id));
  }

  private Future<SendResult> sendOne(OutboundMessage message) {
    return account.send(List.of(message)).map(results -> results.get(0));
  }

  /** Runs the sends one after another, each after its setup, and collects their results. */
  private Future<List<SendResult>> inSequence(List<Runnable> setups, List<Supplier<OutboundMessage>> messages) {
    List<SendResult> results = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < messages.size(); i++) {
      int n = i;
      chain = chain.compose(v -> {
        setups.get(n).run();
        return sendOne(messages.get(n).get()).map(r -> {
          results.add(r);
          return null;
        });
      });
    }
    return chain.map(v -> results);
  }

  @Test
  @DisplayName("A push arrives over HTTP/2 through OpenSSL with its token, topic, type, id, collapse id, priority, expiry and body")
  void delivers(VertxTestContext ctx) {
    OutboundMessage message = message(42, TOKEN, new JsonObject()
      .put("title", "Merhaba")
      .put("body", "Hoş geldin")
      .put("data", new JsonObject().put("campaign", "welcome").put("n", 42))
      .put("collapse_key", "welcome")
      .put("priority", 5)
      .put("expiration", 1_900_000_000L));
    sendOne(message).onComplete(ctx.succeeding(result -> ctx.verify(() -> {
      String apnsId = UUID.nameUUIDFromBytes("relay-42".getBytes(StandardCharsets.UTF_8)).toString();
      assertThat(result.isAccepted()).isTrue();
      assertThat(result.providerMessageId()).isEqualTo(apnsId);
      assertThat(apns.pushes()).singleElement().satisfies(push -> {
        assertThat(push.version()).isEqualTo(HttpVersion.HTTP_2);
        assertThat(push.sslSessionClass()).as("the server's TLS session is OpenSSL's")
          .startsWith("io.netty.handler.ssl.ReferenceCountedOpenSslEngine");
        assertThat(push.tlsProtocol()).isIn("TLSv1.2", "TLSv1.3");
        assertThat(push.deviceToken()).isEqualTo(TOKEN);
        assertThat(push.apnsId()).isEqualTo(apnsId);
        assertThat(push.headers().get("apns-id")).isEqualTo(apnsId);
        assertThat(push.headers().get("apns-topic")).isEqualTo(TOPIC);
        assertThat(push.headers().get("apns-push-type")).isEqualTo("alert");
        assertThat(push.headers().get("apns-collapse-id")).isEqualTo("welcome");
        assertThat(push.headers().get("apns-priority")).isEqualTo("5");
        assertThat(push.headers().get("apns-expiration")).isEqualTo("1900000000");
        assertThat(push.headers().get("authorization")).startsWith("bearer ");
        assertThat(push.payload()).isEqualTo(new JsonObject()
          .put("aps", new JsonObject().put("alert", new JsonObject().put("title", "Merhaba").put("body", "Hoş geldin")))
          .put("campaign", "welcome")
          .put("n", 42));
        String[] jwt = push.providerToken().split("\\.");
        JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(jwt[0]), StandardCharsets.UTF_8));
        JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(jwt[1]), StandardCharsets.UTF_8));
        assertThat(header.getString("alg")).isEqualTo("ES256");
        assertThat(header.getString("kid")).isEqualTo(key.keyId());
        assertThat(claims.getString("iss")).isEqualTo("TEAM123456");
        assertThat(claims.getLong("iat")).isEqualTo(clock.instant().getEpochSecond());
        assertThat(Base64.getUrlDecoder().decode(jwt[2])).as("raw R||S, not DER").hasSize(64);
      });
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("The adapter's client negotiates HTTP/2 by ALPN on an OpenSSL engine (client side of the connection)")
  void clientUsesOpenSsl(Vertx vertx, VertxTestContext ctx) {
    assertThat(OpenSsl.isAvailable()).as("netty-tcnative loads: %s", OpenSsl.unavailabilityCause()).isTrue();
    assertThat(OpenSSLEngineOptions.isAlpnAvailable()).isTrue();
    HttpClientAgent client = vertx.createHttpClient(ApnsAccount.clientOptions(ApnsSettings.of(settings(key))));
    client.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(apns.url() + "/3/device/" + TOKEN))
      .compose(request -> request.send().map(response -> {
        ctx.verify(() -> {
          assertThat(response.version()).isEqualTo(HttpVersion.HTTP_2);
          assertThat(response.statusCode()).as("no provider token").isEqualTo(403);
          assertThat(request.connection().isSsl()).isTrue();
          assertThat(request.connection().sslSession().getClass().getName())
            .startsWith("io.netty.handler.ssl.ReferenceCountedOpenSslEngine");
        });
        return response;
      }))
      .eventually(client::close)
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("One provider token serves every push under 20 minutes old, even after APNs calls it expired")
  void providerTokenReused(VertxTestContext ctx) {
    List<OutboundMessage> batch = IntStream.range(0, 20).mapToObj(i -> message(i, TOKEN))
      .collect(Collectors.toList());
    account.send(batch)
      .compose(first -> {
        clock.advance(Duration.ofMinutes(9));
        return sendOne(message(100, TOKEN));
      })
      .compose(at9 -> {
        clock.advance(Duration.ofMinutes(1));
        apns.failNext(403, "ExpiredProviderToken");
        return sendOne(message(101, TOKEN));
      })
      .compose(expired -> {
        ctx.verify(() -> {
          assertThat(expired.isTransient()).isTrue();
          assertThat(expired.reason()).isEqualTo("APNs 403 ExpiredProviderToken");
        });
        clock.advance(Duration.ofMinutes(9));
        return sendOne(message(102, TOKEN));
      })
      .onComplete(ctx.succeeding(at19 -> ctx.verify(() -> {
        assertThat(at19.isAccepted()).isTrue();
        assertThat(apns.pushes()).hasSize(22);
        assertThat(apns.distinctProviderTokens()).isEqualTo(1);
        assertThat(apns.authRefusals()).isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("The provider token is replaced at 30 minutes, or after an expiry report once 20 minutes old")
  void providerTokenRefreshed(VertxTestContext ctx) {
    inSequence(List.of(
        () -> { },
        () -> clock.advance(Duration.ofMinutes(30)),
        () -> clock.advance(Duration.ofMinutes(21)),
        () -> apns.failNext(403, "ExpiredProviderToken"),
        () -> { }),
      List.of(() -> message(1, TOKEN), () -> message(2, TOKEN), () -> message(3, TOKEN), () -> message(4, TOKEN),
        () -> message(5, TOKEN)))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(3).isTransient()).isTrue();
        assertThat(results.get(4).isAccepted()).isTrue();
        assertThat(apns.pushes()).hasSize(4);
        List<String> tokens = apns.pushes().stream().map(ApnsFake.Push::providerToken).collect(Collectors.toList());
        assertThat(tokens.get(0)).isNotEqualTo(tokens.get(1));
        assertThat(tokens.get(1)).as("21 minutes old, no expiry report: kept").isEqualTo(tokens.get(2));
        assertThat(tokens.get(3)).as("replaced after the report").isNotEqualTo(tokens.get(2));
        assertThat(apns.distinctProviderTokens()).isEqualTo(3);
        assertThat(apns.authRefusals()).as("never TooManyProviderTokenUpdates").isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("410 Unregistered, BadDeviceToken and DeviceTokenNotForTopic are permanent invalid-token")
  void invalidTokens(VertxTestContext ctx) {
    String unregistered = "410" + TOKEN.substring(3);
    String bad = "bad" + TOKEN.substring(3);
    String otherTopic = "d1ff" + TOKEN.substring(4);
    account.send(List.of(message(1, unregistered), message(2, bad), message(3, otherTopic), message(4, "not-hex")))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results).allSatisfy(r -> {
          assertThat(r.isPermanent()).isTrue();
          assertThat(r.reason()).startsWith("invalid-token: ");
        });
        assertThat(results.get(0).reason()).startsWith("invalid-token: APNs 410 Unregistered (invalid since ");
        assertThat(results.get(1).reason()).isEqualTo("invalid-token: APNs 400 BadDeviceToken");
        assertThat(results.get(2).reason()).isEqualTo("invalid-token: APNs 400 DeviceTokenNotForTopic");
        assertThat(results.get(3).reason()).contains("not an APNs device token");
        assertThat(apns.requestCount()).as("the non-hex address costs no request").isEqualTo(3);
        assertThat(apns.pushes()).isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("429 is throttled, 500 and 503 retryable, InvalidProviderToken and PayloadTooLarge permanent")
  void errorClasses(VertxTestContext ctx) {
    JsonObject huge = new JsonObject().put("title", "t").put("data", new JsonObject().put("blob", "x".repeat(5000)));
    inSequence(List.of(
        () -> apns.failNext(429, "TooManyRequests"),
        () -> apns.failNext(500, "InternalServerError"),
        () -> apns.failNext(503, "ServiceUnavailable"),
        () -> apns.failNext(403, "InvalidProviderToken"),
        () -> { },
        () -> apns.failNext(400, "BadTopic")),
      List.of(() -> message(1, TOKEN), () -> message(2, TOKEN), () -> message(3, TOKEN), () -> message(4, TOKEN),
        () -> message(5, TOKEN, huge), () -> message(6, TOKEN)))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isThrottled()).isTrue();
        assertThat(results.get(0).reason()).isEqualTo("APNs 429 TooManyRequests");
        assertThat(results.get(1).isTransient()).isTrue();
        assertThat(results.get(1).isThrottled()).isFalse();
        assertThat(results.get(2).isTransient()).isTrue();
        assertThat(results.get(2).reason()).isEqualTo("APNs 503 ServiceUnavailable");
        assertThat(results.get(3).isPermanent()).isTrue();
        assertThat(results.get(3).reason()).isEqualTo("credentials rejected: APNs 403 InvalidProviderToken");
        assertThat(results.get(4).isPermanent()).isTrue();
        assertThat(results.get(4).reason()).isEqualTo("APNs 413 PayloadTooLarge");
        assertThat(results.get(5).isPermanent()).isTrue();
        assertThat(results.get(5).reason()).isEqualTo("APNs 400 BadTopic");
        assertThat(apns.pushes()).isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A provider token signed by a key APNs does not know is refused: permanent, credentials rejected")
  void unknownKey(Vertx vertx, VertxTestContext ctx) {
    TestSigningKey other = TestSigningKey.generate("TEAM123456");
    ProviderAccount wrong = new ApnsAdapter(clock).open(vertx, settings(other));
    wrong.send(List.of(message(1, TOKEN))).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results.get(0).isPermanent()).isTrue();
      assertThat(results.get(0).reason()).isEqualTo("credentials rejected: APNs 403 InvalidProviderToken");
      assertThat(apns.authRefusals()).containsExactly("InvalidProviderToken");
      wrong.close().onComplete(ctx.succeedingThenComplete());
    })));
  }

  @Test
  @DisplayName("A server whose certificate is not trusted fails the TLS handshake: retryable, nothing arrives")
  void untrustedServer(Vertx vertx, VertxTestContext ctx) {
    AccountSettings trustingJvm = new AccountSettings("apns-main", ApnsAdapter.NAME,
      settings(key).settings().copy().put("ca-cert", (String) null));
    JsonObject values = trustingJvm.settings();
    values.remove("ca-cert");
    ProviderAccount strict = new ApnsAdapter(clock).open(vertx, new AccountSettings("apns-main", ApnsAdapter.NAME,
      values));
    strict.send(List.of(message(1, TOKEN))).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results.get(0).isTransient()).isTrue();
      assertThat(results.get(0).reason()).startsWith("no answer from APNs");
      assertThat(apns.requestCount()).isZero();
      strict.close().onComplete(ctx.succeedingThenComplete());
    })));
  }

  @Test
  @DisplayName("Content without title or body for an alert is permanent, naming the fields; a background push needs none")
  void content(VertxTestContext ctx) {
    OutboundMessage noAlert = message(1, TOKEN, new JsonObject().put("data", new JsonObject().put("k", "v")));
    OutboundMessage background = message(2, TOKEN, new JsonObject().put("push_type", "background")
      .put("data", new JsonObject().put("k", "v")));
    account.send(List.of(noAlert, background)).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results.get(0).isPermanent()).isTrue();
      assertThat(results.get(0).reason()).isEqualTo("content needs 'title' or 'body' for an alert push");
      assertThat(results.get(1).isAccepted()).isTrue();
      assertThat(apns.pushes()).singleElement().satisfies(push -> {
        assertThat(push.headers().get("apns-push-type")).isEqualTo("background");
        assertThat(push.headers().get("apns-priority")).isEqualTo("5");
        assertThat(push.payload()).isEqualTo(new JsonObject()
          .put("aps", new JsonObject().put("content-available", 1)).put("k", "v"));
      });
      ctx.completeNow();
    })));
  }
}
