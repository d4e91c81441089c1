package dev.relay.adapters.webhookhttp;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.OutboundMessage;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class WebhookHttpAdapterTest {

  static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

  @Test
  @DisplayName("ServiceLoader finds webhook-http on the webhook channel")
  void discovery() {
    assertThat(ServiceLoader.load(Adapter.class).stream().map(ServiceLoader.Provider::get))
      .filteredOn(a -> a.name().equals("webhook-http"))
      .singleElement()
      .satisfies(a -> assertThat(a.channel()).isEqualTo(Channel.WEBHOOK));
  }

  @Test
  @DisplayName("Missing or malformed settings stop the account from opening, naming the setting, never the secret")
  void settings(Vertx vertx) {
    Adapter adapter = new WebhookHttpAdapter();
    JsonObject valid = new JsonObject().put("url", "https://hooks.example.com/relay").put("secret", SECRET);

    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("url", null))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'url'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("url", "/relay"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'url'");
    assertThatThrownBy(() -> adapter.open(vertx, account(without(valid, "secret"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'secret'");
    String leaked = "whsec_not-base64-at-all";
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("secret", leaked))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'secret'")
      .hasMessageNotContaining("not-base64");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("timeout-ms", "soon"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'timeout-ms'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("max-connections", -1))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'max-connections'");

    assertThat(adapter.open(vertx, account(valid.copy().put("timeout-ms", 2500).put("max-connections", "4")))
      .settings().name()).isEqualTo("hooks");
  }

  @Test
  @DisplayName("The body is the Standard Webhooks envelope around every field of the message")
  void body() {
    OutboundMessage message = new OutboundMessage(42, "relay-42", 2, "acme", "welcome", "u-1", "customer-7", "tr-TR",
      new JsonObject().put("text", "Merhaba"));

    JsonObject body = WebhookHttpAccount.body(message, Instant.parse("2026-01-19T00:13:51.123Z")).toJsonObject();

    assertThat(body).isEqualTo(new JsonObject()
      .put("type", "message.send")
      .put("timestamp", "2026-01-19T00:13:51.123Z")
      .put("data", new JsonObject()
        .put("message_id", 42)
        .put("idempotency_key", "relay-42")
        .put("attempt", 2)
        .put("tenant", "acme")
        .put("campaign", "welcome")
        .put("recipient_id", "u-1")
        .put("address", "customer-7")
        .put("locale", "tr-TR")
        .put("content", new JsonObject().put("text", "Merhaba"))));
  }

  @Test
  @DisplayName("Keys that cannot be a webhook-id are named as such")
  void webhookIds() {
    assertThat(WebhookHttpAccount.unusableId("relay-42")).isNull();
    assertThat(WebhookHttpAccount.unusableId("msg_p5jXN8AQM9LWM0D4loKWxJek")).isNull();
    assertThat(WebhookHttpAccount.unusableId("relay.42")).contains("'.'");
    assertThat(WebhookHttpAccount.unusableId("relay 42")).isNotNull();
    assertThat(WebhookHttpAccount.unusableId("relay-42\r\nx: y")).isNotNull();
    assertThat(WebhookHttpAccount.unusableId(null)).isNotNull();
  }

  private static JsonObject without(JsonObject json, String key) {
    JsonObject copy = json.copy();
    copy.remove(key);
    return copy;
  }

  private static AccountSettings account(JsonObject settings) {
    return new AccountSettings("hooks", "webhook-http", settings);
  }
}
