package dev.relay.gateway.api;

import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Intake atomicity")
class IntakeAtomicityTest {

  private static TestGateway gateway;
  private static String key;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(java.util.Map.of(dev.relay.gateway.config.Setting.DISPATCH_ENABLED, "false"));
    key = gateway.apiKey("acme");
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  @Test
  @DisplayName("a connection killed in the middle of a 10,000-recipient insert leaves no part of the batch, "
    + "answers 503, and the retry with the same key stores it whole")
  void killedMidInsertLeavesNothing() throws Exception {
    Buffer body = Batches.batch("atomic", "atomic", 10_000).toBuffer();
    Future<HttpResponse<Buffer>> answer;
    try (Connection blocker = gateway.database().connect(); Connection killer = gateway.database().connect()) {
      // Hold the intake transaction inside its INSERT INTO messages, after the idempotency record and
      // the batch row were written, so that the kill lands mid-insert every time.
      blocker.setAutoCommit(false);
      try (Statement st = blocker.createStatement()) {
        st.execute("LOCK TABLE messages IN SHARE MODE");
      }
      answer = gateway.post("/v1/batches", key).putHeader("Idempotency-Key", "atomic-1").sendBuffer(body);

      int pid = waitForBlockedInsert(killer);
      try (Statement st = killer.createStatement()) {
        st.execute("SELECT pg_terminate_backend(" + pid + ")");
      }
      blocker.rollback();
    }

    HttpResponse<Buffer> response = await(answer);
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.getHeader("Retry-After")).isNotBlank();
    assertThat(response.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:database-unavailable");
    assertThat(gateway.database().count("SELECT count(*) FROM messages")).isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM batches")).isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM idempotency_keys")).isZero();

    HttpResponse<Buffer> retry = gateway.postBatch(key, "atomic-1", body);

    assertThat(retry.statusCode()).isEqualTo(202);
    assertThat(retry.getHeader("Idempotent-Replayed")).isNull();
    assertThat(gateway.database().count("SELECT count(*) FROM messages")).isEqualTo(10_000);
    assertThat(gateway.database().count("SELECT count(*) FROM batches")).isEqualTo(1);
  }

  private static int waitForBlockedInsert(Connection connection) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (Statement st = connection.createStatement();
           ResultSet rs = st.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
             + " AND wait_event_type = 'Lock' AND query LIKE 'WITH %INSERT INTO messages (batch_id%'")) {
        if (rs.next()) {
          return rs.getInt(1);
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the intake insert never reached the lock");
  }
}
