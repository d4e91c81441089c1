package dev.relay.loadtests;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

class WalPositionTest {

  @Test
  @DisplayName("The WAL a phase wrote is the distance between two positions, in all and per row")
  void perRow() {
    BenchDatabase.WalPosition before = new BenchDatabase.WalPosition(1_000_000);
    BenchDatabase.WalPosition after = new BenchDatabase.WalPosition(1_000_000 + 277_220_000);

    assertThat(before.perRow(after, 100_000)).isEqualTo(new JsonObject()
      .put("rows", 100_000L).put("wal_bytes", 277_220_000L).put("wal_bytes_per_row", 2772.2));
    assertThat(before.perRow(after, 0).getValue("wal_bytes_per_row")).isNull();
  }

  @Test
  @DisplayName("The position is read from the real PostgreSQL and moves by what is written")
  void readsTheServersPosition() throws Exception {
    BenchDatabase db = new BenchDatabase("127.0.0.1", 5432, "postgres");
    BenchDatabase.WalPosition before = db.walPosition();
    try (Connection c = db.connect("postgres"); Statement st = c.createStatement()) {
      // A logical message of 10,000 bytes: one WAL record, written whatever the wal_level.
      st.execute("SELECT pg_logical_emit_message(false, 'relay-bench-test', repeat('x', 10000))");
    }
    long written = before.perRow(db.walPosition(), 1).getLong("wal_bytes");

    assertThat(written).isGreaterThanOrEqualTo(10_000);
  }
}
