package dev.relay.gateway.store;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code messages.retention-days}: the maintenance run at start-up deletes the finished messages of batches past
 * the retention, and those batches, keeping the campaign's counters, a batch with a message still to send, and
 * recent batches.
 */
@DisplayName("Retention of messages")
class RetentionTest {

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

  @Test
  @DisplayName("finished messages of batches older than the retention go with their batch; counters and the rest stay")
  void oldFinishedBatchesGo() throws Exception {
    gateway = TestGateway.restart(database, Map.of());
    String key = gateway.apiKey("acme");
    String old = post(key, Batches.batch("spring", "old", 3));
    String recent = post(key, Batches.batch("spring", "recent", 2));
    String pending = post(key, Batches.batch("spring", "later", 1)
      .put("send_at", OffsetDateTime.now().plusDays(1).toString()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (database.count("SELECT count(*) FROM messages WHERE state = 'sent'") < 5) {
      assertThat(System.nanoTime()).as("5 sent within 30 s").isLessThan(deadline);
      Thread.sleep(50);
    }
    JsonObject before = await(gateway.get("/v1/campaigns/spring/stats", key).send()).bodyAsJsonObject();
    gateway.close();
    gateway = null;
    try (var c = database.connect(); var s = c.createStatement()) {
      s.execute("UPDATE batches SET created_at = now() - interval '31 days' WHERE id IN ('" + old + "', '" + pending
        + "')");
    }

    gateway = TestGateway.restart(database, Map.of(Setting.MESSAGES_RETENTION_DAYS, "30"));
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (database.count("SELECT count(*) FROM batches WHERE id = '" + old + "'") > 0) {
      assertThat(System.nanoTime()).as("the old batch deleted by the start-up maintenance within 30 s")
        .isLessThan(deadline);
      Thread.sleep(50);
    }
    assertThat(database.count("SELECT count(*) FROM messages WHERE recipient_id LIKE 'old-%'")).isZero();
    assertThat(database.count("SELECT count(*) FROM engagement_firsts f WHERE NOT EXISTS"
      + " (SELECT 1 FROM messages m WHERE m.id = f.message_id)")).isZero();
    assertThat(database.count("SELECT count(*) FROM messages WHERE recipient_id LIKE 'recent-%'")).isEqualTo(2);
    assertThat(database.count("SELECT count(*) FROM messages WHERE batch_id = '" + pending + "' AND state = 'queued'"))
      .as("an old batch with a message still to send is kept").isEqualTo(1);
    assertThat(await(gateway.get("/v1/batches/" + old, key).send()).statusCode()).isEqualTo(404);
    assertThat(await(gateway.get("/v1/batches/" + recent, key).send()).statusCode()).isEqualTo(200);
    JsonObject after = await(gateway.get("/v1/campaigns/spring/stats", key).send()).bodyAsJsonObject();
    assertThat(after.getJsonObject("total")).as("the campaign's counters are kept")
      .isEqualTo(before.getJsonObject("total"));
    assertThat(before.getJsonObject("total").getLong("sent")).isEqualTo(5);
  }
}
