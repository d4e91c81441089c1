package dev.relay.gateway.store;

import dev.relay.adapters.spi.WebhookEvent;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/** Verified provider webhook calls: the raw receipt and its events, deduplicated by the provider's event id. */
public final class WebhookStore {

  private final Pool pool;

  public WebhookStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Stores the raw call and its events in one transaction; the future's value is how many events were
   * new (an event id seen before for this account is not stored again).
   */
  public Future<Integer> store(String adapter, String account, String url, JsonObject headers, Buffer body,
                               List<WebhookEvent> events) {
    int n = events.size();
    String[] ids = new String[n];
    String[] types = new String[n];
    String[] messageIds = new String[n];
    OffsetDateTime[] times = new OffsetDateTime[n];
    JsonObject[] details = new JsonObject[n];
    for (int i = 0; i < n; i++) {
      WebhookEvent e = events.get(i);
      ids[i] = e.providerEventId();
      types[i] = e.type().name().toLowerCase(java.util.Locale.ROOT);
      messageIds[i] = e.providerMessageId();
      times[i] = e.occurredAt() == null ? null : e.occurredAt().atOffset(ZoneOffset.UTC);
      details[i] = e.detail() == null ? new JsonObject() : e.detail();
    }
    return pool.withTransaction(conn -> conn.preparedQuery(Queries.sql("webhook-receipt-insert"))
      .execute(Tuple.of(adapter, account, url, headers, body))
      .map(rows -> rows.iterator().next().getLong("id"))
      .compose(receipt -> n == 0
        ? Future.succeededFuture(0)
        : conn.preparedQuery(Queries.sql("webhook-events-insert"))
          .execute(Tuple.from(new Object[] {account, receipt, ids, types, messageIds, times, details}))
          .map(RowSet::rowCount)));
  }
}
