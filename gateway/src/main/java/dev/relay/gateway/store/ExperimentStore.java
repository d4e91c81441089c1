package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Campaign experiments in PostgreSQL: the test of a campaign, its decision, and the release of its waiting messages. */
public final class ExperimentStore {

  /** A campaign's test as stored. */
  public record Stored(long campaignId, long tenantId, String campaign, JsonObject config, String status,
                       OffsetDateTime createdAt, OffsetDateTime decideAt, OffsetDateTime decidedAt, String winner,
                       JsonObject decision) {
  }

  /** A test whose wait has passed, or whose campaign still has waiting messages to release. */
  public record Pending(long campaignId, long tenantId, String campaign, JsonObject config, String status,
                        String winner) {
  }

  /** A waiting message of a chunk being released: its id, recipient, and its batch's variants. */
  public record Waiting(long id, String recipientId, JsonObject batchVariants) {
  }

  /** The campaign's test as intake sees it under its share lock. */
  public record Locked(JsonObject config, String status, String winner) {
  }

  private final Pool pool;

  public ExperimentStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * What intake placed a batch's recipients with: the campaign's test as intake read it before its transaction
   * ({@code status} and {@code winner}; {@code status} null when the campaign had none), and the config to create
   * the test with when the batch gives one (null when it gives none).
   */
  public record Intake(JsonObject create, int waitSeconds, String status, String winner) {
  }

  /** The campaign's test is not what intake placed the batch's recipients with (it changed since); nothing stored. */
  public static final class Mismatch extends RuntimeException {
    public Mismatch() {
      super("the campaign's test changed since intake read it", null, false, false);
    }
  }

  /**
   * Within intake's transaction: creates the campaign's test when the batch gives one and it has none, then reads
   * it under a share lock and fails with {@link Mismatch} unless it is what the recipients were placed with. Only
   * campaigns with variants (now or in this batch) can have a test; the others are not read.
   */
  static Future<Void> checkInIntake(SqlConnection conn, long campaignId, boolean mayHaveTest, NewBatch batch) {
    Intake placed = batch.experiment();
    if (!mayHaveTest && placed == null) {
      return Future.succeededFuture();
    }
    Future<?> created = placed == null || placed.create() == null ? Future.succeededFuture()
      : conn.preparedQuery(Queries.sql("experiment-create"))
        .execute(Tuple.of(campaignId, batch.tenantId(), placed.create(), batch.sendAt(), (double) placed.waitSeconds()));
    return created.compose(v -> conn.preparedQuery(Queries.sql("experiment-lock")).execute(Tuple.of(campaignId)))
      .compose(rows -> {
        boolean has = rows.size() > 0;
        Row row = has ? rows.iterator().next() : null;
        boolean same = placed == null || placed.status() == null
          ? !has || placed != null && placed.create() != null && "testing".equals(row.getString("status"))
            && placed.create().equals(row.getJson("config"))
          : has && placed.status().equals(row.getString("status"))
            && java.util.Objects.equals(placed.winner(), row.getString("winner"));
        return same ? Future.succeededFuture() : Future.failedFuture(new Mismatch());
      });
  }

