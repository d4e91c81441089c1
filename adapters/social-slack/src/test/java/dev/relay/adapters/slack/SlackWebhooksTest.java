package dev.relay.adapters.slack;

import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.testkit.slack.SlackFake;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static dev.relay.adapters.slack.SlackAdapterTest.SIGNING_SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SlackWebhooksTest {

  private static final Instant NOW = Instant.parse("2026-01-19T10:00:00Z");
  private static final String URL = "https://relay.example.com/v1/webhooks/social-slack/slack-team";
  private static final String EVENT = "{\"token\":\"x\",\"team_id\":\"T1\",\"type\":\"event_callback\","
    + "\"event\":{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\",\"text\":\"stop\",\"ts\":\"1.2\"},"
    + "\"event_id\":\"Ev1\",\"event_time\":1768816800}";

  private final SlackWebhooks verifier = new SlackWebhooks(SIGNING_SECRET, Clock.fixed(NOW, ZoneOffset.UTC));

  private static WebhookRequest request(String signature, Long timestamp, String body) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json");
    if (signature != null) {
      headers.add("X-Slack-Signature", signature);
    }
    if (timestamp != null) {
      headers.add("X-Slack-Request-Timestamp", Long.toString(timestamp));
    }
    return new WebhookRequest("POST", URL, headers, Buffer.buffer(body));
  }

  private static WebhookRequest signed(long timestamp, String body) {
    return request(SlackFake.sign(SIGNING_SECRET, timestamp, body), timestamp, body);
  }

  @Test
  @DisplayName("Slack's documented example verifies")
  void slackExample() {
    String body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
      + "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url="
      + "https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id="
      + "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    SlackWebhooks atThatTime = new SlackWebhooks("8f742231b10e8888abcd99yyyzzz85a5",
      Clock.fixed(Instant.ofEpochSecond(1531420618L + 10), ZoneOffset.UTC));

    assertThat(atThatTime.sign("1531420618", Buffer.buffer(body)))
      .isEqualTo("a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
    assertThatThrownBy(() -> atThatTime.verify(request(
      "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", 1531420618L, body)))
      .as("verified, but a slash command is not an Events API payload")
      .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("A signed, recent event verifies and yields no event: Slack reports no delivery; it is no handshake")
  void validYieldsNothing() {
    assertThat(verifier.handshake(signed(NOW.getEpochSecond(), EVENT))).isEmpty();
    assertThat(verifier.verify(signed(NOW.getEpochSecond(), EVENT))).isEmpty();
    assertThat(verifier.verify(signed(NOW.getEpochSecond(), "{\"token\":\"x\",\"team_id\":\"T1\","
      + "\"api_app_id\":\"A1\",\"type\":\"app_rate_limited\",\"minute_rate_limited\":1518467820}"))).isEmpty();
  }

  @Test
  @DisplayName("Slack's documented url_verification payload, signed, is answered 200 text/plain with its challenge;"
    + " unsigned or stale, it is rejected")
  void urlVerification() {
    // The payload of Slack's url_verification event page.
    String body = "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":"
      + "\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\",\"type\":\"url_verification\"}";
    assertThat(verifier.handshake(signed(NOW.getEpochSecond() - 290, body))).hasValueSatisfying(reply -> {
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.contentType()).startsWith("text/plain");
      assertThat(reply.body().toString()).isEqualTo("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    });
    assertThatThrownBy(() -> verifier.handshake(request("v0=" + "0".repeat(64), NOW.getEpochSecond(), body)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.handshake(signed(NOW.getEpochSecond() - 301, body)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.handshake(signed(NOW.getEpochSecond(),
      "{\"token\":\"x\",\"type\":\"url_verification\"}"))).isInstanceOf(IllegalArgumentException.class)
      .hasMessageContaining("challenge");
  }

  @Test
  @DisplayName("A tampered body, another secret, a missing header or a timestamp over five minutes away is rejected")
  void rejects() {
    long now = NOW.getEpochSecond();
    String signature = SlackFake.sign(SIGNING_SECRET, now, EVENT);

    assertThatThrownBy(() -> verifier.verify(request(signature, now, EVENT.replace("stop", "STOP"))))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("does not match");
    assertThatThrownBy(() -> verifier.verify(request(signature, now + 1, EVENT)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(SlackFake.sign("another-secret", now, EVENT), now, EVENT)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(null, now, EVENT)))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("missing");
    assertThatThrownBy(() -> verifier.verify(request(signature, null, EVENT)))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("missing");
    assertThatThrownBy(() -> verifier.verify(signed(now - 301, EVENT)))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("5 minutes");
    assertThatThrownBy(() -> verifier.verify(signed(now + 301, EVENT)))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("5 minutes");
  }

  @Test
  @DisplayName("A verified body that is not an Events API payload cannot be parsed")
  void unparseable() {
    assertThatThrownBy(() -> verifier.verify(signed(NOW.getEpochSecond(), "not json")))
      .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> verifier.verify(signed(NOW.getEpochSecond(), "{\"event\":{}}")))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("type");
    assertThatThrownBy(() -> verifier.verify(signed(NOW.getEpochSecond(), "[{\"type\":\"event_callback\"}]")))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> verifier.verify(signed(NOW.getEpochSecond(), "{\"type\":\"event_callback\"}")))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("event");
    assertThatThrownBy(() -> verifier.verify(signed(NOW.getEpochSecond(), "{\"type\":\"page\"}")))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("event_callback");
  }
}
