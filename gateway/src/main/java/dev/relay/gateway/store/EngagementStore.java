package dev.relay.gateway.store;

import dev.relay.gateway.track.EventClass;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Engagement in PostgreSQL: applying provider events, the events' partitions, campaign counters, histories. */
public final class EngagementStore {

  /** What one pass of the webhook applier did. */
  public record Applied(long picked, long applied, long events, long suppressed, long states) {
  }

  /** One counter of a campaign: a metric's count on a channel. */
  public record Counter(String channel, String metric, long n) {
  }

  /** One counter of a campaign's variant: a metric's count over all channels. */
  public record VariantCounter(String variant, String metric, long n) {
  }

  /** One engagement fact of a recipient. */
  public record Fact(String type, EventClass eventClass, String reason, java.time.OffsetDateTime occurredAt, String url,
                     long messageId, String channel, String campaign, String template) {
  }

  private final Pool pool;

  public EngagementStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Applies up to {@code limit} stored provider events not applied yet (see the query {@code webhook-apply});
   * one whose message is unknown is tried again after {@code retrySeconds} and given up after {@code giveUpSeconds}.
   */
  public Future<Applied> applyWebhooks(int limit, int retrySeconds, long giveUpSeconds) {
    return pool.preparedQuery(Queries.sql("webhook-apply"))
      .execute(Tuple.of(limit, retrySeconds, giveUpSeconds))
      .map(rows -> {
        Row r = rows.iterator().next();
        return new Applied(r.getLong("picked"), r.getLong("applied"), r.getLong("events"), r.getLong("suppressed"),
          r.getLong("states"));
      });
  }

  /** Creates the events' partitions up to {@code aheadDays} ahead and drops those older than the retention. */
  public Future<JsonObject> maintainPartitions(int aheadDays, int retentionDays) {
    return pool.preparedQuery(Queries.sql("events-maintain"))
      .execute(Tuple.of(aheadDays, retentionDays))
      .map(rows -> (JsonObject) rows.iterator().next().getJson("result"));
  }

  /**
   * Starts a new partition of messages once the current one is a day old, and drops whole the partitions closed
   * more than {@code retentionDays} ago whose messages are all finished (see the query {@code messages-maintain}):
   * what it did.
   */
  public Future<JsonObject> maintainMessages(int retentionDays) {
    return pool.preparedQuery(Queries.sql("messages-maintain"))
      .execute(Tuple.of(retentionDays))
      .map(rows -> (JsonObject) rows.iterator().next().getJson("result"));
  }

  /** A campaign's counters; empty when the tenant has no campaign of that name. */
  public Future<Optional<List<Counter>>> counters(long tenantId, String campaign) {
    return pool.preparedQuery(Queries.sql("campaign-exists")).execute(Tuple.of(tenantId, campaign))
      .compose(found -> found.size() == 0
        ? Future.succeededFuture(Optional.empty())
        : pool.preparedQuery(Queries.sql("campaign-stats")).execute(Tuple.of(tenantId, campaign))
          .map(rows -> {
            List<Counter> counters = new ArrayList<>();
            for (Row row : rows) {
              counters.add(new Counter(row.getString("channel"), row.getString("metric"),
                row.getNumeric("n").longValue()));
            }
            return Optional.of(counters);
          }));
  }

  /** A campaign's counters per variant; empty when it has no variants (or does not exist). */
  public Future<List<VariantCounter>> variantCounters(long tenantId, String campaign) {
    return pool.preparedQuery(Queries.sql("campaign-variant-stats")).execute(Tuple.of(tenantId, campaign))
      .map(rows -> {
        List<VariantCounter> counters = new ArrayList<>();
        for (Row row : rows) {
          counters.add(new VariantCounter(row.getString("variant"), row.getString("metric"), row.getLong("n")));
        }
        return counters;
      });
  }

  /** A recipient's engagement facts, newest first. */
  public Future<List<Fact>> history(long tenantId, String recipientId, int limit) {
    return pool.preparedQuery(Queries.sql("recipient-history")).execute(Tuple.of(tenantId, recipientId, limit))
      .map(rows -> {
        List<Fact> facts = new ArrayList<>();
        for (Row row : rows) {
          facts.add(new Fact(row.getString("type"), EventClass.of(row.getString("class")), row.getString("reason"),
            row.getOffsetDateTime("occurred_at"), row.getString("url"), row.getLong("message_id"),
            row.getString("channel"), row.getString("campaign"), row.getString("template_name")));
        }
        return facts;
      });
  }

  /** A recipient's human opens and clicks of the last {@code days} days, one per kind, campaign, template and link. */
  public Future<List<Fact>> ladderFacts(long tenantId, String recipientId, int days) {
    return pool.preparedQuery(Queries.sql("recipient-ladder-facts")).execute(Tuple.of(tenantId, recipientId, days))
      .map(rows -> {
        List<Fact> facts = new ArrayList<>();
        for (Row row : rows) {
          facts.add(new Fact(row.getString("type"), EventClass.of(row.getString("class")), null, row.getOffsetDateTime("occurred_at"),
            row.getString("url"), 0, null, row.getString("campaign"), row.getString("template_name")));
        }
        return facts;
      });
  }
}
