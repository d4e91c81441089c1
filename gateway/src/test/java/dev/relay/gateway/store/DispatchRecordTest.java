package dev.relay.gateway.store;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Recording outcomes")
class DispatchRecordTest {

  private static final int OUTCOMES = 500;

  @Test
  @DisplayName("reaches its messages by primary key when the statistics say hardly any is leased, and keeps the fence")
  void byPrimaryKeyWhateverTheStatistics() throws Exception {
    try (TestGateway gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false"))) {
      assertThat(gateway.postBatch(gateway.apiKey("acme"), null, Batches.batch("spring", "a", 3)).statusCode())
        .isEqualTo(202);
      Pool pool = Database.pool(gateway.vertx(), gateway.config());
      try (Connection db = gateway.database().connect(); Statement sql = db.createStatement()) {
        // 30,000 queued messages, analyzed while none is leased; then a third of them leased, as a burst
        // of handed-over batches leaves them before autovacuum analyzes the table again.
        sql.executeUpdate("INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, priority,"
          + " due_at, expires_at) SELECT batch_id, tenant_id, campaign_id, 'more-' || g, addresses, priority, due_at,"
          + " expires_at FROM (SELECT * FROM messages LIMIT 1) m, generate_series(1, 30000) g");
        sql.execute("ANALYZE messages");
        sql.executeUpdate("WITH leased AS (SELECT id FROM messages ORDER BY id LIMIT 10000),"
          + " lease AS (INSERT INTO message_leases (lease_until, first_id, open, message_ids, instance)"
          + " SELECT now() + interval '1 minute', min(id), count(*), array_agg(id ORDER BY id), 'test' FROM leased"
          + " RETURNING id)"
          + " UPDATE messages SET state = 'sending', attempt = 1, lease_until = now() + interval '1 minute',"
          + " lease_id = (SELECT id FROM lease) WHERE id IN (SELECT id FROM leased)");
        List<Long> leased = ids(sql, "SELECT id FROM messages WHERE state = 'sending' ORDER BY id LIMIT " + (OUTCOMES - 1));
        List<Long> queued = ids(sql, "SELECT id FROM messages WHERE state = 'queued' ORDER BY id LIMIT 1");

        // One outcome per leased message, the last with a stale attempt, and one for a message not leased.
        Long[] ids = new Long[OUTCOMES];
        Integer[] attempts = new Integer[OUTCOMES];
        for (int i = 0; i < OUTCOMES - 1; i++) {
          ids[i] = leased.get(i);
          attempts[i] = i == OUTCOMES - 2 ? 2 : 1;
        }
        ids[OUTCOMES - 1] = queued.get(0);
        attempts[OUTCOMES - 1] = 0;
        String[] states = filled("sent");
        String[] events = filled("sent");
        String[] channels = filled("email");
        String[] accounts = filled("sandbox-email");
        String[] providerIds = new String[OUTCOMES];
        for (int i = 0; i < OUTCOMES; i++) {
          providerIds[i] = "sb-" + ids[i];
        }
        Short[] channelIndexes = new Short[OUTCOMES];
        Arrays.fill(channelIndexes, (short) 0);
        Boolean[] refunds = new Boolean[OUTCOMES];
        Arrays.fill(refunds, false);

        Tuple outcomes = Tuple.from(new Object[] {ids, attempts, states, new Long[OUTCOMES], channelIndexes, channels,
          accounts, providerIds, new String[OUTCOMES], events, refunds, "test", new String[OUTCOMES]});
        // The plan for these outcomes, and the generic plan a cached statement may switch to.
        for (String planCacheMode : List.of("auto", "force_generic_plan")) {
          Row plan = await(pool.withConnection(connection -> connection.query("SET plan_cache_mode = " + planCacheMode)
            .execute()
            .compose(set -> connection.preparedQuery("EXPLAIN (FORMAT JSON) " + Queries.sql("dispatch-record"))
              .execute(outcomes)))).iterator().next();
          List<String> scans = new ArrayList<>();
          scansOfMessages(new JsonArray(String.valueOf(plan.getValue(0))).getJsonObject(0).getJsonObject("Plan"), scans);
          assertThat(scans).as("how the plan of dispatch-record reads messages (plan_cache_mode %s)", planCacheMode)
            .containsExactly("Index Scan messages_p0_pkey");
        }
        // With more partitions, the record reads only the one that holds its messages: the range of their ids lets
        // the executor skip the others (an id = ANY(array) alone would probe every partition's primary key).
        sql.execute("SELECT relay_messages_partition(1, 2, now()), relay_messages_partition(2, 3, now())");
        List<String> executed = new ArrayList<>();
        // A generic plan (a cached statement's, once PostgreSQL prefers it), whose array is not known when planning:
        // the statement prepared by name, then EXPLAIN EXECUTE with the outcomes as its arguments.
        String arguments = String.join(", ", array(ids, "bigint"), array(attempts, "int"), array(states, "text"),
          array(new Long[OUTCOMES], "bigint"), array(channelIndexes, "smallint"), array(channels, "text"),
          array(accounts, "text"), array(providerIds, "text"), array(new String[OUTCOMES], "text"),
          array(events, "text"),
          array(refunds, "bool"), "'test'", array(new String[OUTCOMES], "text"));
        await(pool.withConnection(connection -> connection.begin().compose(tx -> connection
          .query("SET LOCAL plan_cache_mode = force_generic_plan").execute()
          .compose(set -> connection.query("PREPARE record AS " + Queries.sql("dispatch-record")).execute())
          .compose(prepared -> connection.query("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE record(" + arguments + ")")
            .execute())
          .onSuccess(rows -> executedScans(new JsonArray(String.valueOf(rows.iterator().next().getValue(0)))
            .getJsonObject(0).getJsonObject("Plan"), executed))
          .eventually(tx::rollback))));
        assertThat(executed).as("the partitions of messages the record read").containsExactly("messages_p0");

        DispatchStore store = new DispatchStore(pool, "test");
        int applied = await(store.record(ids, attempts, states, new Long[OUTCOMES], channelIndexes, channels, accounts,
          providerIds, new String[OUTCOMES], events, refunds, new String[OUTCOMES]));
        assertThat(applied).as("all but the stale attempt and the message that was not leased").isEqualTo(OUTCOMES - 2);
        assertThat(state(sql, ids[OUTCOMES - 2])).as("a stale attempt changes nothing").isEqualTo("sending");
        assertThat(state(sql, ids[OUTCOMES - 1])).as("a message not leased is not recorded").isEqualTo("queued");
        assertThat(state(sql, ids[0])).isEqualTo("sent");
        assertThat(count(sql, "SELECT count(*) FROM messages WHERE sent_at IS NOT NULL")).isEqualTo(OUTCOMES - 2);
        assertThat(count(sql, "SELECT coalesce(sum(n), 0) FROM campaign_counters WHERE metric = 'sent'"))
          .isEqualTo(OUTCOMES - 2);
        assertThat(count(sql, "SELECT open FROM message_leases WHERE instance = 'test'"))
          .as("the lease's messages still open").isEqualTo(10_000 - (OUTCOMES - 2));
      } finally {
        await(pool.close());
      }
    }
  }

