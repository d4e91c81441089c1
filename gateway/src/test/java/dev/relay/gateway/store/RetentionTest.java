package dev.relay.gateway.store;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.Eventually;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code messages.retention-days}: messages live in partitions of a day (partition k holds the ids
 * [k << 32, (k + 1) << 32)); the maintenance starts the next one when the current one is a day old and drops whole
 * a partition closed longer ago than the retention once every message in it is finished, with the batches left
 * without messages, keeping the campaign's counters. Time passes here by backdating {@code message_partitions}.
 */
@DisplayName("Retention of messages")
class RetentionTest {

  private static final String PENDING = "'waiting', 'queued', 'sending', 'retry'";

  private final TestDatabase database = TestDatabase.fresh();
  private TestGateway gateway;

  @AfterEach
  void close() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    database.close();
  }

  private String post(String key, JsonObject batch) {
    var response = gateway.postBatch(key, null, batch);
    assertThat(response.statusCode()).isEqualTo(202);
    return response.bodyAsJsonObject().getString("batch_id");
  }

  private void execute(String sql) throws SQLException {
    try (var c = database.connect(); var s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** The partition of the identity's next ids, once the maintenance found the current one a day old. */
  private long rotate() throws SQLException {
    execute("UPDATE message_partitions SET started_at = started_at - interval '2 days' WHERE closed_at IS NULL");
    execute("SELECT relay_messages_maintain(30)");
    return database.count("SELECT k FROM message_partitions WHERE closed_at IS NULL");
  }

  private long partitionOf(String batchId) {
    return database.count("SELECT DISTINCT id >> 32 FROM messages WHERE batch_id = '" + batchId + "'");
  }

  @Test
  @DisplayName("a day's partition closed longer ago than the retention is dropped whole once its messages are all "
    + "finished; its batches go, counters, a partition with a message still to send and newer messages stay")
  void oldPartitionsAreDroppedWhole() throws Exception {
    gateway = TestGateway.restart(database, Map.of());
    String key = gateway.apiKey("acme");
    String old = post(key, Batches.batch("spring", "old", 3));
    Eventually.until("3 sent", () -> database.count("SELECT count(*) FROM messages WHERE state = 'sent'") == 3);
    assertThat(partitionOf(old)).isZero();

    assertThat(rotate()).as("the partition after the first day's").isEqualTo(1);
    String pending = post(key, Batches.batch("spring", "later", 1)
      .put("send_at", OffsetDateTime.now().plusDays(1).toString()));
    assertThat(partitionOf(pending)).isEqualTo(1);

    assertThat(rotate()).isEqualTo(2);
    String recent = post(key, Batches.batch("spring", "recent", 2));
    Eventually.until("5 sent", () -> database.count("SELECT count(*) FROM messages WHERE state = 'sent'") == 5);
    assertThat(partitionOf(recent)).as("ids are not dense: a new partition starts at its first id").isEqualTo(2);
    assertThat(database.count("SELECT min(id) FROM messages WHERE batch_id = '" + recent + "'")).isEqualTo(2L << 32);
    execute("INSERT INTO engagement_firsts (message_id, metric, occurred_at)"
      + " SELECT id, 'delivered', now() FROM messages WHERE batch_id = '" + old + "'");

    JsonObject before = await(gateway.get("/v1/campaigns/spring/stats", key).send()).bodyAsJsonObject();
    gateway.close();
    gateway = null;
    execute("UPDATE message_partitions SET closed_at = now() - interval '31 days' WHERE closed_at IS NOT NULL");

    gateway = TestGateway.restart(database, Map.of(Setting.MESSAGES_RETENTION_DAYS, "30"));
    Eventually.until("partition 0 dropped by the start-up maintenance",
      () -> database.count("SELECT count(*) FROM pg_class WHERE relname = 'messages_p0'") == 0);
    assertThat(database.count("SELECT count(*) FROM message_partitions WHERE k = 0 AND dropped_at IS NOT NULL"))
      .isEqualTo(1);
    assertThat(database.count("SELECT count(*) FROM messages WHERE recipient_id LIKE 'old-%'")).isZero();
    assertThat(database.count("SELECT count(*) FROM batches WHERE id = '" + old + "'")).isZero();
    assertThat(database.count("SELECT count(*) FROM engagement_firsts WHERE message_id < 1::bigint << 32"))
      .as("the funnel firsts of the dropped ids").isZero();
    assertThat(await(gateway.get("/v1/batches/" + old, key).send()).statusCode()).isEqualTo(404);

    assertThat(database.count("SELECT count(*) FROM pg_class WHERE relname = 'messages_p1'"))
      .as("a partition with a message still to send is kept").isEqualTo(1);
    assertThat(database.count("SELECT count(*) FROM messages WHERE batch_id = '" + pending + "' AND state IN ("
      + PENDING + ")")).isEqualTo(1);
    assertThat(database.count("SELECT count(*) FROM messages WHERE batch_id = '" + recent + "' AND state = 'sent'"))
      .isEqualTo(2);
    assertThat(await(gateway.get("/v1/batches/" + recent, key).send()).statusCode()).isEqualTo(200);
    assertThat(await(gateway.get("/v1/batches/" + pending, key).send()).statusCode()).isEqualTo(200);

    JsonObject after = await(gateway.get("/v1/campaigns/spring/stats", key).send()).bodyAsJsonObject();
    assertThat(after.getJsonObject("total")).as("the campaign's counters are kept")
      .isEqualTo(before.getJsonObject("total"));
    assertThat(before.getJsonObject("total").getLong("sent")).isEqualTo(5);
    assertThat(before.getJsonObject("total").getLong("accepted")).isEqualTo(6);

    String next = post(key, Batches.batch("spring", "next", 2));
    Eventually.until("the next batch sent",
      () -> database.count("SELECT count(*) FROM messages WHERE batch_id = '" + next + "' AND state = 'sent'") == 2);
    assertThat(partitionOf(next)).isEqualTo(2);
  }

  @Test
  @DisplayName("the partition new messages go to is never dropped, whatever its bookkeeping says")
  void currentPartitionStays() throws Exception {
    gateway = TestGateway.restart(database, Map.of());
    String key = gateway.apiKey("acme");
    String batch = post(key, Batches.batch("spring", "now", 2));
    Eventually.until("2 sent", () -> database.count("SELECT count(*) FROM messages WHERE state = 'sent'") == 2);
    execute("UPDATE message_partitions SET closed_at = now() - interval '99 days' WHERE k = 0");
    execute("SELECT relay_messages_maintain(0)");
    assertThat(database.count("SELECT count(*) FROM messages WHERE batch_id = '" + batch + "'")).isEqualTo(2);
    assertThat(database.count("SELECT count(*) FROM pg_class WHERE relname = 'messages_p0'")).isEqualTo(1);
  }
}
