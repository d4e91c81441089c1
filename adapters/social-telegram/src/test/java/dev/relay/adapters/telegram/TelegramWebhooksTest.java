package dev.relay.adapters.telegram;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.testkit.telegram.TelegramFake;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static dev.relay.adapters.telegram.TelegramAdapterTest.WEBHOOK_SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TelegramWebhooksTest {

  private static final Instant NOW = Instant.parse("2026-01-19T10:00:00Z");
  private final TelegramWebhooks verifier = new TelegramWebhooks(WEBHOOK_SECRET, Clock.fixed(NOW, ZoneOffset.UTC));

  private static JsonObject message(long updateId, long chatId, String text) {
    return new JsonObject().put("update_id", updateId).put("message", new JsonObject()
      .put("message_id", 9).put("from", new JsonObject().put("id", chatId).put("is_bot", false).put("first_name", "Ayşe"))
      .put("chat", new JsonObject().put("id", chatId).put("type", "private")).put("date", 1768816800L)
      .put("text", text));
  }

  private static WebhookRequest request(String secret, JsonObject update) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json");
    if (secret != null) {
      headers.add(TelegramFake.SECRET_HEADER, secret);
    }
    return new WebhookRequest("POST", "https://relay.example.com/v1/webhooks/social-telegram/telegram-bot", headers,
      update.toBuffer());
  }

  @ParameterizedTest(name = "\"{0}\" unsubscribes")
  @ValueSource(strings = {"/stop", "/STOP", " /stop please", "/stop@RelayBot"})
  @DisplayName("/stop is UNSUBSCRIBED for the chat, at the message's date, under update:<update_id>")
  void stop(String text) {
    assertThat(verifier.verify(request(WEBHOOK_SECRET, message(5001, 123456789L, text)))).singleElement()
      .isEqualTo(new WebhookEvent("update:5001", null, WebhookEvent.Type.UNSUBSCRIBED,
        Instant.ofEpochSecond(1768816800L), new JsonObject().put("address", "123456789")));
  }

  @Test
  @DisplayName("Blocking the bot (my_chat_member kicked) is UNSUBSCRIBED; other messages and updates yield nothing")
  void blockedAndOthers() {
    JsonObject blocked = new JsonObject().put("update_id", 5002).put("my_chat_member", new JsonObject()
      .put("chat", new JsonObject().put("id", 42).put("type", "private")).put("date", 1768816801L)
      .put("old_chat_member", new JsonObject().put("status", "member"))
      .put("new_chat_member", new JsonObject().put("status", "kicked")));

    assertThat(verifier.verify(request(WEBHOOK_SECRET, blocked))).singleElement().satisfies(e -> {
      assertThat(e.type()).isEqualTo(WebhookEvent.Type.UNSUBSCRIBED);
      assertThat(e.detail().getString("address")).isEqualTo("42");
    });
    assertThat(verifier.verify(request(WEBHOOK_SECRET, message(5003, 42, "stop sending me /stop")))).isEmpty();
    assertThat(verifier.verify(request(WEBHOOK_SECRET, message(5004, 42, "/start")))).isEmpty();
    assertThat(verifier.verify(request(WEBHOOK_SECRET, new JsonObject().put("update_id", 5005)))).isEmpty();
  }

  @Test
  @DisplayName("A missing or different secret token is rejected")
  void rejects() {
    JsonObject update = message(5001, 42, "/stop");

    assertThatThrownBy(() -> verifier.verify(request(null, update)))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("missing");
    assertThatThrownBy(() -> verifier.verify(request(WEBHOOK_SECRET + "x", update)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(WEBHOOK_SECRET.toLowerCase(), update)))
      .isInstanceOf(WebhookRejectedException.class);
  }

  @Test
  @DisplayName("A verified body that is not an update cannot be parsed")
  void unparseable() {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add(TelegramFake.SECRET_HEADER, WEBHOOK_SECRET);

    assertThatThrownBy(() -> verifier.verify(new WebhookRequest("POST", "https://x", headers, Buffer.buffer("nope"))))
      .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> verifier.verify(request(WEBHOOK_SECRET, new JsonObject().put("message", 1))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("update_id");
  }
}
