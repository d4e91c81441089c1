package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The per-tenant suppression list: addresses on a channel that must receive nothing more. */
public final class SuppressionStore {

  /** Why an address is suppressed (the table's CHECK lists the same). */
  public enum Reason {
    UNSUBSCRIBED, HARD_BOUNCE, COMPLAINT, STOP, MANUAL;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Pool pool;

  public SuppressionStore(Pool pool) {
    this.pool = pool;
  }

  /** Suppresses the address; true when it was not suppressed before (the first reason is kept). */
  public Future<Boolean> add(long tenantId, String channel, String address, Reason reason, String source,
                             Long messageId) {
    return pool.preparedQuery(Queries.sql("suppression-add"))
      .execute(Tuple.of(tenantId, channel, address, reason.wireName(), source, messageId))
      .map(rows -> rows.size() == 1);
  }

  /** Lifts a suppression; the reason it had, if it was suppressed. */
  public Future<Optional<String>> remove(long tenantId, String channel, String address) {
    return pool.preparedQuery(Queries.sql("suppression-remove"))
      .execute(Tuple.of(tenantId, channel, address))
      .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString("reason")));
  }

  /** Where a page of the list ends: the next page starts after this entry. */
  public record Cursor(OffsetDateTime createdAt, String channel, String address) {
  }

  /** A page of the list, newest first, of one channel or all (null); {@code after} is the previous page's end. */
  public Future<List<JsonObject>> list(long tenantId, String channel, int limit, Cursor after) {
    return pool.preparedQuery(Queries.sql("suppression-list"))
      .execute(Tuple.from(new Object[] {tenantId, channel, limit, after == null ? null : after.createdAt(),
        after == null ? null : after.channel(), after == null ? null : after.address()}))
      .map(rows -> {
        List<JsonObject> page = new ArrayList<>();
        for (Row row : rows) {
          page.add(new JsonObject().put("channel", row.getString("channel")).put("address", row.getString("address"))
            .put("reason", row.getString("reason")).put("source", row.getString("source"))
            .put("message_id", row.getLong("message_id"))
            .put("created_at", MessageStore.format(row.getOffsetDateTime("created_at")))
            .put("created_at_exact", row.getOffsetDateTime("created_at").toString()));
        }
        return page;
      });
  }

  /** A (tenant, channel, address) triple to look up. */
  public record Entry(long tenantId, String channel, String address) {
  }

  /** Which of these entries, of any tenants, are suppressed, in one query: the reason of each one that is. */
  public Future<Map<Entry, String>> findMany(List<Entry> entries) {
    if (entries.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Long[] tenants = new Long[entries.size()];
    String[] channels = new String[entries.size()];
    String[] addresses = new String[entries.size()];
    for (int i = 0; i < entries.size(); i++) {
      tenants[i] = entries.get(i).tenantId();
      channels[i] = entries.get(i).channel();
      addresses[i] = entries.get(i).address();
    }
    return pool.preparedQuery(Queries.sql("suppression-find-many"))
      .execute(Tuple.of(tenants, channels, addresses))
      .map(rows -> {
        Map<Entry, String> found = new HashMap<>();
        for (Row row : rows) {
          found.put(new Entry(row.getLong("tenant_id"), row.getString("channel"), row.getString("address")),
            row.getString("reason"));
        }
        return found;
      });
  }
}
