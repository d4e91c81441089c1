package dev.relay.gateway.engagement;

import dev.relay.adapters.testkit.twilio.TwilioFake;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Provider events applied to messages: through the real Mailgun and Twilio verifiers, against messages
 * made to look sent through those accounts (dispatch is off, so nothing else moves them).
 */
@DisplayName("Provider webhooks applied to messages")
class WebhookApplyTest {

  private static final String ACCOUNT_SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String MAILGUN_KEY = "mailgun-signing-key";
  private static TestGateway gateway;
  private static String key;

  @BeforeAll
  static void start() throws Exception {
    JsonArray accounts = new JsonArray()
      .add(new JsonObject().put("name", "mailgun").put("adapter", "email-smtp").put("settings", new JsonObject()
        .put("host", "127.0.0.1").put("port", 1).put("from", "relay@example.com").put("starttls", "disabled")
        .put("webhooks", "mailgun").put("mailgun-signing-key", MAILGUN_KEY)))
      .add(new JsonObject().put("name", "twilio").put("adapter", "sms-twilio").put("settings", new JsonObject()
        .put("account-sid", ACCOUNT_SID).put("auth-token", "twilio-token").put("from", "+15005550006")
        .put("base-url", "http://127.0.0.1:1")));
    gateway = TestGateway.withAccounts(accounts, Map.of(Setting.DISPATCH_ENABLED, "false",
      Setting.WEBHOOKS_APPLY_INTERVAL_MS, "100", Setting.WEBHOOKS_APPLY_RETRY_SECONDS, "1"));
    key = gateway.apiKey("acme");
    JsonArray recipients = new JsonArray();
    for (String id : new String[] {"r1", "r2", "r3", "r4", "r5"}) {
      recipients.add(new JsonObject().put("id", id).put("addresses", new JsonObject()
        .put("email", id + "@example.com").put("sms", "+9055512300" + id.substring(1) + "0")));
    }
    assertThat(gateway.postBatch(key, null, Batches.envelope("hooks").put("recipients", recipients)).statusCode())
      .isEqualTo(202);
    sql("UPDATE messages SET state = 'sent', sent_at = now(), channel = 'email', account = 'mailgun',"
      + " provider_message_id = 'pm-' || recipient_id WHERE recipient_id IN ('r1', 'r2', 'r3')");
    sql("UPDATE messages SET state = 'sent', sent_at = now(), channel = 'sms', account = 'twilio',"
      + " provider_message_id = 'SM-r5'"
      + " WHERE recipient_id = 'r5'");
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static void sql(String statement) throws Exception {
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static long count(String sql) {
    return gateway.database().count(sql);
  }

  private static void eventually(String what, LongSupplier actual, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (actual.getAsLong() != expected) {
      assertThat(System.nanoTime()).as(what + " (now " + actual.getAsLong() + ", expected " + expected + ")")
        .isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static JsonObject mailgun(String eventId, String event, String messageId, String severity, boolean goodSignature)
    throws Exception {
    String timestamp = Long.toString(System.currentTimeMillis() / 1000);
    String token = UUID.randomUUID().toString();
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(MAILGUN_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String signature = HexFormat.of().formatHex(mac.doFinal((timestamp + token).getBytes(StandardCharsets.UTF_8)));
    if (!goodSignature) {
      signature = signature.substring(0, signature.length() - 2) + (signature.endsWith("00") ? "11" : "00");
    }
    JsonObject data = new JsonObject().put("event", event).put("id", eventId)
      .put("timestamp", System.currentTimeMillis() / 1000.0)
      .put("message", new JsonObject().put("headers", new JsonObject().put("message-id", "<" + messageId + ">")));
    if (severity != null) {
      data.put("severity", severity).put("reason", "bounce");
    }
    if ("clicked".equals(event)) {
      data.put("url", "https://shop.example.com/offer");
    }
    return new JsonObject().put("signature", new JsonObject().put("timestamp", timestamp).put("token", token)
      .put("signature", signature)).put("event-data", data);
  }

  private static HttpResponse<Buffer> post(JsonObject body) {
    return await(gateway.post("/v1/webhooks/email-smtp/mailgun", null).sendJsonObject(body));
  }

  private static String state(String recipient) {
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement();
         var rs = s.executeQuery("SELECT state FROM messages WHERE recipient_id = '" + recipient + "'")) {
      rs.next();
      return rs.getString(1);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @DisplayName("opened and clicked before delivered: the message ends delivered with every event; a bounce after "
    + "delivered is recorded, fails the message and suppresses the address; a replay or a forgery changes nothing")
  void outOfOrderReplayAndForgery() throws Exception {
    assertThat(post(mailgun("ev-open-1", "opened", "pm-r1", null, true)).statusCode()).isEqualTo(200);
    assertThat(post(mailgun("ev-click-1", "clicked", "pm-r1", null, true)).statusCode()).isEqualTo(200);
    assertThat(post(mailgun("ev-deliv-1", "delivered", "pm-r1", null, true)).statusCode()).isEqualTo(200);
    eventually("r1's events", () -> count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id"
      + " WHERE m.recipient_id = 'r1' AND e.type IN ('opened', 'clicked', 'delivered')"), 3);
    assertThat(state("r1")).isEqualTo("delivered");
    assertThat(count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE m.recipient_id = 'r1'"
      + " AND e.type IN ('opened', 'clicked') AND e.class = 'human' AND e.reason = 'provider'")).isEqualTo(2);

    // Delivered, then a hard bounce: recorded, the message failed, the address suppressed for the tenant.
    post(mailgun("ev-deliv-2", "delivered", "pm-r2", null, true));
    eventually("r2 delivered", () -> count("SELECT count(*) FROM messages WHERE recipient_id = 'r2' AND state = 'delivered'"), 1);
    post(mailgun("ev-bounce-2", "failed", "pm-r2", "permanent", true));
    eventually("r2 bounced", () -> count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id"
      + " WHERE m.recipient_id = 'r2' AND e.type = 'bounced' AND e.data ->> 'bounce' = 'hard'"), 1);
    assertThat(state("r2")).isEqualTo("failed");
    assertThat(count("SELECT count(*) FROM suppressions WHERE channel = 'email' AND address = 'r2@example.com'"
      + " AND reason = 'hard_bounce'")).isEqualTo(1);
    // A delivered arriving after the bounce does not undo it.
    post(mailgun("ev-deliv-2b", "delivered", "pm-r2", null, true));
    eventually("late delivered applied", () -> count("SELECT count(*) FROM webhook_events WHERE provider_event_id = "
      + "'ev-deliv-2b' AND applied_at IS NOT NULL"), 1);
    assertThat(state("r2")).isEqualTo("failed");

    // A replay (same provider event id) and a forgery change nothing.
    long events = count("SELECT count(*) FROM events");
    long stored = count("SELECT count(*) FROM webhook_events");
    HttpResponse<Buffer> replay = post(mailgun("ev-open-1", "opened", "pm-r1", null, true));
    assertThat(replay.bodyAsJsonObject().getInteger("duplicates")).isEqualTo(1);
    HttpResponse<Buffer> forged = post(mailgun("ev-forged", "complained", "pm-r3", null, false));
    assertThat(forged.statusCode()).isEqualTo(401);
    Thread.sleep(500);
    assertThat(count("SELECT count(*) FROM events")).isEqualTo(events);
    assertThat(count("SELECT count(*) FROM webhook_events")).isEqualTo(stored);
    assertThat(count("SELECT count(*) FROM suppressions WHERE address = 'r3@example.com'")).isZero();
    assertThat(state("r3")).isEqualTo("sent");
  }

  @Test
  @DisplayName("an event about a message whose send is not recorded yet is kept and applied once it is")
  void eventBeforeItsMessageIsKnown() throws Exception {
    post(mailgun("ev-early", "complained", "pm-r4", null, true));
    eventually("tried once", () -> count("SELECT count(*) FROM webhook_events WHERE provider_event_id = 'ev-early'"
      + " AND applied_at IS NULL AND apply_attempts >= 1"), 1);
    sql("UPDATE messages SET state = 'sent', sent_at = now(), channel = 'email', account = 'mailgun',"
      + " provider_message_id = 'pm-r4'"
      + " WHERE recipient_id = 'r4'");
    eventually("applied later", () -> count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id"
      + " WHERE m.recipient_id = 'r4' AND e.type = 'complained'"), 1);
    assertThat(count("SELECT count(*) FROM suppressions WHERE address = 'r4@example.com' AND reason = 'complaint'"))
      .isEqualTo(1);
  }

  @Test
  @DisplayName("an SMS STOP suppresses the sender's number for the tenant that messaged it and records unsubscribed")
  void smsStop() throws Exception {
    String url = "http://localhost:" + gateway.port() + "/v1/webhooks/sms-twilio/twilio";
    Map<String, String> params = new LinkedHashMap<>();
    params.put("MessageSid", "SMinbound1");
    params.put("From", "+905551230050");
    params.put("Body", "STOP");
    String signature = TwilioFake.sign("twilio-token", url, params);
    HttpResponse<Buffer> response = await(gateway.post("/v1/webhooks/sms-twilio/twilio", null)
      .method(HttpMethod.POST).putHeader("Content-Type", "application/x-www-form-urlencoded")
      .putHeader("X-Twilio-Signature", signature)
      .sendBuffer(Buffer.buffer("MessageSid=SMinbound1&From=%2B905551230050&Body=STOP")));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    eventually("stop applied", () -> count("SELECT count(*) FROM suppressions WHERE channel = 'sms'"
      + " AND address = '+905551230050' AND reason = 'stop'"), 1);
    assertThat(count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE m.recipient_id = 'r5'"
      + " AND e.type = 'unsubscribed' AND e.reason = 'stop'")).isEqualTo(1);
    JsonObject list = await(gateway.get("/v1/suppressions?channel=sms", key).send()).bodyAsJsonObject();
    assertThat(list.getJsonArray("suppressions").getJsonObject(0).getString("reason")).isEqualTo("stop");
  }
}
