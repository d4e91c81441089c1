package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** One message and its history. */
public final class MessageStore {

  private final Pool pool;

  public MessageStore(Pool pool) {
    this.pool = pool;
  }

  /** The ids of a batch's messages, in order. */
  public Future<List<Long>> idsOfBatch(UUID batchId) {
    return pool.preparedQuery(Queries.sql("message-ids-of-batch"))
      .execute(Tuple.of(batchId))
      .map(rows -> {
        List<Long> ids = new ArrayList<>(rows.size());
        rows.forEach(row -> ids.add(row.getLong("id")));
        return ids;
      });
  }

  /** The message of this tenant with its state, attempts, provider id and event history. */
  public Future<Optional<JsonObject>> find(long tenantId, long messageId) {
    return pool.preparedQuery(Queries.sql("message-find"))
      .execute(Tuple.of(messageId, tenantId))
      .compose(rows -> {
        if (rows.size() == 0) {
          return Future.succeededFuture(Optional.empty());
        }
        Row m = rows.iterator().next();
        JsonObject message = new JsonObject()
          .put("id", m.getLong("id"))
          .put("batch_id", m.getUUID("batch_id").toString())
          .put("campaign", m.getString("campaign"))
          .put("recipient_id", m.getString("recipient_id"))
          .put("variant", m.getString("variant"))
          .put("state", m.getString("state"))
          .put("attempts", m.getInteger("attempt"))
          .put("channel", m.getString("channel"))
          .put("account", m.getString("account"))
          .put("provider_message_id", m.getString("provider_message_id"))
          .put("last_error", m.getString("last_error"))
          .put("due_at", format(m.getOffsetDateTime("due_at")))
          .put("expires_at", format(m.getOffsetDateTime("expires_at")))
          .put("created_at", format(m.getOffsetDateTime("created_at")))
          .put("updated_at", format(m.getOffsetDateTime("updated_at")));
        return pool.preparedQuery(Queries.sql("message-events")).execute(Tuple.of(messageId)).map(events -> {
          JsonArray history = new JsonArray();
          for (Row e : events) {
            JsonObject event = new JsonObject().put("type", e.getString("type"))
              .put("at", format(e.getOffsetDateTime("occurred_at")));
            if (e.getString("class") != null) {
              event.put("class", e.getString("class"));
            }
            if (e.getString("reason") != null) {
              event.put("reason", e.getString("reason"));
            }
            if (e.getValue("data") != null) {
              event.put("data", e.getValue("data"));
            }
            history.add(event);
          }
          return Optional.of(message.put("events", history));
        });
      });
  }

  public static String format(OffsetDateTime time) {
    return time == null ? null : time.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
  }
}