  /** The tenant's campaign's test; empty when it has none (or no such campaign). */
  public Future<Optional<Stored>> find(long tenantId, String campaign) {
    return pool.preparedQuery(Queries.sql("experiment-find")).execute(Tuple.of(tenantId, campaign))
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Row r = rows.iterator().next();
        return Optional.of(new Stored(r.getLong("campaign_id"), r.getLong("tenant_id"), r.getString("campaign"),
          (JsonObject) r.getJson("config"), r.getString("status"), r.getOffsetDateTime("created_at"),
          r.getOffsetDateTime("decide_at"), r.getOffsetDateTime("decided_at"), r.getString("winner"),
          (JsonObject) r.getJson("decision")));
      });
  }

  /** Up to {@code limit} tests whose wait has passed. */
  public Future<List<Pending>> due(int limit) {
    return pool.preparedQuery(Queries.sql("experiments-due")).execute(Tuple.of(limit))
      .map(rows -> {
        List<Pending> due = new ArrayList<>();
        rows.forEach(r -> due.add(new Pending(r.getLong("campaign_id"), r.getLong("tenant_id"), r.getString("campaign"),
          (JsonObject) r.getJson("config"), "testing", null)));
        return due;
      });
  }

  /** Ended tests whose campaign still has waiting messages. */
  public Future<List<Pending>> releasing() {
    return pool.query(Queries.sql("experiments-releasing")).execute()
      .map(rows -> {
        List<Pending> list = new ArrayList<>();
        rows.forEach(r -> list.add(new Pending(r.getLong("campaign_id"), r.getLong("tenant_id"), r.getString("campaign"),
          null, r.getString("status"), r.getString("winner"))));
        return list;
      });
  }

  /** A campaign's per-variant counters of these metrics: variant → metric → n. */
  public Future<Map<String, Map<String, Long>>> counters(long campaignId, List<String> metrics) {
    return pool.preparedQuery(Queries.sql("experiment-counters"))
      .execute(Tuple.from(new Object[] {campaignId, metrics.toArray(String[]::new)}))
      .map(rows -> {
        Map<String, Map<String, Long>> counters = new HashMap<>();
        rows.forEach(r -> counters.computeIfAbsent(r.getString("variant"), v -> new HashMap<>())
          .put(r.getString("metric"), r.getLong("n")));
        return counters;
      });
  }

  /** How many of the campaign's messages wait for the decision. */
  public Future<Long> waiting(long campaignId) {
    return pool.preparedQuery(Queries.sql("experiment-waiting-counts")).execute(Tuple.of(campaignId))
      .map(rows -> rows.iterator().next().getLong("n"));
  }

  /**
   * Ends the test with this status ({@code decided} or {@code cancelled}), winner (null: none) and decision; false
   * when it was not testing any more (another instance, or the API, ended it first).
   */
  public Future<Boolean> end(long campaignId, String status, String winner, JsonObject decision) {
    return pool.preparedQuery(Queries.sql("experiment-decide"))
      .execute(Tuple.of(campaignId, status, winner, decision))
      .map(rows -> rows.size() == 1);
  }

  /**
   * Releases one chunk of the campaign's waiting messages in one transaction: locks up to {@code chunk} of them
   * (skipping those another instance holds), asks {@code variantOf} each one's variant, and queues them with it.
   * Returns how many were released; fewer than {@code chunk} means none is left (or others are being released).
   */
  public Future<Integer> releaseChunk(long campaignId, int chunk, java.util.function.Function<Waiting, String> variantOf,
                                      String by) {
    return pool.withTransaction(conn -> conn.preparedQuery(Queries.sql("experiment-waiting-chunk"))
      .execute(Tuple.of(campaignId, chunk))
      .compose(rows -> {
        if (rows.size() == 0) {
          return Future.succeededFuture(0);
        }
        List<Long> ids = new ArrayList<>(rows.size());
        List<UUID> batchOf = new ArrayList<>(rows.size());
        List<String> recipients = new ArrayList<>(rows.size());
        Set<UUID> batches = new LinkedHashSet<>();
        for (Row r : rows) {
          ids.add(r.getLong("id"));
          batchOf.add(r.getUUID("batch_id"));
          recipients.add(r.getString("recipient_id"));
          batches.add(r.getUUID("batch_id"));
        }
        return conn.preparedQuery(Queries.sql("batch-variants")).execute(Tuple.from(new Object[] {batches.toArray(UUID[]::new)}))
          .compose(variantRows -> {
            Map<UUID, JsonObject> variants = new HashMap<>();
            variantRows.forEach(r -> variants.put(r.getUUID("id"), (JsonObject) r.getJson("variants")));
            Long[] idArray = ids.toArray(Long[]::new);
            String[] chosen = new String[ids.size()];
            for (int i = 0; i < ids.size(); i++) {
              chosen[i] = variantOf.apply(new Waiting(idArray[i], recipients.get(i), variants.get(batchOf.get(i))));
            }
            return conn.preparedQuery(Queries.sql("experiment-release")).execute(Tuple.from(new Object[] {idArray, chosen, by}))
              .map(released -> released.iterator().next().getLong("n").intValue());
          });
      }));
  }
}
