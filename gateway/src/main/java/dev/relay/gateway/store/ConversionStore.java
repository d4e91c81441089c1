package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Conversions and their attribution to campaigns (see the query {@code conversion-attribute}): recorded once per
 * tenant and key, attributed in the same transaction, and counted per campaign, variant and group (reached or held
 * out) for the campaign's stats and for choosing an experiment's winner.
 */
public final class ConversionStore {

  /** A conversion as the client reported it, checked already. {@code value} and {@code currency} go together. */
  public record NewConversion(long tenantId, String key, String recipientId, OffsetDateTime occurredAt,
                              BigDecimal value, String currency, String campaign) {

    /** SHA-256 of the fields that make the conversion, whatever the JSON formatting of the request. */
    byte[] hash() {
      String canonical = String.join("\n", recipientId, occurredAt.toInstant().toString(),
        value == null ? "" : value.stripTrailingZeros().toPlainString(), currency == null ? "" : currency,
        campaign == null ? "" : campaign);
      try {
        return MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is required by every Java platform", e);
      }
    }
  }

  /** What became of a conversion handed to {@link #record}. */
  public enum Kind {
    /** Stored and attributed now. */
    STORED,
    /** The key was used before for the same conversion: the first answer. */
    REPLAYED,
    /** The key was used before for another conversion: nothing stored. */
    KEY_REUSED,
    /** No message of the tenant ever went to (or held out) this recipient: nothing stored. */
    UNKNOWN_RECIPIENT,
    /** The conversion names a campaign the tenant does not have: nothing stored. */
    UNKNOWN_CAMPAIGN
  }

  /** The outcome of {@link #record}: the answer (the conversion and its attributions) when stored or replayed. */
  public record Recorded(Kind kind, JsonObject answer) {
  }

  /** A campaign's recipients of one variant (null: none) and group, and how many of them converted. */
  public record Group(String variant, boolean heldOut, long recipients, long converted) {
  }

  /** Revenue of a campaign's last clicks in one currency, by the clicked message's variant (null: none). */
  public record Revenue(String variant, String currency, BigDecimal amount) {
  }

  /** Everything a campaign's conversion stats are made of. */
  public record CampaignConversions(List<Group> groups, List<Revenue> revenue) {
  }

  /** The conversions metric of one variant: reached recipients, converted ones, revenue per currency. */
  public record VariantConversions(long recipients, long converted, Map<String, BigDecimal> revenue) {
  }

  private final Pool pool;
  private final int windowHours;

  /** @param windowHours the attribution window: how long before a conversion a message counts for it */
  public ConversionStore(Pool pool, int windowHours) {
    this.pool = pool;
    this.windowHours = windowHours;
  }

  /**
   * Records a conversion and attributes it, in one transaction; or replays the first answer of its key; or stores
   * nothing (the outcome's kind says why).
   */
  public Future<Recorded> record(NewConversion c) {
    byte[] hash = c.hash();
    return pool.withTransaction(conn -> existing(conn, c, hash).compose(found -> {
      if (found != null) {
        return Future.succeededFuture(found);
      }
      return conn.preparedQuery(Queries.sql("recipient-known")).execute(Tuple.of(c.tenantId(), c.recipientId()))
        .compose(known -> {
          if (!known.iterator().next().getBoolean("known")) {
            return Future.succeededFuture(new Recorded(Kind.UNKNOWN_RECIPIENT, null));
          }
          Future<Long> campaignId = c.campaign() == null
            ? Future.succeededFuture(null)
            : conn.preparedQuery(Queries.sql("campaign-exists")).execute(Tuple.of(c.tenantId(), c.campaign()))
              .map(rows -> rows.size() == 0 ? -1L : rows.iterator().next().getLong("id"));
          return campaignId.compose(id -> id != null && id < 0
            ? Future.succeededFuture(new Recorded(Kind.UNKNOWN_CAMPAIGN, null))
            : insert(conn, c, hash, id));
        });
    }));
  }

  private Future<Recorded> existing(SqlConnection conn, NewConversion c, byte[] hash) {
    return conn.preparedQuery(Queries.sql("conversion-find")).execute(Tuple.of(c.tenantId(), c.key()))
      .compose(rows -> {
        if (rows.size() == 0) {
          return Future.succeededFuture(null);
        }
        Row row = rows.iterator().next();
        if (!MessageDigest.isEqual(row.getBuffer("request_hash").getBytes(), hash)) {
          return Future.succeededFuture(new Recorded(Kind.KEY_REUSED, null));
        }
        return answer(conn, c.key(), row.getLong("id")).map(answer -> new Recorded(Kind.REPLAYED, answer));
      });
  }

