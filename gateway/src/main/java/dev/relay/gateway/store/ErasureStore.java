package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.Optional;

/** Erasure of a recipient's personal data from a tenant's rows (the statement {@code recipient-erase}). */
public final class ErasureStore {

  private final Pool pool;

  public ErasureStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Erases the recipient of this tenant in one transaction: what was changed, counted per kind of row, or empty
   * when the tenant has no message to that recipient id and no preference of it (never had, or already erased).
   */
  public Future<Optional<JsonObject>> erase(long tenantId, String recipientId) {
    return pool.preparedQuery(Queries.sql("recipient-erase"))
      .execute(Tuple.of(tenantId, recipientId))
      .map(rows -> {
        Row row = rows.iterator().next();
        if (row.getLong("messages") == 0 && row.getLong("preferences") == 0 && row.getLong("preference_events") == 0) {
          return Optional.empty();
        }
        return Optional.of(new JsonObject()
          .put("messages", row.getLong("messages"))
          .put("stopped", row.getLong("stopped"))
          .put("events", row.getLong("events"))
          .put("suppressions", row.getLong("suppressions"))
          .put("webhook_receipts", row.getLong("webhook_receipts"))
          .put("preferences", row.getLong("preferences"))
          .put("preference_events", row.getLong("preference_events")));
      });
  }
}
