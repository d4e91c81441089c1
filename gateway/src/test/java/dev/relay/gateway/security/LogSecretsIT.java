package dev.relay.gateway.security;

import dev.relay.adapters.testkit.WebhookReceiver;
import dev.relay.adapters.testkit.twilio.TwilioFake;
import dev.relay.gateway.testing.GatewayProcess;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A whole run of a gateway process, with every kind of secret in play (database password, provider
 * tokens from the environment and from files, a webhook signing secret, API keys good, bad and
 * revoked, signed and forged provider webhooks, DEBUG logging), and then its whole log searched for
 * each secret.
 */
@DisplayName("Secrets in the log")
class LogSecretsIT {

  private static final String DB_PASSWORD = "db-Pa55word-0f-the-run";
  private static final String TWILIO_TOKEN = "twilio-auth-token-7f3a9c1e55d2";
  private static final String TWILIO_SID = "AC0123456789abcdef0123456789abcdef";

  @Test
  @DisplayName("no API key, provider token, signing secret, password or private key appears in a whole run's log")
  void noSecretInTheLog() throws Exception {
    Vertx vertx = Vertx.vertx();
    String webhookSecret = "whsec_" + Base64.getEncoder().encodeToString(
      "a-webhook-signing-secret-of-32-bytes!!".getBytes(StandardCharsets.US_ASCII));
    TwilioFake twilio = await(TwilioFake.start(vertx, "127.0.0.1", 0, TWILIO_SID, TWILIO_TOKEN));
    WebhookReceiver receiver = await(WebhookReceiver.start(vertx, "127.0.0.1", 0, webhookSecret));
    Path dir = TestGateway.newTestDir("relay-secrets");
    Path secretFile = dir.resolve("hook-secret");
    Files.writeString(secretFile, webhookSecret + "\n");
    Path config = dir.resolve("relay.yaml");
    Files.writeString(config, "accounts:\n"
      + "  - name: twilio\n"
      + "    adapter: sms-twilio\n"
      + "    settings:\n"
      + "      account-sid: " + TWILIO_SID + "\n"
      + "      auth-token: \"${env:TEST_TWILIO_TOKEN}\"\n"
      + "      from: \"+15005550006\"\n"
      + "      base-url: " + twilio.url() + "\n"
      + "  - name: crm\n"
      + "    adapter: webhook-http\n"
      + "    settings:\n"
      + "      url: " + receiver.url() + "\n"
      + "      secret: \"${file:" + secretFile + "}\"\n");
    List<String> secrets = new ArrayList<>(List.of(DB_PASSWORD, TWILIO_TOKEN, webhookSecret,
      webhookSecret.substring("whsec_".length())));
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<String, String> env = new HashMap<>(GatewayProcess.environment(database));
      env.put("RELAY_CONFIG", config.toString());
      env.put("RELAY_DB_PASSWORD", DB_PASSWORD);
      env.put("TEST_TWILIO_TOKEN", TWILIO_TOKEN);
      env.put("RELAY_LOG_LEVEL", "DEBUG");
      String key = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
      String revoked = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
      assertThat(key).startsWith("rly_");
      secrets.add(key);
      secrets.add(secretPart(key));
      secrets.add(revoked);
      secrets.add(secretPart(revoked));
      String log;
      try (GatewayProcess gateway = GatewayProcess.serve(env)) {
        assertThat(GatewayProcess.run(env, "api-key", "revoke", revoked).exitCode()).isZero();
        JsonArray recipients = new JsonArray();
        for (int i = 0; i < 20; i++) {
          recipients.add(new JsonObject().put("id", "r" + i).put("addresses", new JsonObject()
            .put("sms", "+1500555" + String.format("%04d", 1000 + i)).put("webhook", "crm-" + i)));
        }
        String sms = new JsonObject().put("campaign", "secrets").put("template", "welcome")
          .put("channels", new JsonArray().add("sms")).put("priority", "marketing")
          .put("recipients", recipients).encode();
        String hook = new JsonObject(sms).put("channels", new JsonArray().add("webhook")).encode();
        assertThat(gateway.post("/v1/batches", key, null, sms).statusCode()).isEqualTo(202);
        assertThat(gateway.post("/v1/batches", key, null, hook).statusCode()).isEqualTo(202);
        // Keys that fail: revoked, guessed, malformed.
        assertThat(gateway.post("/v1/batches", revoked, null, sms).statusCode()).isEqualTo(401);
        String guessed = key.substring(0, key.length() - 6) + "AAAAAA";
        secrets.add(secretPart(guessed));
        assertThat(gateway.post("/v1/batches", guessed, null, sms).statusCode()).isEqualTo(401);
        // A signed and a forged Twilio status callback.
        String url = "http://127.0.0.1:" + gateway.port() + "/v1/webhooks/sms-twilio/twilio";
        Map<String, String> params = new LinkedHashMap<>();
        params.put("MessageSid", "SM0123");
        params.put("MessageStatus", "delivered");
        params.put("To", "+15005551000");
        String signature = TwilioFake.sign(TWILIO_TOKEN, url, params);
        assertThat(postForm(gateway, params, signature)).isEqualTo(200);
        assertThat(postForm(gateway, params, "Zm9yZ2Vk" + signature.substring(8))).isEqualTo(401);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (database.count("SELECT count(*) FROM messages WHERE state IN ('sent', 'failed')") < 40) {
          assertThat(System.nanoTime()).as("all 40 messages sent or failed in time").isLessThan(deadline);
          Thread.sleep(100);
        }
        assertThat(receiver.deliveries()).isNotEmpty();
        log = gateway.log();
      }
      assertThat(log).as("the run logged at DEBUG").contains("DEBUG");
      for (String secret : secrets) {
        assertThat(log).as("the log holds a secret (%s…)", secret.substring(0, 4)).doesNotContain(secret);
      }
      assertThat(log).doesNotContain("PRIVATE KEY").doesNotContainIgnoringCase("authorization: bearer");
    } finally {
      await(receiver.close());
      await(twilio.close());
      await(vertx.close());
    }
  }

  /**
   * The secret half of a key {@code rly_<12-character id>_<43 characters>}. The secret is base64url and may itself
   * hold {@code _}, so it is cut at the fixed offset, not at the last underscore.
   */
  private static String secretPart(String key) {
    assertThat(key).matches("rly_[a-z0-9]{12}_[A-Za-z0-9_-]{43}");
    return key.substring("rly_".length() + 12 + 1);
  }

  private static int postForm(GatewayProcess gateway, Map<String, String> params, String signature) throws Exception {
    StringBuilder form = new StringBuilder();
    params.forEach((k, v) -> form.append(form.length() == 0 ? "" : "&").append(k).append('=')
      .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + gateway.port() + "/v1/webhooks/sms-twilio/twilio"))
      .header("Content-Type", "application/x-www-form-urlencoded")
      .header("X-Twilio-Signature", signature)
      .POST(java.net.http.HttpRequest.BodyPublishers.ofString(form.toString()))
      .build();
    return java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString())
      .statusCode();
  }
}
