package dev.relay.gateway.api;

import dev.relay.adapters.testkit.slack.SlackFake;
import dev.relay.adapters.testkit.twilio.TwilioFake;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("POST /v1/webhooks/{adapter}/{account}")
class WebhookIntakeTest {

  private static final String ACCOUNT_SID = "AC" + "0123456789abcdef".repeat(2);
  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    JsonArray accounts = new JsonArray()
      .add(new JsonObject().put("name", "twilio").put("adapter", "sms-twilio").put("settings", new JsonObject()
        .put("account-sid", ACCOUNT_SID).put("auth-token", "twilio-token").put("from", "+15005550006")
        .put("base-url", "http://127.0.0.1:1")))
      .add(new JsonObject().put("name", "slack").put("adapter", "social-slack").put("settings", new JsonObject()
        .put("bot-token", "xoxb-test").put("signing-secret", "slack-signing-secret")
        .put("base-url", "http://127.0.0.1:1")));
    gateway = TestGateway.withAccounts(accounts, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private long stored() {
    return gateway.database().count("SELECT (SELECT count(*) FROM webhook_receipts) * 1000"
      + " + (SELECT count(*) FROM webhook_events)");
  }

  private HttpResponse<Buffer> twilio(Map<String, String> params, String signature) {
    StringBuilder form = new StringBuilder();
    params.forEach((k, v) -> form.append(form.length() == 0 ? "" : "&").append(k).append('=').append(v));
    return await(gateway.get("/v1/webhooks/sms-twilio/twilio", null).method(io.vertx.core.http.HttpMethod.POST)
      .putHeader("Content-Type", "application/x-www-form-urlencoded")
      .putHeader("X-Twilio-Signature", signature)
      .sendBuffer(Buffer.buffer(form.toString())));
  }

  @Test
  @DisplayName("a verified call is stored with its events before the 200; the provider's retry is not stored twice; "
    + "a tampered one is 401 and stored nowhere")
  void twilioStatusCallback() {
    String url = "http://localhost:" + gateway.port() + "/v1/webhooks/sms-twilio/twilio";
    Map<String, String> params = new LinkedHashMap<>();
    params.put("MessageSid", "SM0123");
    params.put("MessageStatus", "delivered");
    params.put("To", "%2B905551230002");
    Map<String, String> signed = new LinkedHashMap<>(params);
    signed.put("To", "+905551230002");
    String signature = TwilioFake.sign("twilio-token", url, signed);

    HttpResponse<Buffer> first = twilio(params, signature);
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(200);
    assertThat(first.bodyAsJsonObject()).isEqualTo(new JsonObject().put("events", 1).put("new", 1).put("duplicates", 0));
    assertThat(gateway.database().count("SELECT count(*) FROM webhook_events WHERE account = 'twilio'"
      + " AND type = 'delivered' AND provider_message_id = 'SM0123'")).isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM webhook_receipts WHERE body = convert_to("
      + "'MessageSid=SM0123&MessageStatus=delivered&To=%2B905551230002', 'UTF8')")).isEqualTo(1);

    HttpResponse<Buffer> retry = twilio(params, signature);
    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(retry.bodyAsJsonObject().getInteger("new")).isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM webhook_events")).isEqualTo(1);

    long before = stored();
    params.put("MessageStatus", "failed");
    HttpResponse<Buffer> tampered = twilio(params, signature);
    assertThat(tampered.statusCode()).isEqualTo(401);
    assertThat(tampered.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:webhook-rejected");
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("a stale Slack call is 401 and stored nowhere; a fresh one is accepted")
  void slackTimestampWindow() {
    String body = new JsonObject().put("type", "event_callback").put("event_id", "Ev01")
      .put("event", new JsonObject().put("type", "app_mention").put("text", "hi")).encode();
    long stale = System.currentTimeMillis() / 1000 - 600;
    long before = stored();
    HttpResponse<Buffer> old = await(gateway.post("/v1/webhooks/social-slack/slack", null)
      .putHeader("X-Slack-Request-Timestamp", Long.toString(stale))
      .putHeader("X-Slack-Signature", SlackFake.sign("slack-signing-secret", stale, body))
      .sendBuffer(Buffer.buffer(body)));
    assertThat(old.statusCode()).isEqualTo(401);
    assertThat(stored()).isEqualTo(before);

    long now = System.currentTimeMillis() / 1000;
    HttpResponse<Buffer> fresh = await(gateway.post("/v1/webhooks/social-slack/slack", null)
      .putHeader("X-Slack-Request-Timestamp", Long.toString(now))
      .putHeader("X-Slack-Signature", SlackFake.sign("slack-signing-secret", now, body))
      .sendBuffer(Buffer.buffer(body)));
    assertThat(fresh.statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("an account that does not exist, or of another adapter, is 404 without an API key being asked for")
  void unknownEndpoint() {
    HttpResponse<Buffer> response = await(gateway.post("/v1/webhooks/sms-twilio/nobody", null)
      .sendBuffer(Buffer.buffer("{}")));
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(await(gateway.post("/v1/webhooks/social-slack/twilio", null).sendBuffer(Buffer.buffer("{}")))
      .statusCode()).isEqualTo(404);
  }
}
