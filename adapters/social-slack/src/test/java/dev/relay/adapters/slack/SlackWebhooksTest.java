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
  @DisplayName("A signed, recent event and a url_verification challenge verify and yield no event: Slack reports no delivery")
  void validYieldsNothing() {
    assertThat(verifier.verify(signed(NOW.getEpochSecond(), EVENT))).isEmpty();
    assertThat(verifier.verify(signed(NOW.getEpochSecond() - 290,
      "{\"token\":\"x\",\"challenge\":\"3eZbrw1aB\",\"type\":\"url_verification\"}"))).isEmpty();
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
  }
}
