package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The dispatcher's statements: claim, record outcomes, reclaim expired leases, release on shutdown. */
public final class DispatchStore {

  private final Pool pool;
  private final String instance;

  /** @param instance this process's name in the events it writes (host and process id) */
  public DispatchStore(Pool pool, String instance) {
    this.pool = pool;
    this.instance = instance;
  }

  /** A claimed row as the claim statement returns it. */
  public record ClaimedRow(long id, int attempt, long tenantId, long campaignId, String tenant, String campaign,
                           String recipientId, JsonObject addresses, String locale, JsonObject variables,
                           boolean expired, int channelIndex, String[] channels, Long templateId, String priority,
                           String timeZone, String onCap, String topic) {
  }

  /** Claims up to {@code limit} due messages under a lease of {@code leaseSeconds}. */
  public Future<List<ClaimedRow>> claim(int limit, int leaseSeconds) {
    return claim(false, limit, leaseSeconds);
  }

  /** Claims up to {@code limit} due transactional messages only (the claim's first pass alone). */
  public Future<List<ClaimedRow>> claimTransactional(int limit, int leaseSeconds) {
    return claim(true, limit, leaseSeconds);
  }

  private Future<List<ClaimedRow>> claim(boolean transactionalOnly, int limit, int leaseSeconds) {
    return pool.preparedQuery(Queries.sql("dispatch-claim"))
      .execute(Tuple.of(limit, (double) leaseSeconds, instance, transactionalOnly))
      .map(rows -> {
        List<ClaimedRow> claimed = new ArrayList<>(rows.size());
        for (Row row : rows) {
          claimed.add(new ClaimedRow(row.getLong("id"), row.getInteger("attempt"), row.getLong("tenant_id"),
            row.getLong("campaign_id"), row.getString("tenant"), row.getString("campaign"),
            row.getString("recipient_id"), (JsonObject) row.getValue("addresses"), row.getString("locale"),
            (JsonObject) row.getValue("variables"), row.getBoolean("expired"), row.getInteger("channel_index"),
            row.getArrayOfStrings("channels"), row.getLong("template_id"), row.getString("priority"),
            row.getString("time_zone"), row.getString("on_cap"), row.getString("topic")));
        }
        return claimed;
      });
  }

  /**
   * Writes outcomes, each fenced by its attempt, in one statement: the message rows, the events of every outcome
   * but a plain send, the 'sent' counters, the queue rows of messages put back, and their leases closed. The
   * arrays are parallel, one element per outcome. Returns how many were applied (a stale attempt is not).
   */
  public Future<Integer> record(Long[] ids, Integer[] attempts, String[] states, Long[] delaysMs, Short[] channelIndexes,
                                String[] channels, String[] accounts, String[] providerIds, String[] reasons,
                                String[] events, Boolean[] refunds, String[] details) {
    return pool.preparedQuery(Queries.sql("dispatch-record"))
      .execute(Tuple.from(new Object[] {ids, attempts, states, delaysMs, channelIndexes, channels, accounts, providerIds,
        reasons, events, refunds, instance, details}))
      .map(RowSet::rowCount);
  }

  /**
   * Reads up to {@code limit} expired leases (message_leases rows), returns their messages still sending to the
   * queue and deletes the leases; how many messages it returned.
   */
  public Future<Integer> reclaimExpired(int limit) {
    return pool.preparedQuery(Queries.sql("dispatch-reclaim"))
      .execute(Tuple.of(limit))
      .map(RowSet::rowCount);
  }

  /** Gives back claimed messages never handed to a provider; how many. */
  public Future<Integer> release(Long[] ids, Integer[] attempts) {
    return pool.preparedQuery(Queries.sql("dispatch-release"))
      .execute(Tuple.tuple().addValue(ids).addValue(attempts))
      .map(RowSet::rowCount);
  }

  /** The ids of the campaigns paused now. */
  public Future<Set<Long>> pausedCampaigns() {
    return pool.preparedQuery(Queries.sql("campaigns-paused")).execute()
      .map(rows -> {
        Set<Long> ids = new HashSet<>();
        rows.forEach(row -> ids.add(row.getLong(0)));
        return ids;
      });
  }

  /** Pauses a campaign that passed its failure threshold; the campaign's tenant and name, if it was active. */
  public Future<RowSet<Row>> autoPause(long campaignId, String reason) {
    return pool.preparedQuery(Queries.sql("campaign-auto-pause")).execute(Tuple.of(campaignId, reason));
  }
}
