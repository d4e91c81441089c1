package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/** Template versions: a tenant's own and the shipped ones (tenant NULL), immutable once stored. */
public final class TemplateStore {

  private static final int INSERT_TRIES = 5;

  private final Pool pool;

  public TemplateStore(Pool pool) {
    this.pool = pool;
  }

  /** A stored version, as resolved by name. */
  public record Version(long id, int version, boolean shipped) {
  }

  /** The version a tenant's batch or preview uses: its own shadow the shipped; the newest unless {@code version}. */
  public Future<Optional<Version>> resolve(long tenantId, String name, Integer version) {
    return pool.preparedQuery(Queries.sql("template-resolve"))
      .execute(Tuple.of(tenantId, name, version))
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Row row = rows.iterator().next();
        return Optional.of(new Version(row.getLong("id"), row.getInteger("version"), row.getBoolean("shipped")));
      });
  }

  /** Stores a tenant's new version of a name; its number is one more than the newest it can see. */
  public Future<JsonObject> insert(long tenantId, String name, JsonObject definition) {
    return insert(tenantId, name, definition, digest(definition), INSERT_TRIES);
  }

  private Future<JsonObject> insert(long tenantId, String name, JsonObject definition, Buffer digest, int tries) {
    return pool.preparedQuery(Queries.sql("template-insert"))
      .execute(Tuple.of(tenantId, name, definition, digest))
      .compose(rows -> {
        if (rows.size() == 1) {
          Row row = rows.iterator().next();
          return Future.succeededFuture(new JsonObject().put("name", name).put("version", row.getInteger("version"))
            .put("id", row.getLong("id")).put("created_at", MessageStore.format(row.getOffsetDateTime("created_at"))));
        }
        // Another version of the name was stored at the same moment and took the number: take the next.
        if (tries > 1) {
          return insert(tenantId, name, definition, digest, tries - 1);
        }
        return Future.failedFuture(new IllegalStateException("template '" + name + "': no free version number after "
          + INSERT_TRIES + " tries"));
      });
  }

  /** Stores a shipped template's definition as a new version when it differs from the newest; the new version or empty. */
  public Future<Optional<Integer>> ship(String name, JsonObject definition) {
    return pool.preparedQuery(Queries.sql("template-ship"))
      .execute(Tuple.of(name, definition, digest(definition)))
      .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getInteger("version")));
  }

  /** The versions of a name a tenant can use (its own and the shipped ones), oldest first; empty when none. */
  public Future<JsonArray> versions(long tenantId, String name) {
    return pool.preparedQuery(Queries.sql("template-versions"))
      .execute(Tuple.of(tenantId, name))
      .map(rows -> {
        JsonArray versions = new JsonArray();
        for (Row row : rows) {
          versions.add(new JsonObject()
            .put("version", row.getInteger("version"))
            .put("id", row.getLong("id"))
            .put("source", row.getBoolean("shipped") ? "shipped" : "tenant")
            .put("description", row.getString("description"))
            .put("created_at", MessageStore.format(row.getOffsetDateTime("created_at"))));
        }
        return versions;
      });
  }

  /** A version's definition by id. */
  public Future<JsonObject> definition(long id) {
    return pool.preparedQuery(Queries.sql("template-definition"))
      .execute(Tuple.of(id))
      .compose(rows -> rows.size() == 0
        ? Future.failedFuture(new IllegalStateException("template version " + id + " does not exist"))
        : Future.succeededFuture((JsonObject) rows.iterator().next().getValue("definition")));
  }

  /** SHA-256 of the definition's JSON with its keys sorted, so that an unchanged file is recognised. */
  static Buffer digest(JsonObject definition) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return Buffer.buffer(sha.digest(canonical(definition).getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  private static String canonical(Object value) {
    if (value instanceof JsonObject) {
      JsonObject object = (JsonObject) value;
      StringBuilder out = new StringBuilder("{");
      object.fieldNames().stream().sorted().forEach(name -> {
        if (out.length() > 1) {
          out.append(',');
        }
        out.append(new JsonArray().add(name).encode(), 1, new JsonArray().add(name).encode().length() - 1)
          .append(':').append(canonical(object.getValue(name)));
      });
      return out.append('}').toString();
    }
    if (value instanceof JsonArray) {
      StringBuilder out = new StringBuilder("[");
      for (Object item : (JsonArray) value) {
        if (out.length() > 1) {
          out.append(',');
        }
        out.append(canonical(item));
      }
      return out.append(']').toString();
    }
    String encoded = new JsonArray().add(value).encode();
    return encoded.substring(1, encoded.length() - 1);
  }
}
