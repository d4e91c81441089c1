package dev.relay.loadtests;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TransactionalPathsTest {

  @Test
  @DisplayName("A message a claim took from the queue was claimed (its wait from the insert); one never queued was "
    + "handed over")
  void claimedOrHandedOver() throws Exception {
    BenchDatabase db = new BenchDatabase("127.0.0.1", 5432, "postgres");
    String database = "relay_bench_test_paths_" + ProcessHandle.current().pid();
    db.create(database);
    try {
      // The columns the watch and the query read, as the gateway's schema has them.
      db.execute(database,
        "CREATE TABLE campaigns (id bigint PRIMARY KEY, name text NOT NULL)",
        "CREATE TABLE messages (id bigint PRIMARY KEY, campaign_id bigint NOT NULL, recipient_id text NOT NULL,"
          + " created_at timestamptz NOT NULL)",
        "CREATE TABLE message_queue (message_id bigint NOT NULL, transactional boolean NOT NULL)");
      db.watchClaims(database);
      db.execute(database,
        "INSERT INTO campaigns VALUES (1, 'bench-transactional'), (2, 'bench')",
        "INSERT INTO messages VALUES (1, 1, 'tx-0', now() - interval '1250 milliseconds'),"
          + " (2, 1, 'tx-1', now() - interval '1250 milliseconds'), (3, 2, 'r-0', now())",
        // tx-0 queued, tx-1 handed over (never queued), r-0 queued in the backlog; then a claim takes both.
        "INSERT INTO message_queue VALUES (1, true), (3, false)",
        "DELETE FROM message_queue");

      Map<String, Long> delays = db.claimDelaysMillis(database, "bench-transactional");

      assertThat(delays).containsOnlyKeys("tx-0", "tx-1").containsEntry("tx-1", -1L);
      assertThat(delays.get("tx-0")).isBetween(1250L, 11_250L);
      assertThat(db.queryLong(database, "SELECT count(*) FROM bench_claims")).as("transactional claims only")
        .isEqualTo(1);
    } finally {
      db.drop(database);
    }
  }
}
