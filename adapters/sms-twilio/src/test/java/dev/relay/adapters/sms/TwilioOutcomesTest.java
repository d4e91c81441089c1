package dev.relay.adapters.sms;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

class TwilioOutcomesTest {

  private static Buffer error(int code, String message, int status) {
    return new JsonObject().put("code", code).put("message", message).put("status", status).toBuffer();
  }

  @ParameterizedTest(name = "{0} with error {1} is {2}")
  @CsvSource({
    "400, 21211, PERMANENT",
    "400, 21610, PERMANENT",
    "400, 21614, PERMANENT",
    "400, 21408, PERMANENT",
    "400, 21617, PERMANENT",
    "404, 20404, PERMANENT",
    "401, 20003, PERMANENT",
    "429, 20429, RETRYABLE",
    "500, 20500, RETRYABLE",
    "503, 20503, RETRYABLE",
  })
  @DisplayName("Each documented error class maps to its result")
  void errorClasses(int status, int code, SendResult.Kind kind) {
    SendResult result = TwilioOutcomes.of(status, null, error(code, "m" + code, status));

    assertThat(result.kind()).isEqualTo(kind);
    assertThat(result.isThrottled()).isEqualTo(status == 429);
    assertThat(result.reason()).contains(String.valueOf(code));
  }

  @Test
  @DisplayName("A recipient error names Twilio's code and message")
  void recipientErrors() {
    assertThat(TwilioOutcomes.of(400, null, error(21610, "Attempt to send to unsubscribed recipient", 400)).reason())
      .isEqualTo("Twilio error 21610: Attempt to send to unsubscribed recipient");
    assertThat(TwilioOutcomes.of(401, null, error(20003, "Authenticate", 401)).reason())
      .contains("credentials rejected").contains("'auth-token'");
  }

  @Test
  @DisplayName("201 with a sid is accepted under the sid; a 2xx without one is retried")
  void accepted() {
    assertThat(TwilioOutcomes.of(201, null, new JsonObject().put("sid", "SM123").toBuffer()).providerMessageId())
      .isEqualTo("SM123");
    assertThat(TwilioOutcomes.of(201, null, Buffer.buffer("{}")).isTransient()).isTrue();
    assertThat(TwilioOutcomes.of(201, null, Buffer.buffer("<html>")).isTransient()).isTrue();
  }

  @Test
  @DisplayName("Retry-After is kept for 429 and 5xx; a body that is not JSON leaves the status to decide")
  void retryAfter() {
    assertThat(TwilioOutcomes.of(429, "12", Buffer.buffer()).retryAfter()).contains(Duration.ofSeconds(12));
    assertThat(TwilioOutcomes.of(503, "3", Buffer.buffer("<html>busy</html>")).retryAfter())
      .contains(Duration.ofSeconds(3));
    assertThat(TwilioOutcomes.of(429, "soon", Buffer.buffer()).retryAfter()).isEmpty();
    assertThat(TwilioOutcomes.of(302, null, Buffer.buffer()).isPermanent()).isTrue();
    assertThat(TwilioOutcomes.unanswered(new TimeoutException("idle 300 ms")).isTransient()).isTrue();
  }
}