  @Test
  @DisplayName("two records that close a lease's last messages at the same time delete the lease")
  void concurrentRecordsCloseTheLease() throws Exception {
    try (TestGateway gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false"))) {
      assertThat(gateway.postBatch(gateway.apiKey("acme"), null, Batches.batch("spring", "a", 5)).statusCode())
        .isEqualTo(202);
      Pool pool = Database.pool(gateway.vertx(), gateway.config());
      try (Connection db = gateway.database().connect(); Statement sql = db.createStatement()) {
        List<DispatchStore.ClaimedRow> claimed = await(new DispatchStore(pool, "test").claim(5, 60));
        assertThat(claimed).hasSize(5);
        assertThat(count(sql, "SELECT open FROM message_leases")).isEqualTo(5);

        // The first record holds its transaction open; the second, of the lease's last three, waits for its lock.
        Promise<Void> commit = Promise.promise();
        Future<Integer> first = pool.withTransaction(connection -> connection
          .preparedQuery(Queries.sql("dispatch-record")).execute(sent(claimed.subList(0, 2)))
          .compose(rows -> commit.future().map(rows.size())));
        eventually(() -> count(sql, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
          + " AND state = 'idle in transaction'") == 1);
        Future<Integer> second = pool.preparedQuery(Queries.sql("dispatch-record")).execute(sent(claimed.subList(2, 5)))
          .map(rows -> rows.size());
        eventually(() -> count(sql, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
          + " AND wait_event_type = 'Lock' AND query LIKE 'WITH o AS MATERIALIZED%'") == 1);
        commit.complete();

        assertThat(await(first)).isEqualTo(2);
        assertThat(await(second)).isEqualTo(3);
        assertThat(count(sql, "SELECT count(*) FROM messages WHERE state = 'sent'")).isEqualTo(5);
        assertThat(count(sql, "SELECT count(*) FROM message_leases")).as("the lease, with no message open").isZero();
      } finally {
        await(pool.close());
      }
    }
  }

