package dev.relay.adapters.webhookhttp;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.testkit.Fault;
import dev.relay.adapters.testkit.WebhookReceiver;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.relay.adapters.webhookhttp.WebhookHttpAdapterTest.SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The adapter against a receiving endpoint that verifies signatures, over real sockets on loopback. */
@ExtendWith(VertxExtension.class)
class WebhookHttpDeliveryTest {

  private WebhookReceiver receiver;
  private ProviderAccount account;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    WebhookReceiver.start(vertx, "127.0.0.1", 0, SECRET).onComplete(ctx.succeeding(r -> {
      receiver = r;
      account = open(vertx, new JsonObject().put("url", r.url()).put("secret", SECRET));
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    account.close().eventually(() -> receiver.close()).onComplete(ctx.succeedingThenComplete());
  }

  static ProviderAccount open(Vertx vertx, JsonObject settings) {
    return new WebhookHttpAdapter().open(vertx, new AccountSettings("hooks", "webhook-http", settings));
  }

  static OutboundMessage message(long id, int attempt) {
    return new OutboundMessage(id, "relay-" + id, attempt, "acme", "welcome", "u-" + id, "customer-" + id, "tr-TR",
      new JsonObject().put("text", "Merhaba " + id));
  }

  @Test
  @DisplayName("A message arrives once, with a valid signature, its webhook-id and the documented body")
  void delivers(VertxTestContext ctx) {
    Instant before = Instant.now();
    account.send(List.of(message(42, 1))).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results).singleElement().satisfies(r -> {
        assertThat(r.isAccepted()).isTrue();
        assertThat(r.providerMessageId()).as("the receiver's id from its JSON answer").startsWith("rcv_");
      });
      assertThat(receiver.rejectedCount()).isZero();
      assertThat(receiver.deliveries()).singleElement().satisfies(d -> {
        assertThat(d.id()).isEqualTo("relay-42");
        assertThat(d.status()).isEqualTo(200);
        assertThat(d.timestamp().getEpochSecond()).isCloseTo(before.getEpochSecond(), within(5L));
        JsonObject body = d.body();
        assertThat(body.getString("type")).isEqualTo("message.send");
        assertThat(Instant.parse(body.getString("timestamp"))).isBetween(before.minusSeconds(1), Instant.now());
        assertThat(body.getJsonObject("data")).isEqualTo(new JsonObject()
          .put("message_id", 42)
          .put("idempotency_key", "relay-42")
          .put("attempt", 1)
          .put("tenant", "acme")
          .put("campaign", "welcome")
          .put("recipient_id", "u-42")
          .put("address", "customer-42")
          .put("locale", "tr-TR")
          .put("content", new JsonObject().put("text", "Merhaba 42")));
      });
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("Signed with another secret, the call fails verification (401) and the message is permanent")
  void tamperedSecret(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount wrong = open(vertx, new JsonObject().put("url", receiver.url())
      .put("secret", "whsec_" + "A".repeat(32)));
    wrong.send(List.of(message(1, 1))).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results.get(0).isPermanent()).isTrue();
      assertThat(results.get(0).reason()).isEqualTo("endpoint answered 401");
      assertThat(receiver.rejectedCount()).isEqualTo(1);
      assertThat(receiver.deliveries()).isEmpty();
      wrong.close().onComplete(ctx.succeedingThenComplete());
    })));
  }

  @Test
  @DisplayName("429 is throttled with the endpoint's Retry-After")
  void throttled(VertxTestContext ctx) {
    receiver.inject(Fault.throttle(Duration.ofSeconds(3)));
    account.send(List.of(message(1, 1))).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      SendResult result = results.get(0);
      assertThat(result.isTransient()).isTrue();
      assertThat(result.isThrottled()).isTrue();
      assertThat(result.retryAfter()).contains(Duration.ofSeconds(3));
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("503 is retryable, 502 asks to slow down, and 410 is permanent")
  void statuses(VertxTestContext ctx) {
    receiver.inject(Fault.status(503));
    account.send(List.of(message(1, 1)))
      .compose(r503 -> {
        receiver.clearFaults();
        receiver.inject(Fault.status(502));
        return account.send(List.of(message(2, 1))).map(r502 -> List.of(r503.get(0), r502.get(0)));
      })
      .compose(earlier -> {
        receiver.clearFaults();
        receiver.inject(Fault.status(410));
        return account.send(List.of(message(3, 1))).map(r410 -> List.of(earlier.get(0), earlier.get(1), r410.get(0)));
      })
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isTransient()).isTrue();
        assertThat(results.get(0).isThrottled()).isFalse();
        assertThat(results.get(0).reason()).isEqualTo("endpoint answered 503");
        assertThat(results.get(1).isThrottled()).isTrue();
        assertThat(results.get(2).isPermanent()).isTrue();
        assertThat(results.get(2).reason()).startsWith("endpoint answered 410");
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("An endpoint that never answers makes that message retryable once the timeout passes")
  void timeout(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount impatient = open(vertx, new JsonObject().put("url", receiver.url()).put("secret", SECRET)
      .put("timeout-ms", 300));
    impatient.send(List.of(message(1, 1)))
      .compose(warm -> {
        receiver.inject(Fault.timeout());
        return impatient.send(List.of(message(2, 1)));
      })
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isTransient()).isTrue();
        assertThat(results.get(0).reason()).startsWith("no answer from endpoint").contains("300");
        impatient.close().onComplete(ctx.succeedingThenComplete());
      })));
  }

  @Test
  @DisplayName("A refused connection makes the message retryable instead of failing the call")
  void refused(VertxTestContext ctx) {
    receiver.close()
      .compose(closed -> account.send(List.of(message(1, 1))))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isTransient()).isTrue();
        assertThat(results.get(0).reason()).startsWith("no answer from endpoint");
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A retry carries the same webhook-id, so that the endpoint can drop repeats")
  void retriesKeepTheWebhookId(VertxTestContext ctx) {
    receiver.inject(Fault.status(503));
    account.send(List.of(message(7, 1)))
      .compose(first -> {
        receiver.clearFaults();
        return account.send(List.of(message(7, 2))).map(second -> List.of(first.get(0), second.get(0)));
      })
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isTransient()).isTrue();
        assertThat(results.get(1).isAccepted()).isTrue();
        assertThat(receiver.deliveries()).extracting(WebhookReceiver.Delivery::id).containsExactly("relay-7", "relay-7");
        assertThat(receiver.deliveries()).extracting(WebhookReceiver.Delivery::status).containsExactly(503, 200);
        assertThat(receiver.deliveries()).extracting(d -> d.body().getJsonObject("data").getInteger("attempt"))
          .containsExactly(1, 2);
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("The messages of a batch are posted concurrently and answered in order, each on its own")
  void batch(VertxTestContext ctx) {
    receiver.inject(Fault.slow(Duration.ofMillis(300)));
    OutboundMessage unusable = new OutboundMessage(3, "relay.3", 1, "acme", "welcome", "u-3", "customer-3", null,
      new JsonObject());
    List<OutboundMessage> batch = List.of(message(1, 1), message(2, 1), unusable, message(4, 1), message(5, 1),
      message(6, 1));
    long started = System.nanoTime();
    account.send(batch).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(Duration.ofNanos(System.nanoTime() - started)).as("five 300 ms calls side by side")
        .isLessThan(Duration.ofMillis(1200));
      assertThat(results).extracting(SendResult::kind).containsExactly(SendResult.Kind.ACCEPTED,
        SendResult.Kind.ACCEPTED, SendResult.Kind.PERMANENT, SendResult.Kind.ACCEPTED, SendResult.Kind.ACCEPTED,
        SendResult.Kind.ACCEPTED);
      assertThat(results).extracting(SendResult::providerMessageId).filteredOn(id -> id != null)
        .doesNotHaveDuplicates();
      assertThat(receiver.deliveries()).extracting(WebhookReceiver.Delivery::id)
        .containsExactlyInAnyOrder("relay-1", "relay-2", "relay-4", "relay-5", "relay-6");
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("An endpoint that answers 2xx without a JSON id gets the webhook-id as provider id")
  void providerIdFallback(Vertx vertx, VertxTestContext ctx) {
    vertx.createHttpServer()
      .requestHandler(request -> request.body().onSuccess(b -> request.response().setStatusCode(204).end()))
      .listen(0, "127.0.0.1")
      .compose(server -> {
        ProviderAccount plain = open(vertx, new JsonObject().put("url", "http://127.0.0.1:" + server.actualPort() + "/in")
          .put("secret", SECRET));
        return plain.send(List.of(message(9, 1))).eventually(plain::close).eventually(server::close);
      })
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).providerMessageId()).isEqualTo("relay-9");
        ctx.completeNow();
      })));
  }
}
