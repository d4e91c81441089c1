package dev.relay.gateway.engagement;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.ScriptedSends;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Campaign stats from the counters, and the events' partitions")
class CampaignStatsTest {

  private static TestGateway gateway;
  private static String key;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false",
      Setting.ENGAGEMENT_PARTITIONS_AHEAD_DAYS, "4"));
    key = gateway.apiKey("acme");
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static void sql(String... statements) throws Exception {
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  /** Events of the campaign's messages m1..m10 (recipient ids s-0..s-9), one statement per call. */
  private static String events(String type, String eventClass, String data, int... recipients) {
    StringBuilder ids = new StringBuilder();
    for (int r : recipients) {
      ids.append(ids.length() == 0 ? "" : ", ").append("'s-").append(r - 1).append('\'');
    }
    return "INSERT INTO events (message_id, tenant_id, campaign_id, type, class, data) SELECT id, tenant_id, campaign_id, '"
      + type + "', " + (eventClass == null ? "NULL" : "'" + eventClass + "'") + ", " + (data == null ? "NULL" : "'" + data + "'::jsonb")
      + " FROM messages WHERE recipient_id IN (" + ids + ")";
  }

  @Test
  @DisplayName("a scripted campaign's funnel is exact: steps counted once per message, opens and clicks as total, "
    + "unique and unique human, rates over the documented denominators")
  void scriptedFunnel() throws Exception {
    assertThat(gateway.postBatch(key, null, Batches.batch("scripted", "s", 10)).statusCode()).isEqualTo(202);
    // Sent as the dispatcher records a send: the message's row and the counters, no 'sent' event row.
    assertThat(ScriptedSends.sent(gateway, "email", "recipient_id LIKE 's-%'")).isEqualTo(10);
    sql(events("delivered", null, null, 1, 2, 3, 4, 5, 6, 7, 8),
      events("delivered", null, null, 1),
      events("bounced", null, "{\"bounce\":\"hard\"}", 9, 10),
      events("opened", "machine", null, 1, 2, 3),
      events("opened", "human", null, 3, 4, 5, 6),
      events("opened", "human", null, 6),
      events("clicked", "human", null, 3, 4),
      events("clicked", "machine", null, 5),
      events("unsubscribed", null, null, 4),
      events("complained", null, null, 6));
    JsonObject stats = await(gateway.get("/v1/campaigns/scripted/stats", key).send()).bodyAsJsonObject();
    JsonObject email = stats.getJsonObject("channels").getJsonObject("email");
    assertThat(email.getLong("accepted")).isEqualTo(10);
    assertThat(email.getLong("sent")).isEqualTo(10);
    assertThat(email.getLong("delivered")).isEqualTo(8);
    assertThat(email.getLong("bounced")).isEqualTo(2);
    assertThat(email.getLong("bounced_hard")).isEqualTo(2);
    assertThat(email.getLong("failed")).isZero();
    assertThat(email.getJsonObject("opened")).isEqualTo(new JsonObject().put("total", 8).put("unique", 6)
      .put("unique_human", 4).put("machine_by_reason", new JsonObject().put("unknown", 3)));
    assertThat(email.getJsonObject("clicked")).isEqualTo(new JsonObject().put("total", 3).put("unique", 3)
      .put("unique_human", 2).put("machine_by_reason", new JsonObject().put("unknown", 1)));
    assertThat(email.getLong("unsubscribed")).isEqualTo(1);
    assertThat(email.getLong("complained")).isEqualTo(1);
    JsonObject rates = email.getJsonObject("rates");
    assertThat(rates.getString("rate_base")).isEqualTo("delivered");
    assertThat(rates.getDouble("delivery_rate")).isEqualTo(0.8);
    assertThat(rates.getDouble("bounce_rate")).isEqualTo(0.2);
    assertThat(rates.getDouble("open_rate")).isEqualTo(0.75);
    assertThat(rates.getDouble("human_open_rate")).isEqualTo(0.5);
    assertThat(rates.getDouble("click_rate")).isEqualTo(0.375);
    assertThat(rates.getDouble("human_click_rate")).isEqualTo(0.25);
    assertThat(rates.getDouble("click_to_open_rate")).isEqualTo(0.5);
    assertThat(rates.getDouble("unsubscribe_rate")).isEqualTo(0.125);
    assertThat(rates.getDouble("complaint_rate")).isEqualTo(0.125);
    assertThat(stats.getJsonObject("total").getLong("sent")).isEqualTo(10);
    assertThat(await(gateway.get("/v1/campaigns/nothing/stats", key).send()).statusCode()).isEqualTo(404);

    // The same history seen per recipient: s-3 opened and clicked as a human (engaged), s-0 only by machine.
    JsonObject engaged = await(gateway.get("/v1/recipients/s-3/engagement", key).send()).bodyAsJsonObject();
    assertThat(engaged.getString("stage")).isEqualTo("engaged");
    assertThat(engaged.getJsonArray("history").stream().map(e -> ((JsonObject) e).getString("type") + "/"
      + ((JsonObject) e).getString("class"))).contains("opened/human", "clicked/human", "unsubscribed/null",
      "delivered/null", "sent/null");
    assertThat(await(gateway.get("/v1/recipients/s-0/engagement", key).send()).bodyAsJsonObject().getString("stage"))
      .isEqualTo("unengaged");
    assertThat(await(gateway.get("/v1/recipients/nobody/engagement", key).send()).statusCode()).isEqualTo(404);
    // A human click on a referral link makes s-7 an advocate; the same click by a scanner would not.
    sql(events("clicked", "machine", "{\"url\":\"https://shop.example.com/refer\"}", 7));
    assertThat(await(gateway.get("/v1/recipients/s-6/engagement", key).send()).bodyAsJsonObject().getString("stage"))
      .isEqualTo("unengaged");
    sql(events("clicked", "human", "{\"url\":\"https://shop.example.com/refer\"}", 7));
    assertThat(await(gateway.get("/v1/recipients/s-6/engagement", key).send()).bodyAsJsonObject().getString("stage"))
      .isEqualTo("advocate");
  }

  @Test
  @DisplayName("an event far in the past or future still inserts (DEFAULT partition); partitions are created ahead; "
    + "retention drops old partitions and old rows of the default")
  void partitions() throws Exception {
    String ahead = "events_" + LocalDate.now(ZoneOffset.UTC).plusDays(4).format(DateTimeFormatter.BASIC_ISO_DATE);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (gateway.database().count("SELECT count(*) FROM pg_class WHERE relname = '" + ahead + "'") == 0) {
      assertThat(System.nanoTime()).as(ahead + " created at start-up").isLessThan(deadline);
      Thread.sleep(50);
    }
    LocalDate old = LocalDate.now(ZoneOffset.UTC).minusDays(30);
    String oldPartition = "events_" + old.format(DateTimeFormatter.BASIC_ISO_DATE);
    sql("INSERT INTO events (message_id, tenant_id, campaign_id, type, occurred_at) VALUES"
      + " (1, 1, 1, 'ancient', '1990-01-01T00:00:00Z'), (1, 1, 1, 'future', '2100-01-01T00:00:00Z'),"
      + " (1, 1, 1, 'old', '" + old + "T12:00:00Z')");
    assertThat(gateway.database().count("SELECT count(*) FROM events_default WHERE type IN ('ancient', 'future', 'old')"))
      .isEqualTo(3);
    // The old day's partition made later takes its rows out of the default.
    sql("SELECT relay_events_partition('" + old + "')");
    assertThat(gateway.database().count("SELECT count(*) FROM " + oldPartition + " WHERE type = 'old'")).isEqualTo(1);
    sql("SELECT relay_events_maintain(4, 10)");
    assertThat(gateway.database().count("SELECT count(*) FROM pg_class WHERE relname = '" + oldPartition + "'")).isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM events WHERE type IN ('ancient', 'old')")).isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM events WHERE type = 'future'")).isEqualTo(1);
  }
}
