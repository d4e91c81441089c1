package dev.relay.adapters.email;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.spi.WebhookVerifier;
import dev.relay.adapters.testkit.sendgrid.SendGridSigner;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SendGrid's signed Event Webhook, signed here as SendGrid signs it, with a freshly generated P-256 key. */
@ExtendWith(VertxExtension.class)
class SendGridWebhooksTest {

  static final KeyPair KEYS = keyPair();
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  static KeyPair keyPair() {
    return SendGridSigner.generate().keys();
  }

  /** A verifier for {@code keys} whose clock stands at {@link #NOW}. */
  private static WebhookVerifier verifier(KeyPair keys) {
    return new SendGridWebhooks(keys.getPublic(), Duration.ofSeconds(300), Clock.fixed(NOW, ZoneOffset.UTC));
  }

  static String sign(KeyPair keys, String timestamp, String body) throws GeneralSecurityException {
    Signature ecdsa = Signature.getInstance("SHA256withECDSA");
    ecdsa.initSign(keys.getPrivate());
    ecdsa.update((timestamp + body).getBytes(StandardCharsets.UTF_8));
    return Base64.getEncoder().encodeToString(ecdsa.sign());
  }

  static WebhookRequest request(String signature, String timestamp, String body) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json");
    if (signature != null) {
      headers.add("X-Twilio-Email-Event-Webhook-Signature", signature);
    }
    if (timestamp != null) {
      headers.add("X-Twilio-Email-Event-Webhook-Timestamp", timestamp);
    }
    return new WebhookRequest("POST", "https://relay.example/v1/webhooks/email-smtp/sg", headers,
      Buffer.buffer(body));
  }

  static final String BODY = new JsonArray()
    .add(new JsonObject().put("email", "ada@customer.example").put("timestamp", 1772366000L)
      .put("smtp-id", "<relay-42@relay.example>").put("event", "processed").put("sg_event_id", "ev-0")
      .put("sg_message_id", "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"))
    .add(new JsonObject().put("email", "ada@customer.example").put("timestamp", 1772366001L)
      .put("smtp-id", "<relay-42@relay.example>").put("event", "delivered").put("sg_event_id", "ev-1")
      .put("sg_message_id", "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0").put("response", "250 OK"))
    .add(new JsonObject().put("timestamp", 1772366002L).put("event", "bounce").put("type", "bounce")
      .put("sg_event_id", "ev-2").put("smtp-id", "<relay-43@relay.example>").put("status", "5.1.1")
      .put("reason", "550 5.1.1 The email account that you tried to reach does not exist"))
    .add(new JsonObject().put("timestamp", 1772366003L).put("event", "bounce").put("type", "blocked")
      .put("sg_event_id", "ev-3").put("smtp-id", "<relay-44@relay.example>"))
    .add(new JsonObject().put("timestamp", 1772366004L).put("event", "deferred").put("sg_event_id", "ev-4")
      .put("smtp-id", "<relay-45@relay.example>").put("attempt", "2"))
    .add(new JsonObject().put("timestamp", 1772366005L).put("event", "dropped").put("sg_event_id", "ev-5")
      .put("smtp-id", "<relay-46@relay.example>").put("reason", "Bounced Address"))
    .add(new JsonObject().put("timestamp", 1772366006L).put("event", "spamreport").put("sg_event_id", "ev-6")
      .put("sg_message_id", "sgid-6.filter0001.1.2.3").put("relay_smtp_id", "relay-47@relay.example"))
    .add(new JsonObject().put("timestamp", 1772366007L).put("event", "open").put("sg_event_id", "ev-7")
      .put("sg_message_id", "sgid-7.filter0001").put("relay_smtp_id", "relay-42@relay.example")
      .put("relay_message_id", "42").put("useragent", "Mozilla/5.0").put("sg_machine_open", true))
    .add(new JsonObject().put("timestamp", 1772366008L).put("event", "click").put("sg_event_id", "ev-8")
      .put("sg_message_id", "sgid-8.filter0002.x").put("url", "https://shop.example/a?b=c")
      .put("useragent", "Mozilla/5.0"))
    .add(new JsonObject().put("timestamp", 1772366009L).put("event", "unsubscribe").put("sg_event_id", "ev-9")
      .put("sg_message_id", "sgid-9").put("relay_smtp_id", "relay-48@relay.example"))
    .encode();

  @Test
  @DisplayName("An account with webhooks: sendgrid verifies with its sendgrid-public-key setting and the real clock")
  void account(Vertx vertx, VertxTestContext ctx) throws Exception {
    JsonObject settings = new JsonObject().put("host", "smtp.sendgrid.net").put("from", "news@relay.example")
      .put("webhooks", "sendgrid")
      .put("sendgrid-public-key", Base64.getEncoder().encodeToString(KEYS.getPublic().getEncoded()));
    ProviderAccount account = new EmailSmtpAdapter().open(vertx, new AccountSettings("sg", "email-smtp", settings));
    WebhookVerifier verifier = account.webhooks().orElseThrow();
    String now = Long.toString(Instant.now().getEpochSecond());
    assertThat(verifier.verify(request(sign(KEYS, now, BODY), now, BODY))).hasSize(9);
    String old = Long.toString(Instant.now().getEpochSecond() - 3600);
    assertThatThrownBy(() -> verifier.verify(request(sign(KEYS, old, BODY), old, BODY)))
      .isInstanceOf(WebhookRejectedException.class);
    account.close().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("A validly signed batch becomes one normalized event per tracked SendGrid event")
  void valid() throws Exception {
    String timestamp = Long.toString(NOW.getEpochSecond() - 60);
    List<WebhookEvent> events = verifier(KEYS).verify(request(sign(KEYS, timestamp, BODY), timestamp, BODY));

    assertThat(events).extracting(WebhookEvent::providerEventId)
      .containsExactly("ev-1", "ev-2", "ev-3", "ev-4", "ev-5", "ev-6", "ev-7", "ev-8", "ev-9");
    assertThat(events).extracting(WebhookEvent::type).containsExactly(
      WebhookEvent.Type.DELIVERED, WebhookEvent.Type.BOUNCED_HARD, WebhookEvent.Type.BOUNCED_SOFT,
      WebhookEvent.Type.BOUNCED_SOFT, WebhookEvent.Type.FAILED, WebhookEvent.Type.COMPLAINED,
      WebhookEvent.Type.OPENED, WebhookEvent.Type.CLICKED, WebhookEvent.Type.UNSUBSCRIBED);
    assertThat(events).extracting(WebhookEvent::providerMessageId).containsExactly(
      "relay-42@relay.example", "relay-43@relay.example", "relay-44@relay.example", "relay-45@relay.example",
      "relay-46@relay.example", "relay-47@relay.example", "relay-42@relay.example", "sgid-8",
      "relay-48@relay.example");
    assertThat(events.get(0).occurredAt()).isEqualTo(Instant.ofEpochSecond(1772366001L));
    assertThat(events.get(1).detail().getString("reason")).startsWith("550 5.1.1");
    assertThat(events.get(1).detail().getString("type")).isEqualTo("bounce");
    assertThat(events.get(6).detail().getString("useragent")).isEqualTo("Mozilla/5.0");
    assertThat(events.get(6).detail().getBoolean("sg_machine_open")).isTrue();
    assertThat(events.get(6).detail().getString("relay_message_id")).isEqualTo("42");
    assertThat(events.get(7).detail().getString("url")).isEqualTo("https://shop.example/a?b=c");
    assertThat(events.get(0).detail().containsKey("email")).as("recipients' addresses are not kept").isFalse();
  }

  @Test
  @DisplayName("A tampered body, a signature by another key, or a mangled signature is rejected")
  void tampered() throws Exception {
    WebhookVerifier verifier = verifier(KEYS);
    String timestamp = Long.toString(NOW.getEpochSecond());
    String signature = sign(KEYS, timestamp, BODY);

    assertThatThrownBy(() -> verifier.verify(request(signature, timestamp, BODY.replace("ev-2", "ev-X"))))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("does not verify");
    assertThatThrownBy(() -> verifier.verify(request(signature, Long.toString(NOW.getEpochSecond() + 1), BODY)))
      .as("the timestamp is signed too").isInstanceOf(WebhookRejectedException.class);
    String other = sign(keyPair(), timestamp, BODY);
    assertThatThrownBy(() -> verifier.verify(request(other, timestamp, BODY)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request("bm90IGEgc2lnbmF0dXJl", timestamp, BODY)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request("%%%", timestamp, BODY)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(null, timestamp, BODY)))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("Signature is missing");
    assertThatThrownBy(() -> verifier.verify(request(signature, null, BODY)))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("Timestamp is missing");
  }

  @Test
  @DisplayName("A validly signed call with a timestamp outside the tolerance is rejected as stale")
  void stale() throws Exception {
    WebhookVerifier verifier = verifier(KEYS);
    for (long offset : new long[] {-301, 301, -86_400}) {
      String timestamp = Long.toString(NOW.getEpochSecond() + offset);
      assertThatThrownBy(() -> verifier.verify(request(sign(KEYS, timestamp, BODY), timestamp, BODY)))
        .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("stale");
    }
    String edge = Long.toString(NOW.getEpochSecond() - 300);
    assertThat(verifier.verify(request(sign(KEYS, edge, BODY), edge, BODY))).hasSize(9);
  }

  @Test
  @DisplayName("A verified body that is not an array of events fails as unparseable, naming what is missing")
  void unparseable() throws Exception {
    WebhookVerifier verifier = verifier(KEYS);
    String timestamp = Long.toString(NOW.getEpochSecond());
    for (String body : List.of("{\"event\":\"open\"}", "[1]",
      "[{\"event\":\"open\",\"timestamp\":1,\"sg_message_id\":\"m\"}]")) {
      assertThatThrownBy(() -> verifier.verify(request(sign(KEYS, timestamp, body), timestamp, body)))
        .isInstanceOf(IllegalArgumentException.class);
    }
    String missingId = "[{\"event\":\"open\",\"timestamp\":1,\"sg_message_id\":\"m\"}]";
    assertThatThrownBy(() -> verifier.verify(request(sign(KEYS, timestamp, missingId), timestamp, missingId)))
      .hasMessageContaining("'sg_event_id'");
  }
}
