package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.Optional;

/** Campaigns: pause, resume and their status. */
public final class CampaignStore {

  private final Pool pool;

  public CampaignStore(Pool pool) {
    this.pool = pool;
  }

  /** Sets a campaign of this tenant active or paused; empty when it has no such campaign. */
  public Future<Optional<JsonObject>> setStatus(long tenantId, String name, boolean paused, String reason) {
    return pool.preparedQuery(Queries.sql("campaign-set-status"))
      .execute(Tuple.of(tenantId, name, paused ? "paused" : "active", paused ? reason : null))
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Row row = rows.iterator().next();
        return Optional.of(new JsonObject()
          .put("campaign", row.getString("name"))
          .put("status", row.getString("status"))
          .put("paused_reason", row.getString("paused_reason")));
      });
  }
}
