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
    return pool.withTransaction(conn -> claimKey(conn, batch).compose(claimed -> {
        if (!claimed) {
          return Future.succeededFuture((Outcome) null);
        }
        return insertBatch(conn, batch, leaseSeconds);
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

  private Future<Outcome> insertBatch(SqlConnection conn, NewBatch batch, int leaseSeconds) {
    return ensureCampaign(conn, batch.tenantId(), batch.campaign(), true)
      .compose(campaign -> {
        long campaignId = campaign.getLong("id");
        boolean leased = leaseSeconds > 0 && "active".equals(campaign.getString("status"));
        return conn.preparedQuery(Queries.sql("batch-insert"))
          .execute(Tuple.from(new Object[] {
            batch.batchId(), batch.tenantId(), campaignId, batch.templateName(), batch.templateVersion(),
            batch.channels(), batch.priority(), batch.sendAt(), (double) batch.ttlSeconds(),
            batch.recipients().size(), batch.rejected(), batch.templateId(), batch.onCap(), batch.topic()}))
          .compose(v -> leased
            ? conn.preparedQuery(Queries.sql("messages-insert-leased"))
              .execute(Tuple.from(new Object[] {
                batch.batchId(), batch.tenantId(), campaignId, batch.priority(), batch.sendAt(),
                (double) batch.ttlSeconds(), batch.recipients(), (double) leaseSeconds}))
              .map(BatchStore::idsByRecipient)
            : conn.preparedQuery(Queries.sql("messages-insert"))
              .execute(Tuple.from(new Object[] {
                batch.batchId(), batch.tenantId(), campaignId, batch.priority(), batch.sendAt(),
                (double) batch.ttlSeconds(), batch.recipients()}))
              .map(rows -> (Map<String, Long>) null))
          .map(ids -> new Outcome(Outcome.Kind.STORED, batch.responseStatus(), batch.responseBody(), campaignId, ids));
      });
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
    JsonObject template = new JsonObject().put("name", row.getString("template_name"));
    if (row.getInteger("template_version") != null) {
      template.put("version", row.getInteger("template_version"));
    }
    return new JsonObject()
      .put("batch_id", row.getUUID("id").toString())
      .put("campaign", row.getString("campaign"))
      .put("template", template)
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
