package dev.relay.gateway.dispatch;

import dev.relay.adapters.testkit.fcm.FcmFake;
import dev.relay.adapters.testkit.fcm.TestServiceAccount;
import dev.relay.adapters.testkit.smtp.SmtpFake;
import dev.relay.adapters.testkit.twilio.TwilioFake;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/** The fallback list through the real adapters, each against its provider's fake. */
@DisplayName("Channel fallback through the FCM, Twilio and SMTP adapters")
class ChannelFallbackTest {

  private static final String ACCOUNT_SID = "AC" + "0123456789abcdef".repeat(2);
  private final Vertx vertx = Vertx.vertx();
  private TestGateway gateway;
  private SmtpFake smtp;

  @AfterEach
  void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (smtp != null) {
      smtp.close();
    }
    await(vertx.close());
  }

  @Test
  @DisplayName("push → SMS → email reaches a recipient without a push token by SMS, and one without a phone by email")
  void pushThenSmsThenEmail() throws Exception {
    TestServiceAccount serviceAccount = TestServiceAccount.generate("relay-test");
    FcmFake fcm = await(FcmFake.start(vertx, serviceAccount, Clock.systemUTC()));
    TwilioFake twilio = await(TwilioFake.start(vertx, "127.0.0.1", 0, ACCOUNT_SID, "twilio-token"));
    smtp = SmtpFake.start("relay", "smtp-password");
    JsonArray accounts = new JsonArray()
      .add(new JsonObject().put("name", "fcm").put("adapter", "push-fcm").put("settings", new JsonObject()
        .put("service-account", fcm.serviceAccountJson()).put("base-url", fcm.url())))
      .add(new JsonObject().put("name", "twilio").put("adapter", "sms-twilio").put("settings", new JsonObject()
        .put("account-sid", ACCOUNT_SID).put("auth-token", "twilio-token").put("from", "+15005550006")
        .put("base-url", twilio.url())))
      .add(new JsonObject().put("name", "smtp").put("adapter", "email-smtp").put("settings", new JsonObject()
        .put("host", smtp.host()).put("port", smtp.smtpPort()).put("from", "relay@example.com")
        .put("username", "relay").put("password", "smtp-password").put("starttls", "disabled")));
    gateway = TestGateway.withAccounts(accounts, Map.of());
    String key = gateway.apiKey("acme");
    // The tenant's own "welcome" shadows the shipped one; its parts are the recipient's variables.
    gateway.putTemplate(key, "welcome", Batches.echoTemplate());
    JsonObject content = new JsonObject().put("title", "Hoş geldin").put("body", "Welcome, Ayşe")
      .put("text", "Welcome, Ayşe").put("subject", "Welcome").put("html", "<p>Welcome, Ayşe</p>");
    JsonArray recipients = new JsonArray()
      .add(new JsonObject().put("id", "has-push").put("variables", content).put("addresses", new JsonObject()
        .put("push", "device-token-123456").put("sms", "+905551230001").put("email", "a@example.com")))
      .add(new JsonObject().put("id", "no-push").put("variables", content).put("addresses", new JsonObject()
        .put("sms", "+905551230002").put("email", "b@example.com")))
      .add(new JsonObject().put("id", "no-phone").put("variables", content).put("addresses", new JsonObject()
        .put("email", "c@example.com")));
    assertThat(gateway.postBatch(key, null, Batches.envelope("fallback")
      .put("channels", new JsonArray().add("push").add("sms").add("email"))
      .put("recipients", recipients)).statusCode()).isEqualTo(202);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (gateway.database().count("SELECT count(*) FROM messages WHERE state = 'sent'") < 3) {
      assertThat(System.nanoTime()).as("all three sent within 60 s").isLessThan(deadline);
      Thread.sleep(50);
    }

    assertThat(fcm.messages()).singleElement().satisfies(m ->
      assertThat(m.message().getString("token")).isEqualTo("device-token-123456"));
    assertThat(twilio.messages()).singleElement().satisfies(m -> {
      assertThat(m.to()).isEqualTo("+905551230002");
      assertThat(m.body()).isEqualTo("Welcome, Ayşe");
    });
    assertThat(smtp.received()).hasSize(1);
    MimeMessage mail = smtp.received().get(0);
    assertThat(mail.getAllRecipients()[0].toString()).isEqualTo("c@example.com");
    assertThat(mail.getSubject()).isEqualTo("Welcome");
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = 'has-push' AND channel = 'push'"
      + " AND account = 'fcm'")).isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = 'no-push' AND channel = 'sms'"
      + " AND provider_message_id LIKE 'SM%'")).isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id"
      + " WHERE m.recipient_id = 'no-push' AND e.type = 'sent' AND e.data ->> 'encoding' = 'UCS_2'"
      + " AND (e.data ->> 'segments')::int = 1")).as("the SMS's encoding and segments are reported").isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = 'no-phone'"
      + " AND channel = 'email'")).isEqualTo(1);
  }
}
