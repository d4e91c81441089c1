package dev.relay.adapters.telegram;

import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.testkit.telegram.TelegramFake;
import io.vertx.core.Future;
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
import java.util.List;

import static dev.relay.adapters.telegram.TelegramAdapterTest.TOKEN;
import static dev.relay.adapters.telegram.TelegramAdapterTest.account;
import static org.assertj.core.api.Assertions.assertThat;

/** The adapter against the Telegram fake, over real sockets on loopback. */
@ExtendWith(VertxExtension.class)
class TelegramDeliveryTest {

  private TelegramFake fake;
  private ProviderAccount account;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    TelegramFake.start(vertx, "127.0.0.1", 0, TOKEN).onComplete(ctx.succeeding(f -> {
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
    return new TelegramAdapter().open(vertx, account(new JsonObject().put("bot-token", TOKEN)
      .put("base-url", fake.url()).mergeIn(extra)));
  }

  static OutboundMessage message(long id, String chat, String text) {
    return new OutboundMessage(id, "relay-" + id, 1, "acme", "launch", "u-" + id, chat, null,
      text == null ? new JsonObject() : new JsonObject().put("text", text));
  }

  private Future<SendResult> sendOne(OutboundMessage message) {
    return account.send(List.of(message)).map(results -> results.get(0));
  }

  @Test
  @DisplayName("A message arrives at /bot<token>/sendMessage as JSON chat_id and text, accepted as chat:message_id")
  void delivers(VertxTestContext ctx) {
    sendOne(message(1, "123456789", "Merhaba 👋 yeni kampanya"))
      .onComplete(ctx.succeeding(result -> ctx.verify(() -> {
        assertThat(result.isAccepted()).isTrue();
        assertThat(fake.messages()).singleElement().satisfies(m -> {
          assertThat(result.providerMessageId()).isEqualTo("123456789:" + m.messageId());
          assertThat(m.headers().get("Content-Type")).isEqualTo("application/json");
          assertThat(m.body()).isEqualTo(new JsonObject().put("chat_id", "123456789")
            .put("text", "Merhaba 👋 yeni kampanya"));
        });
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Unknown chat, blocked bot, too long a text and a wrong token are permanent")
  void permanentErrors(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount wrong = open(vertx, new JsonObject().put("bot-token", "999:not-the-token"));
    account.send(List.of(message(1, TelegramFake.UNKNOWN_CHAT, "x"), message(2, TelegramFake.BLOCKED_CHAT, "x"),
        message(3, "42", "x".repeat(4097))))
      .compose(results -> wrong.send(List.of(message(4, "42", "x"))).map(r -> List.of(results.get(0),
        results.get(1), results.get(2), r.get(0))))
      .eventually(wrong::close)
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results).allSatisfy(r -> assertThat(r.isPermanent()).isTrue());
        assertThat(results).extracting(SendResult::reason).containsExactly(
          "Telegram answered 400: Bad Request: chat not found",
          "Telegram answered 403: Forbidden: bot was blocked by the user",
          "Telegram answered 400: Bad Request: message is too long",
          "Telegram answered 401: Unauthorized: credentials rejected, check setting 'bot-token'");
        assertThat(fake.rejectedCount()).isEqualTo(1);
        assertThat(fake.messages()).isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Flood control is throttled for retry_after seconds, 502 is retryable")
  void transientErrors(VertxTestContext ctx) {
    fake.throttleNext(Duration.ofSeconds(12));
    fake.failNext(502, "Bad Gateway");
    sendOne(message(1, "42", "x"))
      .compose(a -> sendOne(message(2, "42", "x")).map(b -> List.of(a, b)))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isThrottled()).isTrue();
        assertThat(results.get(0).retryAfter()).contains(Duration.ofSeconds(12));
        assertThat(results.get(1).isTransient()).isTrue();
        assertThat(results.get(1).isThrottled()).isFalse();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A timeout is retryable and its reason never shows the bot token")
  void timeout(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount impatient = open(vertx, new JsonObject().put("timeout-ms", 300));
    fake.stallNext();
    impatient.send(List.of(message(1, "42", "x")))
      .eventually(impatient::close)
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isTransient()).isTrue();
        assertThat(results.get(0).reason()).startsWith("no answer from Telegram").doesNotContain(TOKEN)
          .doesNotContain(TOKEN.substring(TOKEN.indexOf(':') + 1));
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A message without content field 'text' is permanent and never reaches Telegram")
  void missingText(VertxTestContext ctx) {
    sendOne(message(1, "42", null)).onComplete(ctx.succeeding(result -> ctx.verify(() -> {
      assertThat(result.isPermanent()).isTrue();
      assertThat(result.reason()).contains("'text'");
      assertThat(fake.requestCount()).isZero();
      ctx.completeNow();
    })));
  }
}
