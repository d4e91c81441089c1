package dev.relay.adapters.sms;

import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.testkit.twilio.TwilioFake;
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

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static dev.relay.adapters.sms.TwilioSmsAdapterTest.SID;
import static dev.relay.adapters.sms.TwilioSmsAdapterTest.TOKEN;
import static dev.relay.adapters.sms.TwilioSmsAdapterTest.account;
import static org.assertj.core.api.Assertions.assertThat;

/** The adapter against the Twilio fake, over real sockets on loopback. */
@ExtendWith(VertxExtension.class)
class TwilioDeliveryTest {

  private static final String CALLBACK = "https://relay.example.com/v1/webhooks/sms-twilio/twilio-us";

  private TwilioFake fake;
  private ProviderAccount account;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    TwilioFake.start(vertx, "127.0.0.1", 0, SID, TOKEN).onComplete(ctx.succeeding(f -> {
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
    JsonObject settings = new JsonObject().put("account-sid", SID).put("auth-token", TOKEN)
      .put("from", "+15017122661").put("status-callback-url", CALLBACK).put("base-url", fake.url()).mergeIn(extra);
    return new TwilioSmsAdapter().open(vertx, account(settings));
  }

  static OutboundMessage message(long id, String to, String text) {
    return new OutboundMessage(id, "relay-" + id, 1, "acme", "welcome", "u-" + id, to, "tr-TR",
      text == null ? new JsonObject() : new JsonObject().put("text", text));
  }

  private Future<SendResult> sendOne(OutboundMessage message) {
    return account.send(List.of(message)).map(results -> results.get(0));
  }

  @Test
  @DisplayName("A message arrives with Basic auth, a UTF-8 form of To, From, Body, StatusCallback, and is accepted under its sid")
  void delivers(VertxTestContext ctx) {
    sendOne(message(1, "+905551112233", "Merhaba Ayşe, kodunuz: 1234 & 5+6=11"))
      .onComplete(ctx.succeeding(result -> ctx.verify(() -> {
        assertThat(result.isAccepted()).isTrue();
        assertThat(fake.messages()).singleElement().satisfies(m -> {
          assertThat(result.providerMessageId()).isEqualTo(m.sid()).matches("SM[0-9a-f]{32}");
          assertThat(m.accountSid()).isEqualTo(SID);
          assertThat(m.headers().get("Authorization")).isEqualTo("Basic " + Base64.getEncoder()
            .encodeToString((SID + ":" + TOKEN).getBytes(StandardCharsets.UTF_8)));
          assertThat(m.headers().get("Content-Type")).startsWith("application/x-www-form-urlencoded");
          assertThat(m.to()).isEqualTo("+905551112233");
          assertThat(m.from()).isEqualTo("+15017122661");
          assertThat(m.messagingServiceSid()).isNull();
          assertThat(m.body()).isEqualTo("Merhaba Ayşe, kodunuz: 1234 & 5+6=11");
          assertThat(m.statusCallback()).isEqualTo(CALLBACK);
          assertThat(m.form().names()).containsExactlyInAnyOrder("To", "From", "Body", "StatusCallback");
        });
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Through a Messaging Service, MessagingServiceSid is sent instead of From")
  void messagingService(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount service = open(vertx, new JsonObject().put("from", "").put("messaging-service-sid",
      "MG" + "b".repeat(32)));
    service.send(List.of(message(2, "+905551112233", "Merhaba")))
      .eventually(service::close)
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isAccepted()).isTrue();
        assertThat(fake.messages()).singleElement().satisfies(m -> {
          assertThat(m.messagingServiceSid()).isEqualTo("MG" + "b".repeat(32));
          assertThat(m.from()).isNull();
        });
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Invalid, unsubscribed, non-mobile and forbidden-region numbers are permanent with Twilio's code")
  void recipientErrors(VertxTestContext ctx) {
    account.send(List.of(message(1, TwilioFake.INVALID_NUMBER, "x"), message(2, TwilioFake.UNSUBSCRIBED_NUMBER, "x"),
        message(3, TwilioFake.NOT_MOBILE_NUMBER, "x"), message(4, TwilioFake.NO_PERMISSION_NUMBER, "x"),
        message(5, "+905551112233", "x")))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results).extracting(SendResult::kind).containsExactly(SendResult.Kind.PERMANENT,
          SendResult.Kind.PERMANENT, SendResult.Kind.PERMANENT, SendResult.Kind.PERMANENT, SendResult.Kind.ACCEPTED);
        assertThat(results.get(0).reason()).startsWith("Twilio error 21211: ");
        assertThat(results.get(1).reason()).isEqualTo("Twilio error 21610: Attempt to send to unsubscribed recipient");
        assertThat(results.get(2).reason()).startsWith("Twilio error 21614: ");
        assertThat(results.get(3).reason()).startsWith("Twilio error 21408: ");
        assertThat(fake.messages()).hasSize(1);
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A wrong auth token is answered 401 and is permanent: credentials rejected")
  void wrongToken(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount wrong = open(vertx, new JsonObject().put("auth-token", "not-the-token"));
    wrong.send(List.of(message(1, "+905551112233", "x")))
      .eventually(wrong::close)
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isPermanent()).isTrue();
        assertThat(results.get(0).reason()).contains("credentials rejected").doesNotContain("not-the-token");
        assertThat(fake.rejectedCount()).isEqualTo(1);
        assertThat(fake.messages()).isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("429 is throttled with Retry-After, 500 is retryable, another 400 is permanent")
  void statuses(VertxTestContext ctx) {
    fake.throttleNext(Duration.ofSeconds(4));
    fake.failNext(500, 20500, "Internal Server Error");
    fake.failNext(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
    sendOne(message(1, "+905551112233", "x"))
      .compose(throttled -> sendOne(message(2, "+905551112233", "x"))
        .compose(failed -> sendOne(message(3, "+905551112233", "x"))
          .map(rejected -> List.of(throttled, failed, rejected))))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isThrottled()).isTrue();
        assertThat(results.get(0).retryAfter()).contains(Duration.ofSeconds(4));
        assertThat(results.get(1).isTransient()).isTrue();
        assertThat(results.get(1).isThrottled()).isFalse();
        assertThat(results.get(2).isPermanent()).isTrue();
        assertThat(results.get(2).reason()).contains("21617");
        assertThat(fake.messages()).isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A Twilio that does not answer within timeout-ms makes the message retryable")
  void timeout(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount impatient = open(vertx, new JsonObject().put("timeout-ms", 300));
    fake.stallNext();
    impatient.send(List.of(message(1, "+905551112233", "x")))
      .eventually(impatient::close)
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isTransient()).isTrue();
        assertThat(results.get(0).reason()).startsWith("no answer from Twilio");
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A message without content field 'text' is permanent and never reaches Twilio")
  void missingText(VertxTestContext ctx) {
    sendOne(message(1, "+905551112233", null)).onComplete(ctx.succeeding(result -> ctx.verify(() -> {
      assertThat(result.isPermanent()).isTrue();
      assertThat(result.reason()).contains("'text'");
      assertThat(fake.requestCount()).isZero();
      ctx.completeNow();
    })));
  }
}
