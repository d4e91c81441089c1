package dev.relay.gateway.store;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

@DisplayName("The queue's figures for the metrics")
class QueueStatsTest {

  @Test
  @DisplayName("lag is the age of the oldest due message of any tenant's active campaigns")
  void lagAcrossTenants() throws Exception {
    try (TestGateway gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false"))) {
      assertThat(gateway.postBatch(gateway.apiKey("acme"), null, Batches.batch("spring", "a", 3)).statusCode())
        .isEqualTo(202);
      assertThat(gateway.postBatch(gateway.apiKey("globex"), null, Batches.batch("autumn", "g", 2)).statusCode())
        .isEqualTo(202);
      Pool pool = Database.pool(gateway.vertx(), gateway.config());
      try (Connection db = gateway.database().connect(); Statement sql = db.createStatement()) {
        BatchStore batches = new BatchStore(pool);
        requeue(sql, "due_at = now() + interval '1 hour'", "true");
        BatchStore.QueueStats future = await(batches.queueStats());
        assertThat(future.queued()).isEqualTo(5);
        assertThat(future.lagSeconds()).as("nothing is due yet").isZero();

        requeue(sql, "due_at = now() - interval '100 seconds'", "recipient_id LIKE 'a%'");
        requeue(sql, "due_at = now() - interval '40 seconds'", "recipient_id LIKE 'g%'");
        assertThat(await(batches.queueStats()).lagSeconds()).isCloseTo(100, within(5.0));

        sql.executeUpdate("UPDATE campaigns SET status = 'paused' WHERE name = 'spring'");
        assertThat(await(batches.queueStats()).lagSeconds()).as("a paused campaign is not lag")
          .isCloseTo(40, within(5.0));

        requeue(sql, "state = 'retry'", "recipient_id LIKE 'g%'");
        BatchStore.QueueStats retry = await(batches.queueStats());
        assertThat(retry.lagSeconds()).isCloseTo(40, within(5.0));
        assertThat(retry.queued()).isEqualTo(3);
        assertThat(retry.retry()).isEqualTo(2);

        sql.executeUpdate("UPDATE campaigns SET status = 'paused'");
        assertThat(await(batches.queueStats()).lagSeconds()).isZero();
      } finally {
        await(pool.close());
      }
    }
  }

  /** Changes queued messages, and their queue rows with them, as the statements that requeue a message do. */
  private static void requeue(Statement sql, String set, String where) throws Exception {
    sql.executeUpdate("WITH m AS (UPDATE messages SET " + set + " WHERE " + where + " RETURNING id, due_at, state)"
      + " UPDATE message_queue q SET due_at = m.due_at, retry = m.state = 'retry' FROM m WHERE q.message_id = m.id");
  }
}
