package dev.relay.gateway.api;

import dev.relay.adapters.testkit.sendgrid.SendGridSigner;
import dev.relay.adapters.testkit.slack.SlackFake;
import dev.relay.adapters.testkit.twilio.TwilioFake;
import dev.relay.adapters.testkit.whatsapp.WhatsAppFake;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the webhook route does with calls that are verified but are not the provider's payload (400
 * webhook-malformed, stored nowhere), and with the providers' onboarding handshakes (answered as the
 * provider documents, stored nowhere), for every adapter that takes webhooks.
 */
@DisplayName("Webhooks: non-payloads and handshakes, per adapter")
class WebhookPayloadsTest {

  private static final String ACCOUNT_SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TELEGRAM_SECRET = "tg-secret_123";
  private static final String WHATSAPP_SECRET = "wa-app-secret";
  private static final String VERIFY_TOKEN = "meatyhamhock";
  private static final String MAILGUN_KEY = "key-mailgun-signing";
  private static final SendGridSigner SENDGRID = SendGridSigner.generate();
  private static TestGateway gateway;

  @BeforeAll
  static void start() {
    JsonArray accounts = new JsonArray()
      .add(account("twilio", "sms-twilio", new JsonObject().put("account-sid", ACCOUNT_SID)
        .put("auth-token", "twilio-token").put("from", "+15005550006").put("base-url", "http://127.0.0.1:1")))
      .add(account("slack", "social-slack", new JsonObject().put("bot-token", "xoxb-test")
        .put("signing-secret", "slack-signing-secret").put("base-url", "http://127.0.0.1:1")))
      .add(account("telegram", "social-telegram", new JsonObject().put("bot-token", "123456:ABC-def")
        .put("webhook-secret", TELEGRAM_SECRET).put("base-url", "http://127.0.0.1:1")))
      .add(account("whatsapp", "social-whatsapp", new JsonObject().put("access-token", "EAAG-token")
        .put("phone-number-id", "106540352242922").put("app-secret", WHATSAPP_SECRET)
        .put("verify-token", VERIFY_TOKEN).put("base-url", "http://127.0.0.1:1")))
      .add(account("sendgrid", "email-smtp", new JsonObject().put("host", "127.0.0.1").put("port", 1)
        .put("from", "news@relay.example").put("starttls", "disabled").put("webhooks", "sendgrid")
        .put("sendgrid-public-key", SENDGRID.publicKeyBase64())))
      .add(account("mailgun", "email-smtp", new JsonObject().put("host", "127.0.0.1").put("port", 1)
        .put("from", "news@relay.example").put("starttls", "disabled").put("webhooks", "mailgun")
        .put("mailgun-signing-key", MAILGUN_KEY)));
    gateway = TestGateway.withAccounts(accounts, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static JsonObject account(String name, String adapter, JsonObject settings) {
    return new JsonObject().put("name", name).put("adapter", adapter).put("settings", settings);
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  /** Rows in both webhook tables, so that "stored nowhere" can be checked. */
  private static long stored() {
    return gateway.database().count("SELECT (SELECT count(*) FROM webhook_receipts) * 1000"
      + " + (SELECT count(*) FROM webhook_events)");
  }

  private static void assertMalformed(HttpRequest<Buffer> request, String body) {
    long before = stored();
    HttpResponse<Buffer> response = await(request.sendBuffer(Buffer.buffer(body)));
    assertThat(response.statusCode()).as("%s: %s", body, response.bodyAsString()).isEqualTo(400);
    assertThat(response.getHeader("Content-Type")).startsWith("application/problem+json");
    assertThat(response.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:webhook-malformed");
    assertThat(stored()).as("stored nowhere").isEqualTo(before);
  }

  private static HttpRequest<Buffer> post(String adapter, String account) {
    return gateway.post("/v1/webhooks/" + adapter + "/" + account, null);
  }

  @ParameterizedTest(name = "body [{0}]")
  @ValueSource(strings = {"{\"object\":\"page\"}", "{\"object\":\"page\",\"entry\":[]}", "{}", "[]", "null", "",
    "{\"object\":\"whatsapp_business_account\"}",
    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\"}]}",
    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":\"messages\"}]}]}"})
  @DisplayName("social-whatsapp: a signed body that is not a WhatsApp Business Account payload is 400 webhook-malformed")
  void whatsApp(String body) {
    assertMalformed(post("social-whatsapp", "whatsapp").putHeader("X-Hub-Signature-256",
      WhatsAppFake.sign(WHATSAPP_SECRET, body)), body);
  }

  @ParameterizedTest(name = "body [{0}]")
  @ValueSource(strings = {"{}", "[]", "[{\"type\":\"event_callback\"}]", "{\"type\":\"page\"}",
    "{\"type\":\"event_callback\",\"event_id\":\"Ev1\"}", "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\"}}",
    "{\"type\":\"url_verification\"}", "token=x&type=url_verification"})
  @DisplayName("social-slack: a signed body that is not an Events API payload is 400 webhook-malformed")
  void slack(String body) {
    long now = now();
    assertMalformed(post("social-slack", "slack").putHeader("X-Slack-Request-Timestamp", Long.toString(now))
      .putHeader("X-Slack-Signature", SlackFake.sign("slack-signing-secret", now, body)), body);
  }

  @ParameterizedTest(name = "body [{0}]")
  @ValueSource(strings = {"{}", "[]", "[{\"update_id\":1}]", "{\"update_id\":\"1\"}", "{\"message\":{\"text\":\"/stop\"}}",
    "{\"update_id\":2,\"message\":{\"text\":\"/stop\"}}", "not json"})
  @DisplayName("social-telegram: a body with the right secret token that is not an Update is 400 webhook-malformed")
  void telegram(String body) {
    assertMalformed(post("social-telegram", "telegram").putHeader("X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET),
      body);
  }

  @ParameterizedTest(name = "body [{0}]")
  @ValueSource(strings = {"", "{}", "[]", "MessageStatus=delivered", "AccountSid=AC0123&Body=STOP",
    "MessageSid=SM1&To=%2B905551230002"})
  @DisplayName("sms-twilio: a signed call that is neither a status callback nor an incoming message is 400"
    + " webhook-malformed")
  void twilio(String body) {
    String url = "http://localhost:" + gateway.port() + "/v1/webhooks/sms-twilio/twilio";
    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : body.isEmpty() ? new String[0] : body.split("&")) {
      int eq = pair.indexOf('=');
      params.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
        eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    assertMalformed(post("sms-twilio", "twilio").putHeader("Content-Type", "application/x-www-form-urlencoded")
      .putHeader("X-Twilio-Signature", TwilioFake.sign("twilio-token", url, params)), body);
  }

  @ParameterizedTest(name = "body [{0}]")
  @ValueSource(strings = {"{}", "[]", "[1]", "[{}]", "{\"event\":\"delivered\"}",
    "[{\"event\":\"delivered\",\"email\":\"a@example.com\"}]", "[{\"event\":\"open\",\"sg_event_id\":\"e1\"}]"})
  @DisplayName("email-smtp (SendGrid): a signed body that is not an array of events is 400 webhook-malformed")
  void sendGrid(String body) {
    String timestamp = Long.toString(now());
    assertMalformed(post("email-smtp", "sendgrid")
      .putHeader("X-Twilio-Email-Event-Webhook-Timestamp", timestamp)
      .putHeader("X-Twilio-Email-Event-Webhook-Signature", SENDGRID.sign(timestamp, body)), body);
  }

  @ParameterizedTest(name = "body [{0}]")
  @ValueSource(strings = {"", "{}", "{\"event-data\":[]}", "{\"event-data\":{\"id\":\"e1\"}}",
    "{\"event-data\":{\"event\":\"delivered\"}}", "{\"event-data\":{\"event\":\"delivered\",\"id\":\"e1\",\"timestamp\":1}}"})
  @DisplayName("email-smtp (Mailgun): a signed body without an event is 400 webhook-malformed")
  void mailgun(String rest) throws GeneralSecurityException {
    String timestamp = Long.toString(now());
    String token = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(MAILGUN_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String signature = HexFormat.of().formatHex(mac.doFinal((timestamp + token).getBytes(StandardCharsets.UTF_8)));
    JsonObject body = rest.isEmpty() ? new JsonObject() : new JsonObject(rest);
    body.put("signature", new JsonObject().put("timestamp", timestamp).put("token", token).put("signature", signature));
    assertMalformed(post("email-smtp", "mailgun"), body.encode());
  }

  @Test
  @DisplayName("Slack's url_verification, signed, is answered 200 text/plain with the challenge and stored nowhere;"
    + " unsigned it is 401")
  void slackUrlVerification() {
    String body = "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":"
      + "\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\",\"type\":\"url_verification\"}";
    long before = stored();
    long now = now();
    HttpResponse<Buffer> answer = await(post("social-slack", "slack")
      .putHeader("Content-Type", "application/json")
      .putHeader("X-Slack-Request-Timestamp", Long.toString(now))
      .putHeader("X-Slack-Signature", SlackFake.sign("slack-signing-secret", now, body))
      .sendBuffer(Buffer.buffer(body)));
    assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
    assertThat(answer.getHeader("Content-Type")).startsWith("text/plain");
    assertThat(answer.bodyAsString()).isEqualTo("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");

    HttpResponse<Buffer> unsigned = await(post("social-slack", "slack")
      .putHeader("X-Slack-Request-Timestamp", Long.toString(now))
      .putHeader("X-Slack-Signature", SlackFake.sign("another-secret", now, body))
      .sendBuffer(Buffer.buffer(body)));
    assertThat(unsigned.statusCode()).isEqualTo(401);
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("Meta's verification GET needs no API key: the right verify token gets the challenge as plain text,"
    + " another one 403; nothing is stored")
  void metaVerificationRequest() {
    long before = stored();
    HttpResponse<Buffer> answer = await(gateway.get("/v1/webhooks/social-whatsapp/whatsapp"
      + "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + VERIFY_TOKEN, null).send());
    assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
    assertThat(answer.getHeader("Content-Type")).startsWith("text/plain");
    assertThat(answer.bodyAsString()).isEqualTo("1158201444");

    HttpResponse<Buffer> wrong = await(gateway.get("/v1/webhooks/social-whatsapp/whatsapp"
      + "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess", null).send());
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(wrong.bodyAsString()).doesNotContain(VERIFY_TOKEN);

    HttpResponse<Buffer> unknown = await(gateway.get("/v1/webhooks/social-whatsapp/nobody"
      + "?hub.mode=subscribe&hub.challenge=1&hub.verify_token=" + VERIFY_TOKEN, null).send());
    assertThat(unknown.statusCode()).isEqualTo(404);
    HttpResponse<Buffer> noHandshake = await(gateway.get("/v1/webhooks/social-whatsapp/whatsapp", null).send());
    assertThat(noHandshake.statusCode()).as("a GET that is no handshake is an unsigned call").isEqualTo(401);
    assertThat(stored()).isEqualTo(before);
  }
}
