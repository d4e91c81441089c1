package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.util.Optional;

/** Tenants and their API keys. */
public final class TenantStore {

  private final Pool pool;

  /** A live API key as stored: whose it is and the hash of its secret. */
  public record StoredKey(Tenant tenant, byte[] secretHash) {
  }

  public TenantStore(Pool pool) {
    this.pool = pool;
  }

  /** The live (not revoked) key of that id. */
  public Future<Optional<StoredKey>> findKey(String keyId) {
    return pool.preparedQuery(Queries.sql("api-key-find"))
      .execute(Tuple.of(keyId))
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Row row = rows.iterator().next();
        Tenant tenant = new Tenant(row.getLong("tenant_id"), row.getString("tenant_name"));
        return Optional.of(new StoredKey(tenant, row.getBuffer("secret_hash").getBytes()));
      });
  }

  /** Stores a key for the tenant of that name, creating the tenant when it is new. */
  public Future<Tenant> insertKey(String tenantName, String keyId, byte[] secretHash) {
    return pool.withTransaction(conn -> conn.preparedQuery(Queries.sql("tenant-upsert"))
      .execute(Tuple.of(tenantName))
      .map(rows -> new Tenant(rows.iterator().next().getLong("id"), tenantName))
      .compose(tenant -> conn.preparedQuery(Queries.sql("api-key-insert"))
        .execute(Tuple.of(keyId, tenant.id(), Buffer.buffer(secretHash)))
        .map(tenant)));
  }

  /** Revokes a key by its id; false when there is no live key of that id. */
  public Future<Boolean> revokeKey(String keyId) {
    return pool.preparedQuery(Queries.sql("api-key-revoke"))
      .execute(Tuple.of(keyId))
      .map(RowSet::rowCount)
      .map(count -> count > 0);
  }
}