  /** The outcomes of a send of each of {@code rows}, as dispatch-record's parameters. */
  private static Tuple sent(List<DispatchStore.ClaimedRow> rows) {
    int n = rows.size();
    Long[] ids = rows.stream().map(DispatchStore.ClaimedRow::id).toArray(Long[]::new);
    Integer[] attempts = rows.stream().map(DispatchStore.ClaimedRow::attempt).toArray(Integer[]::new);
    String[] states = new String[n];
    Arrays.fill(states, "sent");
    String[] channels = new String[n];
    Arrays.fill(channels, "email");
    String[] accounts = new String[n];
    Arrays.fill(accounts, "sandbox-email");
    Short[] channelIndexes = new Short[n];
    Arrays.fill(channelIndexes, (short) 0);
    Boolean[] refunds = new Boolean[n];
    Arrays.fill(refunds, false);
    return Tuple.from(new Object[] {ids, attempts, states, new Long[n], channelIndexes, channels, accounts,
      Arrays.stream(ids).map(id -> "sb-" + id).toArray(String[]::new), new String[n], states.clone(), refunds, "test",
      new String[n]});
  }

  private static void eventually(java.util.concurrent.Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s");
      }
      Thread.sleep(20);
    }
  }

  /** Every node of the plan that reads {@code messages}, as its node type and index. */
  private static void scansOfMessages(JsonObject node, List<String> scans) {
    // messages is partitioned (V23): a scan names the partition it reads, messages_p<k>.
    String relation = node.getString("Relation Name", "");
    if (relation.matches("messages(_p[0-9]+)?") && !"ModifyTable".equals(node.getString("Node Type"))) {
      scans.add(node.getString("Node Type") + (node.containsKey("Index Name") ? " " + node.getString("Index Name") : ""));
    }
    for (Object child : node.getJsonArray("Plans", new JsonArray())) {
      scansOfMessages((JsonObject) child, scans);
    }
  }

  /** A SQL array literal of these values (numbers, booleans, or text without quotes worth escaping). */
  private static String array(Object[] values, String type) {
    List<String> items = new ArrayList<>();
    for (Object value : values) {
      items.add(value == null ? "NULL"
        : value instanceof String text ? "'" + text.replace("'", "''") + "'" : value.toString());
    }
    return "ARRAY[" + String.join(", ", items) + "]::" + type + "[]";
  }

  /** The partitions of messages that a plan run with ANALYZE scanned at least once. */
  private static void executedScans(JsonObject node, List<String> partitions) {
    String relation = node.getString("Relation Name", "");
    if (relation.matches("messages_p[0-9]+") && !"ModifyTable".equals(node.getString("Node Type"))
        && node.getInteger("Actual Loops", 0) > 0) {
      partitions.add(relation);
    }
    for (Object child : node.getJsonArray("Plans", new JsonArray())) {
      executedScans((JsonObject) child, partitions);
    }
  }

  private static long count(Statement sql, String query) throws Exception {
    try (ResultSet rs = sql.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String[] filled(String value) {
    String[] values = new String[OUTCOMES];
    Arrays.fill(values, value);
    return values;
  }

  private static List<Long> ids(Statement sql, String query) throws Exception {
    List<Long> ids = new ArrayList<>();
    try (ResultSet rs = sql.executeQuery(query)) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }

  private static String state(Statement sql, long id) throws Exception {
    try (ResultSet rs = sql.executeQuery("SELECT state FROM messages WHERE id = " + id)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
