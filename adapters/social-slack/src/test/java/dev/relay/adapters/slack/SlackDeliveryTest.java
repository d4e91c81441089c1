package dev.relay.adapters.slack;

import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.testkit.slack.SlackFake;
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

import static dev.relay.adapters.slack.SlackAdapterTest.TOKEN;
import static dev.relay.adapters.slack.SlackAdapterTest.account;
import static org.assertj.core.api.Assertions.assertThat;

/** The adapter against the Slack fake, over real sockets on loopback. */
@ExtendWith(VertxExtension.class)
class SlackDeliveryTest {

  private SlackFake fake;
  private ProviderAccount account;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    SlackFake.start(vertx, "127.0.0.1", 0, TOKEN).onComplete(ctx.succeeding(f -> {
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
    return new SlackAdapter().open(vertx, account(new JsonObject().put("bot-token", TOKEN).put("base-url", fake.url())
      .mergeIn(extra)));
  }

  static OutboundMessage message(long id, String channel, String text) {
    return new OutboundMessage(id, "relay-" + id, 1, "acme", "launch", "u-" + id, channel, null,
      text == null ? new JsonObject() : new JsonObject().put("text", text));
  }

  private Future<SendResult> sendOne(OutboundMessage message) {
    return account.send(List.of(message)).map(results -> results.get(0));
  }

  @Test
  @DisplayName("A message arrives with the Bearer token and a JSON body of channel and text, accepted as channel:ts")
  void delivers(VertxTestContext ctx) {
    sendOne(message(1, "C024BE91L", "*Yeni* özellik: <https://example.com|bakın>"))
      .onComplete(ctx.succeeding(result -> ctx.verify(() -> {
        assertThat(result.isAccepted()).isTrue();
        assertThat(fake.messages()).singleElement().satisfies(m -> {
          assertThat(result.providerMessageId()).isEqualTo("C024BE91L:" + m.ts());
          assertThat(m.headers().get("Authorization")).isEqualTo("Bearer " + TOKEN);
          assertThat(m.headers().get("Content-Type")).isEqualTo("application/json; charset=utf-8");
          assertThat(m.body()).isEqualTo(new JsonObject().put("channel", "C024BE91L")
            .put("text", "*Yeni* özellik: <https://example.com|bakın>"));
        });
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Unknown, archived and foreign channels and a revoked token are permanent with Slack's error")
  void permanentErrors(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount revoked = open(vertx, new JsonObject().put("bot-token", "xoxb-other"));
    account.send(List.of(message(1, SlackFake.UNKNOWN_CHANNEL, "x"), message(2, SlackFake.ARCHIVED_CHANNEL, "x"),
        message(3, SlackFake.FOREIGN_CHANNEL, "x"), message(4, "C1", "x".repeat(40_001))))
      .compose(results -> revoked.send(List.of(message(5, "C1", "x"))).map(r -> {
        List<SendResult> all = new java.util.ArrayList<>(results);
        all.addAll(r);
        return all;
      }))
      .eventually(revoked::close)
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results).allSatisfy(r -> assertThat(r.isPermanent()).isTrue());
        assertThat(results).extracting(SendResult::reason).containsExactly("Slack error channel_not_found",
          "Slack error is_archived", "Slack error not_in_channel", "Slack error msg_too_long",
          "Slack error invalid_auth: credentials rejected, check setting 'bot-token'");
        assertThat(fake.messages()).isEmpty();
        assertThat(fake.rejectedCount()).isEqualTo(1);
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("429 is throttled with Slack's Retry-After, 503 and internal_error are retryable")
  void transientErrors(VertxTestContext ctx) {
    fake.throttleNext(Duration.ofSeconds(30));
    fake.failNextStatus(503);
    fake.failNext("internal_error");
    sendOne(message(1, "C1", "x"))
      .compose(a -> sendOne(message(2, "C1", "x")).compose(b -> sendOne(message(3, "C1", "x"))
        .map(c -> List.of(a, b, c))))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isThrottled()).isTrue();
        assertThat(results.get(0).retryAfter()).contains(Duration.ofSeconds(30));
        assertThat(results.get(1).isTransient()).isTrue();
        assertThat(results.get(1).reason()).isEqualTo("Slack answered 503");
        assertThat(results.get(2).isTransient()).isTrue();
        assertThat(results.get(2).reason()).isEqualTo("Slack error internal_error");
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A Slack that does not answer within timeout-ms makes the message retryable")
  void timeout(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount impatient = open(vertx, new JsonObject().put("timeout-ms", 300));
    fake.stallNext();
    impatient.send(List.of(message(1, "C1", "x")))
      .eventually(impatient::close)
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isTransient()).isTrue();
        assertThat(results.get(0).reason()).startsWith("no answer from Slack");
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A message without content field 'text' is permanent and never reaches Slack")
  void missingText(VertxTestContext ctx) {
    sendOne(message(1, "C1", null)).onComplete(ctx.succeeding(result -> ctx.verify(() -> {
      assertThat(result.isPermanent()).isTrue();
      assertThat(result.reason()).contains("'text'");
      assertThat(fake.requestCount()).isZero();
      ctx.completeNow();
    })));
  }
}
