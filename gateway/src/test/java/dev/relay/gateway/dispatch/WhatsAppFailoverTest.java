package dev.relay.gateway.dispatch;

import dev.relay.adapters.testkit.whatsapp.WhatsAppFake;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/** A chat message that fails over from Slack to WhatsApp goes out as the template's WhatsApp template message. */
@DisplayName("Chat failover into social-whatsapp sends the template's whatsapp_template")
class WhatsAppFailoverTest {

  private final Vertx vertx = Vertx.vertx();
  private TestGateway gateway;

  @AfterEach
  void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    await(vertx.close());
  }

  @Test
  @DisplayName("Slack unreachable → the WhatsApp account sends the shipped welcome template as the Cloud API's"
    + " template message, its parameters filled from the recipient's variables")
  void failsOverIntoWhatsApp() throws Exception {
    WhatsAppFake whatsApp = await(WhatsAppFake.start(vertx, "127.0.0.1", 0, "EAAG-token", "106540352242922"));
    JsonArray accounts = new JsonArray()
      .add(new JsonObject().put("name", "slack").put("adapter", "social-slack").put("settings", new JsonObject()
        .put("bot-token", "xoxb-test").put("signing-secret", "slack-signing-secret")
        .put("base-url", "http://127.0.0.1:1")))
      .add(new JsonObject().put("name", "whatsapp").put("adapter", "social-whatsapp").put("settings", new JsonObject()
        .put("access-token", "EAAG-token").put("phone-number-id", "106540352242922").put("base-url", whatsApp.url())));
    gateway = TestGateway.withAccounts(accounts, Map.of());
    String key = gateway.apiKey("acme");
    JsonArray recipients = new JsonArray().add(new JsonObject().put("id", "ayse").put("locale", "tr-TR")
      .put("variables", new JsonObject().put("first_name", "Ayşe"))
      .put("addresses", new JsonObject().put("chat", "+905551112233")));
    assertThat(gateway.postBatch(key, null, Batches.envelope("wa").put("channels", new JsonArray().add("chat"))
      .put("recipients", recipients)).statusCode()).isEqualTo(202);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (gateway.database().count("SELECT count(*) FROM messages WHERE state IN ('sent', 'failed', 'dead')") < 1) {
      assertThat(System.nanoTime()).as("the message settled within 30 s").isLessThan(deadline);
      Thread.sleep(50);
    }
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = 'ayse' AND state = 'sent'"
      + " AND account = 'whatsapp' AND provider_message_id LIKE 'wamid.%'")).isEqualTo(1);
    assertThat(whatsApp.messages()).singleElement().satisfies(m -> assertThat(m.body()).isEqualTo(new JsonObject()
      .put("messaging_product", "whatsapp")
      .put("recipient_type", "individual")
      .put("to", "+905551112233")
      .put("type", "template")
      .put("template", new JsonObject().put("name", "welcome").put("language", new JsonObject().put("code", "tr"))
        .put("components", new JsonArray().add(new JsonObject().put("type", "body").put("parameters", new JsonArray()
          .add(new JsonObject().put("type", "text").put("text", "Ayşe"))
          .add(new JsonObject().put("type", "text").put("text", "Acme"))))))));
  }
}
