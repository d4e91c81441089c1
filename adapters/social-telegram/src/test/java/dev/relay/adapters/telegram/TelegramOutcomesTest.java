package dev.relay.adapters.telegram;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

class TelegramOutcomesTest {

  private static Buffer error(int code, String description) {
    return new JsonObject().put("ok", false).put("error_code", code).put("description", description).toBuffer();
  }

  @Test
  @DisplayName("Each documented error class maps to its result, with Telegram's description")
  void errorClasses() {
    assertThat(TelegramOutcomes.of(400, error(400, "Bad Request: chat not found"), "1").reason())
      .isEqualTo("Telegram answered 400: Bad Request: chat not found");
    assertThat(TelegramOutcomes.of(400, error(400, "Bad Request: chat not found"), "1").isPermanent()).isTrue();
    assertThat(TelegramOutcomes.of(403, error(403, "Forbidden: bot was blocked by the user"), "1").isPermanent())
      .isTrue();
    assertThat(TelegramOutcomes.of(401, error(401, "Unauthorized"), "1").reason()).contains("'bot-token'");
    assertThat(TelegramOutcomes.of(404, error(404, "Not Found"), "1").reason()).contains("credentials rejected");
    assertThat(TelegramOutcomes.of(502, Buffer.buffer("<html>Bad Gateway</html>"), "1").isTransient()).isTrue();
    assertThat(TelegramOutcomes.of(500, error(500, "Internal Server Error"), "1").isTransient()).isTrue();
  }

  @Test
  @DisplayName("429 is throttled for parameters.retry_after seconds")
  void floodControl() {
    Buffer body = new JsonObject().put("ok", false).put("error_code", 429)
      .put("description", "Too Many Requests: retry after 35").put("parameters", new JsonObject().put("retry_after", 35))
      .toBuffer();

    SendResult result = TelegramOutcomes.of(429, body, "1");

    assertThat(result.isThrottled()).isTrue();
    assertThat(result.retryAfter()).contains(Duration.ofSeconds(35));
    assertThat(TelegramOutcomes.of(429, error(429, "Too Many Requests"), "1").retryAfter()).isEmpty();
  }

  @Test
  @DisplayName("ok:true is accepted under chat id and message id; a 2xx without message_id is retried")
  void accepted() {
    JsonObject result = new JsonObject().put("message_id", 77).put("chat", new JsonObject().put("id", -100123L));

    assertThat(TelegramOutcomes.of(200, new JsonObject().put("ok", true).put("result", result).toBuffer(), "@news")
      .providerMessageId()).isEqualTo("-100123:77");
    assertThat(TelegramOutcomes.of(200, new JsonObject().put("ok", true).put("result",
      new JsonObject().put("message_id", 78)).toBuffer(), "42").providerMessageId()).isEqualTo("42:78");
    assertThat(TelegramOutcomes.of(200, Buffer.buffer("{\"ok\":true}"), "42").isTransient()).isTrue();
  }

  @Test
  @DisplayName("A client error that quotes the URL has the bot token masked")
  void masksToken() {
    SendResult result = TelegramOutcomes.unanswered(new TimeoutException(
      "The timeout period of 300ms has been exceeded while executing POST /bot1:SECRET/sendMessage"), "1:SECRET");

    assertThat(result.isTransient()).isTrue();
    assertThat(result.reason()).doesNotContain("SECRET").contains("/bot<bot-token>/sendMessage");
  }
}
