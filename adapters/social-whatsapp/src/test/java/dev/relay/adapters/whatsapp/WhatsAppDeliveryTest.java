package dev.relay.adapters.whatsapp;

import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.testkit.whatsapp.WhatsAppFake;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static dev.relay.adapters.whatsapp.WhatsAppAdapterTest.NUMBER_ID;
import static dev.relay.adapters.whatsapp.WhatsAppAdapterTest.TOKEN;
import static dev.relay.adapters.whatsapp.WhatsAppAdapterTest.account;
import static org.assertj.core.api.Assertions.assertThat;

/** The adapter against the WhatsApp Cloud API fake, over real sockets on loopback. */
@ExtendWith(VertxExtension.class)
class WhatsAppDeliveryTest {

  private WhatsAppFake fake;
  private ProviderAccount account;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    WhatsAppFake.start(vertx, "127.0.0.1", 0, TOKEN, NUMBER_ID).onComplete(ctx.succeeding(f -> {
      fake = f;
      account = open(vertx, new JsonObject());
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    account.close().eventually(() -> fake.close()).onComplete(ctx.succeedingThenComplete());
  }

  private ProviderAccount open(Vertx vertx, JsonObject extra) {
    return new WhatsAppAdapter().open(vertx, account(new JsonObject().put("access-token", TOKEN)
      .put("phone-number-id", NUMBER_ID).put("base-url", fake.url()).mergeIn(extra)));
  }

  static OutboundMessage message(long id, String to, String template) {
    return new OutboundMessage(id, "relay-" + id, 1, "acme", "shipping", "u-" + id, to, "tr-TR",
      new JsonObject().put("whatsapp_template", new JsonObject().put("name", template)
        .put("language", new JsonObject().put("code", "tr"))
        .put("components", new JsonArray().add(new JsonObject().put("type", "body").put("parameters",
          new JsonArray().add(new JsonObject().put("type", "text").put("text", "Ayşe")))))));
  }

  private Future<SendResult> sendOne(OutboundMessage message) {
    return account.send(List.of(message)).map(results -> results.get(0));
  }

  @Test
  @DisplayName("A template message arrives at /v19.0/{phone-number-id}/messages with the Bearer token, accepted under its wamid")
  void delivers(VertxTestContext ctx) {
    sendOne(message(1, "+905551112233", "order_shipped")).onComplete(ctx.succeeding(result -> ctx.verify(() -> {
      assertThat(result.isAccepted()).isTrue();
      assertThat(fake.messages()).singleElement().satisfies(m -> {
        assertThat(result.providerMessageId()).isEqualTo(m.id()).startsWith("wamid.");
        assertThat(m.phoneNumberId()).isEqualTo(NUMBER_ID);
        assertThat(m.headers().get("Authorization")).isEqualTo("Bearer " + TOKEN);
        assertThat(m.headers().get("Content-Type")).isEqualTo("application/json");
        assertThat(m.body()).isEqualTo(new JsonObject()
          .put("messaging_product", "whatsapp")
          .put("recipient_type", "individual")
          .put("to", "+905551112233")
          .put("type", "template")
          .put("template", new JsonObject().put("name", "order_shipped")
            .put("language", new JsonObject().put("code", "tr"))
            .put("components", new JsonArray().add(new JsonObject().put("type", "body").put("parameters",
              new JsonArray().add(new JsonObject().put("type", "text").put("text", "Ayşe")))))));
      });
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("Unknown template, undeliverable number and an invalid token are permanent with WhatsApp's code")
  void permanentErrors(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount expired = open(vertx, new JsonObject().put("access-token", "EAAG-expired"));
    account.send(List.of(message(1, "+905551112233", WhatsAppFake.UNKNOWN_TEMPLATE),
        message(2, WhatsAppFake.UNDELIVERABLE_NUMBER, "order_shipped")))
      .compose(results -> expired.send(List.of(message(3, "+905551112233", "order_shipped")))
        .map(r -> List.of(results.get(0), results.get(1), r.get(0))))
      .eventually(expired::close)
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results).allSatisfy(r -> assertThat(r.isPermanent()).isTrue());
        assertThat(results.get(0).reason()).startsWith("WhatsApp error 132001: ");
        assertThat(results.get(1).reason()).startsWith("WhatsApp error 131026: ");
        assertThat(results.get(2).reason()).startsWith("WhatsApp error 190: ").contains("'access-token'");
        assertThat(fake.rejectedCount()).isEqualTo(1);
        assertThat(fake.messages()).isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Rate-limit codes are throttled, 131000 and 5xx are retryable")
  void transientErrors(VertxTestContext ctx) {
    fake.failNext(400, 130429, "Rate limit hit");
    fake.failNext(400, 131056, "(Business Account, Consumer Account) pair rate limit hit");
    fake.failNext(500, 131000, "Something went wrong");
    sendOne(message(1, "+905551112233", "t"))
      .compose(a -> sendOne(message(2, "+905551112233", "t")).compose(b -> sendOne(message(3, "+905551112233", "t"))
        .map(c -> List.of(a, b, c))))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isThrottled()).isTrue();
        assertThat(results.get(1).isThrottled()).isTrue();
        assertThat(results.get(2).isTransient()).isTrue();
        assertThat(results.get(2).isThrottled()).isFalse();
        assertThat(fake.messages()).isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A Cloud API that does not answer within timeout-ms makes the message retryable")
  void timeout(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount impatient = open(vertx, new JsonObject().put("timeout-ms", 300));
    fake.stallNext();
    impatient.send(List.of(message(1, "+905551112233", "t")))
      .eventually(impatient::close)
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isTransient()).isTrue();
        assertThat(results.get(0).reason()).startsWith("no answer from WhatsApp");
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A message without a whatsapp_template (free-form text) is permanent and never reaches WhatsApp")
  void missingTemplate(VertxTestContext ctx) {
    OutboundMessage bare = new OutboundMessage(1, "relay-1", 1, "acme", "shipping", "u-1", "+905551112233", "tr",
      new JsonObject().put("text", "Merhaba Ayşe"));
    sendOne(bare).onComplete(ctx.succeeding(result -> ctx.verify(() -> {
      assertThat(result.isPermanent()).isTrue();
      assertThat(result.reason()).contains("'whatsapp_template'");
      assertThat(fake.requestCount()).isZero();
      ctx.completeNow();
    })));
  }
}
