package dev.relay.adapters.email;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Mailgun's webhooks, signed here as Mailgun signs them, with a freshly generated signing key. */
@ExtendWith(VertxExtension.class)
class MailgunWebhooksTest {

  static final String KEY = signingKey();
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  static String signingKey() {
    try {
      return HexFormat.of().formatHex(KeyGenerator.getInstance("HmacSHA256").generateKey().getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static WebhookVerifier verifier() {
    return new MailgunWebhooks(KEY, Duration.ofSeconds(300), Clock.fixed(NOW, ZoneOffset.UTC));
  }

  static String hmac(String key, String timestamp, String token) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal((timestamp + token).getBytes(StandardCharsets.UTF_8)));
  }

  static JsonObject eventData(String event, String severity) {
    JsonObject data = new JsonObject()
      .put("id", "G9Bn5sl1TC6nu79C8C0bwg")
      .put("timestamp", 1772366400.529692)
      .put("event", event)
      .put("recipient", "ada@customer.example")
      .put("message", new JsonObject().put("headers", new JsonObject()
        .put("message-id", "relay-42@relay.example").put("to", "ada@customer.example")));
    if (severity != null) {
      data.put("severity", severity).put("reason", "bounce")
        .put("delivery-status", new JsonObject().put("code", 550).put("message", "5.1.1 No such user")
          .put("description", "mailbox unavailable"));
    }
    return data;
  }

  static WebhookRequest request(String timestamp, String token, String signature, JsonObject eventData) {
    JsonObject body = new JsonObject()
      .put("signature", new JsonObject().put("timestamp", timestamp).put("token", token).put("signature", signature))
      .put("event-data", eventData);
    return new WebhookRequest("POST", "https://relay.example/v1/webhooks/email-smtp/mg",
      MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json"), body.toBuffer());
  }

  static WebhookRequest signed(Instant at, JsonObject eventData) throws GeneralSecurityException {
    String timestamp = Long.toString(at.getEpochSecond());
    String token = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";
    return request(timestamp, token, hmac(KEY, timestamp, token), eventData);
  }

  @Test
  @DisplayName("Each tracked Mailgun event, validly signed, becomes its normalized event")
  void valid() throws Exception {
    WebhookVerifier verifier = verifier();
    record Case(String event, String severity, WebhookEvent.Type type) {
    }
    for (Case c : List.of(
      new Case("delivered", null, WebhookEvent.Type.DELIVERED),
      new Case("failed", "permanent", WebhookEvent.Type.BOUNCED_HARD),
      new Case("failed", "temporary", WebhookEvent.Type.BOUNCED_SOFT),
      new Case("opened", null, WebhookEvent.Type.OPENED),
      new Case("clicked", null, WebhookEvent.Type.CLICKED),
      new Case("complained", null, WebhookEvent.Type.COMPLAINED),
      new Case("unsubscribed", null, WebhookEvent.Type.UNSUBSCRIBED),
      new Case("rejected", null, WebhookEvent.Type.FAILED))) {
      List<WebhookEvent> events = verifier.verify(signed(NOW.minusSeconds(30), eventData(c.event(), c.severity())));
      assertThat(events).as(c.event()).singleElement().satisfies(e -> {
        assertThat(e.type()).isEqualTo(c.type());
        assertThat(e.providerEventId()).isEqualTo("G9Bn5sl1TC6nu79C8C0bwg");
        assertThat(e.providerMessageId()).isEqualTo("relay-42@relay.example");
        assertThat(e.occurredAt()).isEqualTo(Instant.ofEpochSecond(1772366400L, 529_692_000L));
        assertThat(e.detail().getString("event")).isEqualTo(c.event());
      });
    }
    WebhookEvent bounce = verifier.verify(signed(NOW, eventData("failed", "permanent"))).get(0);
    assertThat(bounce.detail()).isEqualTo(new JsonObject().put("event", "failed").put("severity", "permanent")
      .put("reason", "bounce").put("status", 550).put("response", "5.1.1 No such user")
      .put("description", "mailbox unavailable"));
    assertThat(verifier.verify(signed(NOW, eventData("accepted", null)))).as("not tracked").isEmpty();
  }

  @Test
  @DisplayName("The user variables set by the adapter name the message; a bracketed message-id is unbracketed")
  void messageIds() throws Exception {
    JsonObject tagged = eventData("opened", null).put("user-variables", new JsonObject()
      .put("relay_smtp_id", "relay-77@mid.relay.example").put("relay_message_id", "77"))
      .put("client-info", new JsonObject().put("user-agent", "Mozilla/5.0"));
    WebhookEvent opened = verifier().verify(signed(NOW, tagged)).get(0);
    assertThat(opened.providerMessageId()).isEqualTo("relay-77@mid.relay.example");
    assertThat(opened.detail().getString("relay_message_id")).isEqualTo("77");
    assertThat(opened.detail().getString("useragent")).isEqualTo("Mozilla/5.0");

    JsonObject bracketed = eventData("delivered", null);
    bracketed.getJsonObject("message").getJsonObject("headers").put("message-id", "<relay-5@relay.example>");
    assertThat(verifier().verify(signed(NOW, bracketed)).get(0).providerMessageId())
      .isEqualTo("relay-5@relay.example");
  }

  @Test
  @DisplayName("A tampered token, timestamp or signature, or another key's signature, is rejected")
  void tampered() throws Exception {
    WebhookVerifier verifier = verifier();
    String timestamp = Long.toString(NOW.getEpochSecond());
    String token = "token-1";
    String signature = hmac(KEY, timestamp, token);
    JsonObject data = eventData("delivered", null);

    assertThat(verifier.verify(request(timestamp, token, signature, data))).hasSize(1);
    assertThatThrownBy(() -> verifier.verify(request(timestamp, "token-2", signature, data)))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("does not match");
    assertThatThrownBy(() -> verifier.verify(request(Long.toString(NOW.getEpochSecond() - 1), token, signature,
      data))).isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(timestamp, token, (signature.charAt(0) == '0' ? "1" : "0") + signature.substring(1), data)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(timestamp, token, hmac(signingKey(), timestamp, token), data)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(new WebhookRequest("POST", "https://relay.example/x",
      MultiMap.caseInsensitiveMultiMap(), Buffer.buffer("{\"event-data\":{}}"))))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("'signature'");
    assertThatThrownBy(() -> verifier.verify(new WebhookRequest("POST", "https://relay.example/x",
      MultiMap.caseInsensitiveMultiMap(), Buffer.buffer("not json"))))
      .isInstanceOf(WebhookRejectedException.class);
  }

  @Test
  @DisplayName("A validly signed call whose timestamp is outside the tolerance is rejected as stale")
  void stale() throws Exception {
    WebhookVerifier verifier = verifier();
    for (long offset : new long[] {-301, 301, -7 * 86_400}) {
      WebhookRequest request = signed(NOW.plusSeconds(offset), eventData("delivered", null));
      assertThatThrownBy(() -> verifier.verify(request))
        .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("stale");
    }
    assertThat(verifier.verify(signed(NOW.plusSeconds(300), eventData("delivered", null)))).hasSize(1);
  }

  @Test
  @DisplayName("A verified call without event-data, or an event without its id, fails as unparseable")
  void unparseable() throws Exception {
    WebhookVerifier verifier = verifier();
    String timestamp = Long.toString(NOW.getEpochSecond());
    WebhookRequest noData = request(timestamp, "t", hmac(KEY, timestamp, "t"), null);
    assertThatThrownBy(() -> verifier.verify(noData)).isInstanceOf(IllegalArgumentException.class)
      .isNotInstanceOf(WebhookRejectedException.class).hasMessageContaining("'event-data'");
    JsonObject noId = eventData("delivered", null);
    noId.remove("id");
    assertThatThrownBy(() -> verifier.verify(signed(NOW, noId))).isInstanceOf(IllegalArgumentException.class)
      .hasMessageContaining("'id'");
  }

  @Test
  @DisplayName("An account with webhooks: mailgun verifies with its mailgun-signing-key setting and the real clock")
  void account(Vertx vertx, VertxTestContext ctx) throws Exception {
    JsonObject settings = new JsonObject().put("host", "smtp.mailgun.org").put("from", "news@relay.example")
      .put("webhooks", "mailgun").put("mailgun-signing-key", KEY).put("webhook-tolerance-seconds", 60);
    ProviderAccount account = new EmailSmtpAdapter().open(vertx, new AccountSettings("mg", "email-smtp", settings));
    WebhookVerifier verifier = account.webhooks().orElseThrow();
    assertThat(verifier.verify(signed(Instant.now(), eventData("delivered", null)))).hasSize(1);
    WebhookRequest old = signed(Instant.now().minusSeconds(120), eventData("delivered", null));
    assertThatThrownBy(() -> verifier.verify(old)).isInstanceOf(WebhookRejectedException.class);
    account.close().onComplete(ctx.succeedingThenComplete());
  }
}
