package dev.relay.gateway.store;

import dev.relay.gateway.track.EventClass;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The SQL of the tracking endpoints: the context of hits, their events, and unsubscribes. */
public final class TrackingStore {

  /** A message as the classifier needs it. */
  public record MessageContext(long tenantId, long campaignId, Long sentAtMillis) {
  }

  /** An open or click already written. */
  public record WrittenHit(long eventId, long messageId, String type, String link, String method, String ip,
                           String userAgent, long atMillis, EventClass klass, String reason) {
  }

  /** An event row to insert. */
  public record NewEvent(long messageId, long tenantId, long campaignId, String type, EventClass klass, String reason,
                         JsonObject data, long atMillis, String hit) {
  }

  /**
   * Where an unsubscribe token leads: the tenant, campaign and email address of its message, its recipient and
   * locale, and the topic of its batch (null when it has none).
   */
  public record UnsubscribeTarget(long tenantId, long campaignId, String address, String recipientId, String locale,
                                  String topic) {
  }

  private final Pool pool;

  public TrackingStore(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  public Future<Map<Long, MessageContext>> context(SqlClient client, Long[] messageIds) {
    return client.preparedQuery(Queries.sql("tracking-context")).execute(Tuple.of(messageIds)).map(rows -> {
      Map<Long, MessageContext> found = new HashMap<>();
      for (Row row : rows) {
        OffsetDateTime sent = row.getOffsetDateTime("sent_at");
        found.put(row.getLong("id"), new MessageContext(row.getLong("tenant_id"), row.getLong("campaign_id"),
          sent == null ? null : sent.toInstant().toEpochMilli()));
      }
      return found;
    });
  }

  /** The opens and clicks written on each message since its {@code since} (epoch milliseconds). */
  public Future<List<WrittenHit>> messageHits(SqlClient client, Long[] messageIds, long[] sinceMillis) {
    OffsetDateTime[] since = new OffsetDateTime[sinceMillis.length];
    for (int i = 0; i < since.length; i++) {
      since[i] = time(sinceMillis[i]);
    }
    return client.preparedQuery(Queries.sql("tracking-message-hits"))
      .execute(Tuple.tuple().addArrayOfLong(messageIds).addArrayOfOffsetDateTime(since))
      .map(rows -> {
        List<WrittenHit> hits = new ArrayList<>();
        for (Row row : rows) {
          hits.add(new WrittenHit(row.getLong("id"), row.getLong("message_id"), row.getString("type"),
            row.getString("link"), row.getString("method"), row.getString("ip"), row.getString("user_agent"),
            row.getOffsetDateTime("occurred_at").toInstant().toEpochMilli(), EventClass.of(row.getString("class")),
            row.getString("reason")));
        }
        return hits;
      });
  }

  /** Inserts the events (skipping hits already written); the (type, class) of each row inserted. */
  public Future<List<String[]>> insert(SqlClient client, List<NewEvent> events) {
    int n = events.size();
    Long[] messages = new Long[n];
    Long[] tenants = new Long[n];
    Long[] campaigns = new Long[n];
    String[] types = new String[n];
    String[] classes = new String[n];
    String[] reasons = new String[n];
    String[] data = new String[n];
    OffsetDateTime[] at = new OffsetDateTime[n];
    String[] hits = new String[n];
    for (int i = 0; i < n; i++) {
      NewEvent e = events.get(i);
      messages[i] = e.messageId();
      tenants[i] = e.tenantId();
      campaigns[i] = e.campaignId();
      types[i] = e.type();
      classes[i] = e.klass().wireName();
      reasons[i] = e.reason();
      data[i] = e.data().encode();
      at[i] = time(e.atMillis());
      hits[i] = e.hit();
    }
    return client.preparedQuery(Queries.sql("tracking-insert"))
      .execute(Tuple.tuple().addArrayOfLong(messages).addArrayOfLong(tenants).addArrayOfLong(campaigns)
        .addArrayOfString(types).addArrayOfString(classes).addArrayOfString(reasons).addArrayOfString(data)
        .addArrayOfOffsetDateTime(at).addArrayOfString(hits))
      .map(rows -> {
        List<String[]> written = new ArrayList<>();
        for (Row row : rows) {
          written.add(new String[] {row.getString("type"), row.getString("class")});
        }
        return written;
      });
  }

  /** Re-marks human events machine, each for its reason; the type of each event re-marked. */
  public Future<List<String>> reclassify(SqlClient client, Long[] eventIds, String[] reasons) {
    return client.preparedQuery(Queries.sql("tracking-reclassify"))
      .execute(Tuple.tuple().addArrayOfLong(eventIds).addArrayOfString(reasons))
      .map(rows -> {
        List<String> types = new ArrayList<>();
        rows.forEach(row -> types.add(row.getString("type")));
        return types;
      });
  }

  public Future<Optional<UnsubscribeTarget>> unsubscribeTarget(long messageId) {
    return pool.preparedQuery(Queries.sql("unsubscribe-target")).execute(Tuple.of(messageId)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(new UnsubscribeTarget(row.getLong("tenant_id"), row.getLong("campaign_id"),
        row.getString("address"), row.getString("recipient_id"), row.getString("locale"), row.getString("topic")));
    });
  }

  /** Writes the message's {@code unsubscribed} event unless it has one; true when written. */
  public Future<Boolean> unsubscribed(long messageId, UnsubscribeTarget target, String reason, JsonObject data) {
    return pool.preparedQuery(Queries.sql("unsubscribed-event"))
      .execute(Tuple.of(messageId, target.tenantId(), target.campaignId(), reason, data))
      .map(rows -> rows.rowCount() == 1);
  }

  private static OffsetDateTime time(long millis) {
    return Instant.ofEpochMilli(millis).atOffset(ZoneOffset.UTC);
  }
}
