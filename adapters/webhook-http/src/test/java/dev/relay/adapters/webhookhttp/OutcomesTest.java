package dev.relay.adapters.webhookhttp;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class OutcomesTest {

  private static final Instant NOW = Instant.parse("2026-01-19T00:00:00Z");

  @ParameterizedTest(name = "{0} is {1}, throttled: {2}")
  @CsvSource({
    "200, ACCEPTED, false",
    "202, ACCEPTED, false",
    "204, ACCEPTED, false",
    "429, RETRYABLE, true",
    "502, RETRYABLE, true",
    "504, RETRYABLE, true",
    "500, RETRYABLE, false",
    "503, RETRYABLE, false",
    "408, RETRYABLE, false",
    "409, RETRYABLE, false",
    "425, RETRYABLE, false",
    "400, PERMANENT, false",
    "401, PERMANENT, false",
    "404, PERMANENT, false",
    "410, PERMANENT, false",
    "413, PERMANENT, false",
    "301, PERMANENT, false",
    "307, PERMANENT, false",
  })
  @DisplayName("Each status maps to the result the specification's guidance implies")
  void statusMapping(int status, SendResult.Kind kind, boolean throttled) {
    SendResult result = Outcomes.of(status, null, Buffer.buffer(), "relay-1", NOW);

    assertThat(result.kind()).isEqualTo(kind);
    assertThat(result.isThrottled()).isEqualTo(throttled);
    if (kind != SendResult.Kind.ACCEPTED) {
      assertThat(result.reason()).startsWith("endpoint answered " + status);
    }
  }

  @Test
  @DisplayName("Retry-After is honoured in seconds and as an HTTP date, and ignored when unreadable")
  void retryAfter() {
    assertThat(Outcomes.of(429, "3", Buffer.buffer(), "relay-1", NOW).retryAfter()).contains(Duration.ofSeconds(3));
    assertThat(Outcomes.of(503, "Mon, 19 Jan 2026 00:01:00 GMT", Buffer.buffer(), "relay-1", NOW).retryAfter())
      .contains(Duration.ofMinutes(1));
    assertThat(Outcomes.retryAfter("Sun, 18 Jan 2026 23:00:00 GMT", NOW)).isEqualTo(Duration.ZERO);
    assertThat(Outcomes.retryAfter("soon", NOW)).isNull();
    assertThat(Outcomes.retryAfter("99999999999999", NOW)).isNull();
    assertThat(Outcomes.retryAfter(null, NOW)).isNull();
  }

  @Test
  @DisplayName("The provider id is the id of a JSON answer when there is one, otherwise the webhook-id")
  void providerId() {
    assertThat(Outcomes.providerId(Buffer.buffer("{\"id\":\"evt_9\"}"), "relay-1")).isEqualTo("evt_9");
    assertThat(Outcomes.providerId(Buffer.buffer("{\"id\":9}"), "relay-1")).isEqualTo("9");
    assertThat(Outcomes.providerId(Buffer.buffer("{\"ok\":true}"), "relay-1")).isEqualTo("relay-1");
    assertThat(Outcomes.providerId(Buffer.buffer("{\"id\":\"\"}"), "relay-1")).isEqualTo("relay-1");
    assertThat(Outcomes.providerId(Buffer.buffer("OK"), "relay-1")).isEqualTo("relay-1");
    assertThat(Outcomes.providerId(Buffer.buffer("{truncated"), "relay-1")).isEqualTo("relay-1");
    assertThat(Outcomes.providerId(Buffer.buffer(), "relay-1")).isEqualTo("relay-1");
  }

  @Test
  @DisplayName("A call without an answer is retryable and says why")
  void unanswered() {
    SendResult result = Outcomes.unanswered(new ConnectException("Connection refused: /127.0.0.1:9"));

    assertThat(result.isTransient()).isTrue();
    assertThat(result.reason()).isEqualTo("no answer from endpoint: Connection refused: /127.0.0.1:9");
  }
}
