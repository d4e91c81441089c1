package dev.relay.loadtests;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TransactionalPathsTest {

  @Test
  @DisplayName("A message with a claim's sending event was claimed (its wait from the insert); one without was handed over")
  void claimedOrHandedOver() throws Exception {
    BenchDatabase db = new BenchDatabase("127.0.0.1", 5432, "postgres");
    String database = "relay_bench_test_paths_" + ProcessHandle.current().pid();
    db.create(database);
    try {
      // The columns the query reads, as the gateway's schema has them.
      db.execute(database,
        "CREATE TABLE campaigns (id bigint PRIMARY KEY, name text NOT NULL)",
        "CREATE TABLE messages (id bigint PRIMARY KEY, campaign_id bigint NOT NULL, recipient_id text NOT NULL,"
          + " created_at timestamptz NOT NULL)",
        "CREATE TABLE events (message_id bigint NOT NULL, type text NOT NULL, occurred_at timestamptz NOT NULL)",
        "INSERT INTO campaigns VALUES (1, 'bench-transactional'), (2, 'bench')",
        "INSERT INTO messages VALUES (1, 1, 'tx-0', '2026-12-07 06:00:00+00'), (2, 1, 'tx-1', '2026-12-07 06:00:00+00'),"
          + " (3, 2, 'r-0', '2026-12-07 06:00:00+00')",
        "INSERT INTO events VALUES (1, 'sending', '2026-12-07 06:00:01.250+00'), (1, 'sent', '2026-12-07 06:00:02+00'),"
          + " (2, 'sent', '2026-12-07 06:00:00.050+00'), (3, 'sending', '2026-12-07 06:00:03+00')");

      Map<String, Long> delays = db.claimDelaysMillis(database, "bench-transactional");

      assertThat(delays).containsExactlyInAnyOrderEntriesOf(Map.of("tx-0", 1250L, "tx-1", -1L));
    } finally {
      db.drop(database);
    }
  }
}