  private Future<Recorded> insert(SqlConnection conn, NewConversion c, byte[] hash, Long campaignId) {
    return conn.preparedQuery(Queries.sql("conversion-insert"))
      .execute(Tuple.from(new Object[] {c.tenantId(), c.key(), Buffer.buffer(hash), c.recipientId(), c.occurredAt(),
        c.value(), c.currency(), campaignId}))
      .compose(rows -> {
        if (rows.size() == 0) {
          // Another request stored the same key meanwhile (this insert waited for its commit).
          return existing(conn, c, hash);
        }
        long id = rows.iterator().next().getLong("id");
        return attribute(conn, List.of(id))
          .compose(n -> answer(conn, c.key(), id))
          .map(answer -> new Recorded(Kind.STORED, answer));
      });
  }

  /**
   * Attributes stored conversions that have no attribution yet (see the query {@code conversion-attribute});
   * the number of attributions made. Used by {@link #record}, and for conversions loaded in bulk.
   */
  public Future<Integer> attribute(SqlClient client, List<Long> conversionIds) {
    return client.preparedQuery(Queries.sql("conversion-attribute"))
      .execute(Tuple.of(conversionIds.toArray(Long[]::new), windowHours))
      .map(rows -> rows.rowCount());
  }

  private static Future<JsonObject> answer(SqlConnection conn, String key, long id) {
    return conn.preparedQuery(Queries.sql("conversion-answer")).execute(Tuple.of(id)).map(rows -> {
      JsonObject answer = new JsonObject().put("key", key);
      JsonArray attributed = new JsonArray();
      for (Row row : rows) {
        if (answer.size() == 1) {
          answer.put("recipient_id", row.getString("recipient_id"))
            .put("occurred_at", MessageStore.format(row.getOffsetDateTime("occurred_at").withOffsetSameInstant(
              ZoneOffset.UTC)))
            .put("value", number(row.getString("value")))
            .put("currency", row.getString("currency"))
            .put("campaign", row.getString("only_campaign"));
        }
        if (row.getString("campaign") != null) {
          attributed.add(new JsonObject().put("campaign", row.getString("campaign"))
            .put("variant", row.getString("variant")).put("held_out", row.getBoolean("held_out"))
            .put("last_click", row.getBoolean("last_click")).put("revenue", number(row.getString("revenue"))));
        }
      }
      return answer.put("attributed", attributed);
    });
  }

  private static Double number(String numeric) {
    return numeric == null ? null : new BigDecimal(numeric).doubleValue();
  }

  /** Like {@link #campaign(long)}, by the campaign's name; empty when the tenant has no such campaign. */
  public Future<Optional<CampaignConversions>> campaign(long tenantId, String campaign) {
    return pool.preparedQuery(Queries.sql("campaign-exists")).execute(Tuple.of(tenantId, campaign))
      .compose(rows -> rows.size() == 0
        ? Future.succeededFuture(Optional.empty())
        : campaign(rows.iterator().next().getLong("id")).map(Optional::of));
  }

  /** A campaign's recipients and conversions by variant and group, and its revenue. */
  public Future<CampaignConversions> campaign(long campaignId) {
    Future<List<Group>> groups = pool.preparedQuery(Queries.sql("campaign-conversions")).execute(Tuple.of(campaignId))
      .map(rows -> {
        List<Group> list = new ArrayList<>();
        for (Row row : rows) {
          list.add(new Group(row.getString("variant"), row.getBoolean("held_out"), row.getLong("recipients"),
            row.getLong("converted")));
        }
        return list;
      });
    Future<List<Revenue>> revenue = pool.preparedQuery(Queries.sql("campaign-revenue")).execute(Tuple.of(campaignId))
      .map(rows -> {
        List<Revenue> list = new ArrayList<>();
        for (Row row : rows) {
          list.add(new Revenue(row.getString("variant"), row.getString("currency"),
            new BigDecimal(row.getString("revenue"))));
        }
        return list;
      });
    return Future.all(groups, revenue).map(v -> new CampaignConversions(groups.result(), revenue.result()));
  }

  /**
   * The conversions metric of each variant of a campaign, by variant name: its reached recipients (held-out ones are
   * in no variant), how many of them converted, and the revenue of their last clicks per currency. Empty when the
   * campaign has no variants.
   */
  public Future<Map<String, VariantConversions>> perVariant(long campaignId) {
    return campaign(campaignId).map(all -> {
      Map<String, VariantConversions> byVariant = new TreeMap<>();
      for (Group g : all.groups()) {
        if (g.variant() != null && !g.heldOut()) {
          byVariant.put(g.variant(), new VariantConversions(g.recipients(), g.converted(), new TreeMap<>()));
        }
      }
      for (Revenue r : all.revenue()) {
        VariantConversions v = r.variant() == null ? null : byVariant.get(r.variant());
        if (v != null) {
          v.revenue().merge(r.currency(), r.amount(), BigDecimal::add);
        }
      }
      return byVariant;
    });
  }
}
