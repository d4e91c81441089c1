package dev.relay.gateway.store;

import dev.relay.gateway.lifecycle.MessageState;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Batches and their messages: atomic intake, and the status of a batch. */
public final class BatchStore {

  /** Every message state, in the order of a message's life; the status of a batch counts each. */
  public static final String[] STATES =
    Arrays.stream(MessageState.values()).map(MessageState::wireName).toArray(String[]::new);

  private final Pool pool;

  public BatchStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * What became of a batch handed to {@link #persist}.
   *
   * @param campaignId    the batch's campaign, when stored now
   * @param leasedIds     when stored leased to this process's dispatcher: each message's id by
   *                      recipient id; null when stored queued (or not stored now)
   */
  public record Outcome(Kind kind, int status, String body, Long campaignId, Map<String, Long> leasedIds) {

    Outcome(Kind kind, int status, String body) {
      this(kind, status, body, null, null);
    }

    public enum Kind {
      /** Stored now; answer with the batch's own answer. */
      STORED,
      /** The key was used before with the same body: answer with the first answer. */
      REPLAYED,
      /** The key was used before with another body: nothing stored. */
      KEY_REUSED
    }
  }

  /**
   * Stores the idempotency record, the batch and all its messages in one transaction, or nothing.
   * A key seen before is not stored again: the outcome says whether its first body matched.
   *
   * @param leaseSeconds when positive, the messages are stored leased to this process's dispatcher
   *                     for that long (unless their campaign is paused), and the outcome has their ids
   */
  public Future<Outcome> persist(NewBatch batch, int leaseSeconds) {
    return persist(batch, leaseSeconds, null);
  }

  /**
   * Stores the batch as {@link #persist(NewBatch, int)} does, each message due at the time {@code schedule}
   * chose for it (send-time optimization), or all at the batch's send_at when it is null.
   */
  public Future<Outcome> persist(NewBatch batch, int leaseSeconds, SendSchedule schedule) {
    return pool.withTransaction(conn -> claimKey(conn, batch).compose(claimed -> {
        if (!claimed) {
          return Future.succeededFuture((Outcome) null);
        }
        Future<Outcome> inserted = insertBatch(conn, batch, leaseSeconds, schedule);
        return schedule == null ? inserted : inserted.compose(outcome -> conn
          .preparedQuery(Queries.sql("batch-send-time"))
          .execute(Tuple.of(batch.batchId(), schedule.withinHours(), schedule.optimized(), schedule.fellBack(),
            schedule.expiresAt()))
          .map(outcome));
      }))
      .compose(outcome -> outcome != null ? Future.succeededFuture(outcome) : replay(batch));
  }

  private Future<Boolean> claimKey(SqlConnection conn, NewBatch batch) {
    if (batch.idempotencyKey() == null) {
      return Future.succeededFuture(true);
    }
    return conn.preparedQuery(Queries.sql("idempotency-claim"))
      .execute(Tuple.of(batch.tenantId(), batch.idempotencyKey(), Buffer.buffer(batch.requestHash()),
        batch.responseStatus(), batch.responseBody()))
      .map(rows -> rows.rowCount() == 1);
  }

  /**
   * The campaign holds another holdout than the one the batch's recipients were placed with: the batch gave another
   * share ({@code given}), or it gave none and the campaign's was set since intake read it. Nothing was stored.
   */
  public static final class HoldoutMismatch extends RuntimeException {
    private final double campaignHoldout;
    private final boolean given;

    HoldoutMismatch(double campaignHoldout, boolean given) {
      super("the campaign's holdout is " + campaignHoldout, null, false, false);
      this.campaignHoldout = campaignHoldout;
      this.given = given;
    }

    /** The campaign's holdout. */
    public double campaignHoldout() {
      return campaignHoldout;
    }

    /** Whether the batch gave its own (other) holdout, rather than none. */
    public boolean given() {
      return given;
    }
  }

  /** A campaign's holdout (0 when it has none or does not exist yet). */
  public Future<Double> campaignHoldout(long tenantId, String campaign) {
    return pool.preparedQuery(Queries.sql("campaign-holdout")).execute(Tuple.of(tenantId, campaign))
      .map(rows -> {
        Double holdout = rows.size() == 0 ? null : rows.iterator().next().getDouble("holdout");
        return holdout == null ? 0.0 : holdout;
      });
  }

  private Future<Outcome> insertBatch(SqlConnection conn, NewBatch batch, int leaseSeconds, SendSchedule schedule) {
    return ensureCampaign(conn, batch.tenantId(), batch.campaign(), true)
      .compose(campaign -> experiment(conn, batch, campaign).map(campaign))
      .compose(campaign -> ExperimentStore.checkInIntake(conn, campaign.getLong("id"),
        campaign.getBoolean("has_variants") || batch.variants() != null, batch).map(campaign))
      .compose(campaign -> {
        long campaignId = campaign.getLong("id");
        boolean leased = leaseSeconds > 0 && "active".equals(campaign.getString("status"));
        return conn.preparedQuery(Queries.sql("batch-insert"))
          .execute(Tuple.from(new Object[] {
            batch.batchId(), batch.tenantId(), campaignId, batch.templateName(), batch.templateVersion(),
            batch.channels(), batch.priority().wireName(), batch.sendAt(), (double) batch.ttlSeconds(),
            batch.recipients().size(), batch.rejected(), batch.templateId(), batch.onCap(), batch.variants(),
            batch.holdout(), batch.topic()}))
          .compose(v -> leased
            ? conn.preparedQuery(Queries.sql("messages-insert-leased"))
              .execute(Tuple.from(new Object[] {
                batch.batchId(), batch.tenantId(), campaignId, batch.priority().wireName(), batch.sendAt(),
                (double) batch.ttlSeconds(), batch.recipients(), (double) leaseSeconds}))
              .map(BatchStore::idsByRecipient)
            : conn.preparedQuery(Queries.sql("messages-insert"))
              .execute(Tuple.from(new Object[] {
                batch.batchId(), batch.tenantId(), campaignId, batch.priority().wireName(), batch.sendAt(),
                (double) batch.ttlSeconds(), batch.recipients(), schedule == null ? null : schedule.dueAt()}))
              .map(rows -> (Map<String, Long>) null))
          .compose(ids -> afterMessages(conn, batch).map(ids))
          .map(ids -> new Outcome(Outcome.Kind.STORED, batch.responseStatus(), batch.responseBody(), campaignId, ids));
      });
  }

  /**
   * Sets the campaign's holdout from the first batch that gives one and marks it as having variants (a write only
   * when either changes), and checks that the campaign holds the holdout the batch was placed with.
   */
  private Future<Void> experiment(SqlConnection conn, NewBatch batch, Row campaign) {
    Double current = campaign.getDouble("holdout");
    boolean mark = batch.givenHoldout() != null && current == null
      || batch.variants() != null && !campaign.getBoolean("has_variants");
    Future<Double> held = mark
      ? conn.preparedQuery(Queries.sql("campaign-experiment-mark"))
        .execute(Tuple.of(campaign.getLong("id"), batch.givenHoldout(), batch.variants() != null))
        .map(rows -> rows.iterator().next().getDouble("holdout"))
      : Future.succeededFuture(current);
    return held.compose(h -> {
      double holds = h == null ? 0.0 : h;
      if (holds != batch.holdout() || batch.givenHoldout() != null && holds != batch.givenHoldout()) {
        return Future.failedFuture(new HoldoutMismatch(holds, batch.givenHoldout() != null));
      }
      return Future.succeededFuture();
    });
  }

  /** What the batch's messages bring beside them: their held_out events, the counts of its variants. */
  private Future<Void> afterMessages(SqlConnection conn, NewBatch batch) {
    Future<?> events = batch.heldOut() == 0 ? Future.succeededFuture()
      : conn.preparedQuery(Queries.sql("messages-held-out-events")).execute(Tuple.of(batch.batchId()));
    return events.compose(v -> batch.variants() == null ? Future.succeededFuture()
      : conn.preparedQuery(Queries.sql("variant-accepted")).execute(Tuple.of(batch.batchId())).mapEmpty());
  }

  private static Map<String, Long> idsByRecipient(RowSet<Row> rows) {
    Map<String, Long> ids = new HashMap<>(rows.size() * 2);
    for (Row row : rows) {
      ids.put(row.getString(1), row.getLong(0));
    }
    return ids;
  }

  private Future<Row> ensureCampaign(SqlConnection conn, long tenantId, String name, boolean retry) {
    return conn.preparedQuery(Queries.sql("campaign-ensure"))
      .execute(Tuple.of(tenantId, name))
      .compose(rows -> {
        if (rows.size() > 0) {
          return Future.succeededFuture(rows.iterator().next());
        }
        // Created by a concurrent transaction after this statement's snapshot: a new statement sees it.
        if (retry) {
          return ensureCampaign(conn, tenantId, name, false);
        }
        return Future.failedFuture(new IllegalStateException("campaign '" + name + "' is neither insertable nor visible"));
      });
  }

  private Future<Outcome> replay(NewBatch batch) {
    return pool.preparedQuery(Queries.sql("idempotency-find"))
      .execute(Tuple.of(batch.tenantId(), batch.idempotencyKey()))
      .compose(rows -> {
        if (rows.size() == 0) {
          return Future.failedFuture(new IllegalStateException(
            "idempotency key was taken but its record is gone; the request can be retried"));
        }
        Row row = rows.iterator().next();
        if (!MessageDigest.isEqual(row.getBuffer("request_hash").getBytes(), batch.requestHash())) {
          return Future.succeededFuture(new Outcome(Outcome.Kind.KEY_REUSED, 422, null));
        }
        return Future.succeededFuture(new Outcome(Outcome.Kind.REPLAYED, row.getInteger("response_status"),
          row.getString("response_body")));
      });
  }

  /** The status of a batch of this tenant: its envelope and its messages counted per state. */
  public Future<Optional<JsonObject>> status(long tenantId, UUID batchId) {
    return pool.preparedQuery(Queries.sql("batch-find"))
      .execute(Tuple.of(batchId, tenantId))
      .compose(rows -> {
        if (rows.size() == 0) {
          return Future.succeededFuture(Optional.empty());
        }
        JsonObject batch = describe(rows.iterator().next());
        return pool.preparedQuery(Queries.sql("batch-state-counts"))
          .execute(Tuple.of(batchId))
          .map(counts -> Optional.of(batch.put("states", countStates(counts))));
      });
  }

  private static JsonObject describe(Row row) {
    JsonObject described = new JsonObject()
      .put("batch_id", row.getUUID("id").toString())
      .put("campaign", row.getString("campaign"));
    JsonObject variants = (JsonObject) row.getJson("variants");
    if (variants == null) {
      JsonObject template = new JsonObject().put("name", row.getString("template_name"));
      if (row.getInteger("template_version") != null) {
        template.put("version", row.getInteger("template_version"));
      }
      described.put("template", template);
    } else {
      JsonArray list = new JsonArray();
      new java.util.TreeMap<>(variants.getMap()).keySet().forEach(name -> {
        JsonObject v = variants.getJsonObject(name);
        list.add(new JsonObject().put("name", name)
          .put("template", new JsonObject().put("name", v.getString("template"))
            .put("version", v.getInteger("template_version")))
          .put("weight", v.getNumber("weight")));
      });
      described.put("variants", list);
    }
    described
      .put("holdout", row.getDouble("holdout"))
      .put("channels", new JsonArray(java.util.List.of(row.getArrayOfStrings("channels"))))
      .put("priority", row.getString("priority"))
      .put("on_cap", row.getString("on_cap"))
      .put("topic", row.getString("topic"))
      .put("send_at", format(row.getOffsetDateTime("send_at")))
      .put("expires_at", format(row.getOffsetDateTime("expires_at")))
      .put("created_at", format(row.getOffsetDateTime("created_at")))
      .put("recipients", new JsonObject()
        .put("accepted", row.getInteger("accepted"))
        .put("rejected", row.getInteger("rejected")));
    if (row.getInteger("send_time_within_hours") != null) {
      described.put("send_time", new JsonObject()
        .put("within_hours", row.getInteger("send_time_within_hours"))
        .put("optimized", row.getInteger("send_time_optimized"))
        .put("fell_back", row.getInteger("send_time_fell_back")));
    }
    return described;
  }

  private static JsonObject countStates(RowSet<Row> rows) {
    JsonObject states = new JsonObject();
    for (String state : STATES) {
      states.put(state, 0L);
    }
    for (Row row : rows) {
      states.put(row.getString("state"), row.getLong("n"));
    }
    return states;
  }

  private static String format(OffsetDateTime time) {
    return MessageStore.format(time);
  }

  /** Messages waiting to be sent: queued, due for retry, or being sent. */
  public Future<Long> queueDepth() {
    return serially(Queries.sql("queue-depth"))
      .map(rows -> rows.iterator().next().getLong("depth"));
  }

  /** The queue by state, and the age in seconds of its oldest due message of an active campaign. */
  public record QueueStats(long queued, long retry, long sending, double lagSeconds) {
  }

  /** Counts the queue for the metrics. */
  public Future<QueueStats> queueStats() {
    return serially(Queries.sql("queue-metrics"))
      .map(rows -> {
        Row row = rows.iterator().next();
        return new QueueStats(row.getLong("queued"), row.getLong("retry"), row.getLong("sending"),
          row.getDouble("lag_seconds"));
      });
  }

  /**
   * Runs a background count without parallel workers: on a large queue, a parallel scan takes every
   * core for its duration, and the inserts and claims waiting behind it are what the gateway's users
   * see; on one core it takes longer and leaves them the rest.
   */
  private Future<RowSet<Row>> serially(String sql) {
    return pool.withTransaction(conn -> conn.query("SET LOCAL max_parallel_workers_per_gather = 0").execute()
      .compose(set -> conn.query(sql).execute()));
  }

  /** Forgets idempotency records older than the retention; returns how many. */
  public Future<Integer> expireIdempotencyKeys(int retentionHours) {
    return pool.preparedQuery(Queries.sql("idempotency-expire"))
      .execute(Tuple.of(retentionHours))
      .map(RowSet::rowCount);
  }
}
