package dev.relay.adapters.whatsapp;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class WhatsAppOutcomesTest {

  private static Buffer error(int code) {
    return new JsonObject().put("error", new JsonObject().put("message", "m" + code).put("code", code)
      .put("error_data", new JsonObject().put("details", "d" + code))).toBuffer();
  }

  @ParameterizedTest(name = "HTTP {0} with error {1} is {2}, throttled: {3}")
  @CsvSource({
    "400, 130429, RETRYABLE, true",
    "400, 131056, RETRYABLE, true",
    "400, 80007, RETRYABLE, true",
    "400, 4, RETRYABLE, true",
    "500, 131000, RETRYABLE, false",
    "503, 2, RETRYABLE, false",
    "400, 131026, PERMANENT, false",
    "404, 132001, PERMANENT, false",
    "400, 100, PERMANENT, false",
    "401, 190, PERMANENT, false",
    "400, 131051, PERMANENT, false",
  })
  @DisplayName("Each documented error code maps to its result, named with its message and details")
  void errorCodes(int status, int code, SendResult.Kind kind, boolean throttled) {
    SendResult result = WhatsAppOutcomes.of(status, null, error(code));

    assertThat(result.kind()).isEqualTo(kind);
    assertThat(result.isThrottled()).isEqualTo(throttled);
    assertThat(result.reason()).startsWith("WhatsApp error " + code + ": m" + code + " (d" + code + ")");
  }

  @Test
  @DisplayName("Without a Graph error, HTTP 429 is throttled, 5xx retryable, 4xx permanent; 190 names the token")
  void statuses() {
    assertThat(WhatsAppOutcomes.of(429, "60", Buffer.buffer()).isThrottled()).isTrue();
    assertThat(WhatsAppOutcomes.of(429, "60", Buffer.buffer()).retryAfter()).contains(Duration.ofSeconds(60));
    assertThat(WhatsAppOutcomes.of(502, null, Buffer.buffer("<html>")).isTransient()).isTrue();
    assertThat(WhatsAppOutcomes.of(403, null, Buffer.buffer()).isPermanent()).isTrue();
    assertThat(WhatsAppOutcomes.of(401, null, error(190)).reason()).contains("'access-token'");
  }

  @Test
  @DisplayName("The wamid of messages[0] is the provider id; a 2xx without one is retried")
  void accepted() {
    Buffer ok = new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("id", "wamid.X"))).toBuffer();

    assertThat(WhatsAppOutcomes.of(200, null, ok).providerMessageId()).isEqualTo("wamid.X");
    assertThat(WhatsAppOutcomes.of(200, null, Buffer.buffer("{\"messages\":[]}")).isTransient()).isTrue();
  }
}
