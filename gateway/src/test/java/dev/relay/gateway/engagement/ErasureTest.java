package dev.relay.gateway.engagement;

import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code DELETE /v1/recipients/{id}}: after it, the recipient's addresses, id and personal variables appear in
 * no row of any table, other recipients are untouched, unsent messages end suppressed, and a suppressed address
 * stays suppressed for new batches (kept as a keyed hash).
 */
@DisplayName("Erasing a recipient")
class ErasureTest {

  private static final String RECIPIENT = "customer-8841";
  private static final String EMAIL = "ayse.erasable@example.com";
  private static final String PHONE = "+905559871234";
  private static final String NAME = "Ayşe Silinecek";

  private TestGateway gateway;

  @AfterEach
  void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
  }

  private JsonObject recipient(String id, String email, String phone, String name) {
    return new JsonObject().put("id", id)
      .put("addresses", new JsonObject().put("email", email).put("sms", phone))
      .put("locale", "tr-TR").put("time_zone", "Europe/Istanbul")
      .put("variables", new JsonObject().put("subject", "Merhaba " + name).put("text", "Sevgili " + name)
        .put("html", "<p>" + name + "</p>"));
  }

  private void awaitState(String recipient, String state, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = '" + recipient
      + "' AND state = '" + state + "'") < count) {
      assertThat(System.nanoTime()).as(recipient + " " + state + " within 30 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /** Every row of every table (partitions included) whose text, or bytea decoded as UTF-8, holds the needle. */
  private List<String> rowsHolding(String needle) throws Exception {
    List<String> found = new ArrayList<>();
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rows = s.executeQuery("SELECT table_name FROM information_schema.tables"
        + " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")) {
        while (rows.next()) {
          tables.add(rows.getString(1));
        }
      }
      assertThat(tables).contains("messages", "events_default", "suppressions", "webhook_receipts");
      String hex = "%" + java.util.HexFormat.of().formatHex(needle.getBytes(java.nio.charset.StandardCharsets.UTF_8))
        + "%";
      for (String table : tables) {
        try (PreparedStatement p = c.prepareStatement("SELECT x::text FROM \"" + table + "\" x"
          + " WHERE x::text LIKE ? OR x::text LIKE ?")) {
          p.setString(1, "%" + needle + "%");
          p.setString(2, hex);
          try (ResultSet rows = p.executeQuery()) {
            while (rows.next()) {
              found.add(table + ": " + rows.getString(1));
            }
          }
        }
      }
    }
    return found;
  }

  @Test
  @DisplayName("the recipient's address, id and variables appear nowhere afterwards; the suppression still holds")
  void erasesEverywhereAndKeepsSuppressions() throws Exception {
    gateway = TestGateway.start(Map.of());
    String key = gateway.apiKey("acme");
    gateway.putTemplate(key, "welcome", Batches.echoTemplate());
    JsonObject batch = Batches.envelope("spring").put("channels", new JsonArray().add("email").add("sms"))
      .put("recipients", new JsonArray().add(recipient(RECIPIENT, EMAIL, PHONE, NAME))
        .add(recipient("customer-7000", "other@example.com", "+905550000001", "Başka Biri")));
    assertThat(gateway.postBatch(key, null, batch).statusCode()).isEqualTo(202);
    awaitState(RECIPIENT, "sent", 1);
    awaitState("customer-7000", "sent", 1);
    // A later message still to send, a click with its URL, IP and user agent, a provider's reply quoting the
    // address, and a provider's webhook about the message.
    assertThat(gateway.postBatch(key, null, Batches.envelope("autumn")
      .put("send_at", OffsetDateTime.now().plusHours(2).toString())
      .put("recipients", new JsonArray().add(recipient(RECIPIENT, EMAIL, PHONE, NAME)))).statusCode()).isEqualTo(202);
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement()) {
      s.execute("UPDATE messages SET last_error = 'SMTP 452 4.2.2 <" + EMAIL + ">: mailbox full',"
        + " provider_message_id = 'pm-1', account = 'sandbox' WHERE recipient_id = '" + RECIPIENT + "' AND state = 'sent'");
      s.execute("INSERT INTO events (message_id, tenant_id, campaign_id, type, class, data) SELECT id, tenant_id,"
        + " campaign_id, 'clicked', 'human', jsonb_build_object('url', 'https://shop.example/?u=" + RECIPIENT
        + "', 'ip', '203.0.113.9', 'user_agent', 'Mozilla/5.0', 'link', 'cta') FROM messages"
        + " WHERE recipient_id = '" + RECIPIENT + "' AND state = 'sent'");
      s.execute("INSERT INTO webhook_receipts (adapter, account, url, headers, body) VALUES ('email-smtp', 'sandbox',"
        + " '/v1/webhooks/x/y', '{\"x-to\": \"" + EMAIL + "\"}', convert_to('{\"to\": \"" + EMAIL + "\"}', 'UTF8'))");
      s.execute("INSERT INTO webhook_events (account, provider_event_id, receipt_id, type, provider_message_id, detail,"
        + " applied_at) SELECT 'sandbox', 'ev-1', max(id), 'delivered', 'pm-1', '{\"address\": \"" + EMAIL + "\"}',"
        + " now() FROM webhook_receipts");
    }
    HttpResponse<Buffer> converted = await(gateway.post("/v1/conversions", key).sendJsonObject(new JsonObject()
      .put("key", "order-1").put("recipient_id", RECIPIENT).put("occurred_at", OffsetDateTime.now().toString())
      .put("value", 10).put("currency", "EUR")));
    assertThat(converted.statusCode()).as(converted.bodyAsString()).isEqualTo(201);
    assertThat(converted.bodyAsJsonObject().getJsonArray("attributed")).hasSize(1);
    HttpResponse<Buffer> suppressed = await(gateway.post("/v1/suppressions", key)
      .sendJsonObject(new JsonObject().put("channel", "email").put("address", EMAIL)));
    assertThat(suppressed.statusCode()).isEqualTo(201);
    assertThat(rowsHolding(EMAIL)).isNotEmpty();

    HttpResponse<Buffer> erased = await(gateway.get("/v1/recipients/" + RECIPIENT, key).method(HttpMethod.DELETE)
      .send());
    assertThat(erased.statusCode()).as(erased.bodyAsString()).isEqualTo(200);
    JsonObject counts = erased.bodyAsJsonObject().getJsonObject("erased");
    assertThat(counts.getLong("messages")).isEqualTo(2);
    assertThat(counts.getLong("stopped")).isEqualTo(1);
    assertThat(counts.getLong("suppressions")).isEqualTo(1);
    assertThat(counts.getLong("webhook_receipts")).isEqualTo(1);
    assertThat(counts.getLong("conversions")).isEqualTo(1);

    for (String personal : List.of(EMAIL, PHONE, NAME, RECIPIENT, "203.0.113.9")) {
      assertThat(rowsHolding(personal)).as("rows holding " + personal).isEmpty();
    }
    assertThat(rowsHolding("other@example.com")).as("another recipient is untouched").isNotEmpty();
    assertThat(gateway.database().count("SELECT count(*) FROM conversion_attributions"
      + " WHERE recipient_id LIKE 'erased:%'"))
      .as("the conversion still counts for its campaign, under the hashed id").isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE state = 'suppressed'"
      + " AND last_error = 'the recipient was erased'")).isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM message_queue q JOIN messages m ON m.id = q.message_id"
      + " WHERE m.state = 'suppressed'")).as("the unsent message left the queue").isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE last_error LIKE '%[erased]%'"))
      .isEqualTo(1);

    // A new batch to the suppressed address is still suppressed on email, and sent by SMS.
    int before = gateway.sandbox().receivedCount();
    assertThat(gateway.postBatch(key, null, Batches.envelope("winter")
      .put("recipients", new JsonArray().add(new JsonObject().put("id", "returning").put("variables",
        new JsonObject().put("text", "hi")).put("addresses", new JsonObject().put("email", EMAIL)))))
      .statusCode()).isEqualTo(202);
    awaitState("returning", "suppressed", 1);
    assertThat(gateway.sandbox().receivedCount()).isEqualTo(before);

    // The suppression API sees the kept hash: adding again is not new, lifting by the address works.
    JsonArray listed = await(gateway.get("/v1/suppressions?channel=email", key).send()).bodyAsJsonObject()
      .getJsonArray("suppressions");
    assertThat(listed).hasSize(1);
    assertThat(listed.getJsonObject(0).getString("address")).startsWith("erased:").doesNotContain(EMAIL);
    assertThat(await(gateway.post("/v1/suppressions", key)
      .sendJsonObject(new JsonObject().put("channel", "email").put("address", EMAIL))).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> lifted = await(gateway.get("/v1/suppressions?channel=email&address=" + EMAIL, key)
      .method(HttpMethod.DELETE).send());
    assertThat(lifted.statusCode()).isEqualTo(200);
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions")).isZero();

    HttpResponse<Buffer> again = await(gateway.get("/v1/recipients/" + RECIPIENT, key).method(HttpMethod.DELETE)
      .send());
    assertThat(again.statusCode()).isEqualTo(404);
    assertThat(again.bodyAsJsonObject().getString("type")).endsWith("recipient-not-found");
    // Another tenant cannot erase this tenant's recipients.
    String other = gateway.apiKey("globex");
    assertThat(await(gateway.get("/v1/recipients/customer-7000", other).method(HttpMethod.DELETE).send())
      .statusCode()).isEqualTo(404);
    assertThat(rowsHolding("other@example.com")).isNotEmpty();
  }
}
