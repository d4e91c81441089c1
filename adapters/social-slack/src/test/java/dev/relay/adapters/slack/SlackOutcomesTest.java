package dev.relay.adapters.slack;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class SlackOutcomesTest {

  private static Buffer error(String error) {
    return new JsonObject().put("ok", false).put("error", error).toBuffer();
  }

  @ParameterizedTest(name = "error {0} is {1}")
  @CsvSource({
    "channel_not_found, PERMANENT, false",
    "not_in_channel, PERMANENT, false",
    "is_archived, PERMANENT, false",
    "invalid_auth, PERMANENT, false",
    "account_inactive, PERMANENT, false",
    "msg_too_long, PERMANENT, false",
    "no_text, PERMANENT, false",
    "ratelimited, RETRYABLE, true",
    "internal_error, RETRYABLE, false",
    "fatal_error, RETRYABLE, false",
    "service_unavailable, RETRYABLE, false",
  })
  @DisplayName("Each documented Slack error maps to its result and is named in the reason")
  void errors(String error, SendResult.Kind kind, boolean throttled) {
    SendResult result = SlackOutcomes.of(200, null, error(error));

    assertThat(result.kind()).isEqualTo(kind);
    assertThat(result.isThrottled()).isEqualTo(throttled);
    assertThat(result.reason()).startsWith("Slack error " + error);
  }

  @Test
  @DisplayName("HTTP 429 is throttled with Retry-After, 5xx retryable, other statuses permanent")
  void statuses() {
    SendResult throttled = SlackOutcomes.of(429, "30", Buffer.buffer());
    assertThat(throttled.isThrottled()).isTrue();
    assertThat(throttled.retryAfter()).contains(Duration.ofSeconds(30));
    assertThat(SlackOutcomes.of(503, null, Buffer.buffer("<html>")).isTransient()).isTrue();
    assertThat(SlackOutcomes.of(404, null, Buffer.buffer()).isPermanent()).isTrue();
    assertThat(SlackOutcomes.of(301, null, Buffer.buffer()).reason()).contains("'base-url'");
    assertThat(SlackOutcomes.of(200, null, Buffer.buffer("ok")).isTransient()).isTrue();
  }

  @Test
  @DisplayName("ok:true is accepted under channel:ts")
  void accepted() {
    SendResult result = SlackOutcomes.of(200, null, new JsonObject().put("ok", true).put("channel", "C1")
      .put("ts", "1700000000.000100").toBuffer());

    assertThat(result.providerMessageId()).isEqualTo("C1:1700000000.000100");
    assertThat(SlackOutcomes.of(200, null, Buffer.buffer("{\"ok\":true}")).isTransient()).isTrue();
  }
}
