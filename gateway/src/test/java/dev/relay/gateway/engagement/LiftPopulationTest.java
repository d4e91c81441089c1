package dev.relay.gateway.engagement;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.store.ConversionStore;
import dev.relay.gateway.store.Database;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The acceptance: the lift measured on a synthetic population with known conversion rates lies within its
 * interval (20,000 recipients put in place with SQL, their conversions attributed in bulk by the same query as the
 * API's); and one campaign end to end through the API: a batch with variants and holdout, sent by the sandbox,
 * conversions posted, the stats and the per-variant metric read.
 */
@DisplayName("Lift on a population with known rates, and an experiment end to end")
class LiftPopulationTest {

  private static final int TREATED = 16_000;
  private static final int HELD_OUT = 4_000;
  private static final double TREATED_RATE = 0.05;
  private static final double HELD_OUT_RATE = 0.03;

  private static TestGateway gateway;
  private static String key;
  private static Pool pool;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "true"));
    key = gateway.apiKey("acme");
    pool = Database.pool(gateway.vertx(), gateway.config());
  }

  @AfterAll
  static void stop() throws Exception {
    await(pool.close());
    gateway.close();
  }

  private static JsonObject stats(String campaign) {
    HttpResponse<Buffer> answer = await(gateway.get("/v1/campaigns/" + campaign + "/stats", key).send());
    assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
    return answer.bodyAsJsonObject();
  }

  @Test
  @DisplayName("16,000 reached at 5% and 4,000 held out at 3%: the counts are exact and the true lift (0.02 absolute, "
    + "2/3 relative) lies within the 95% intervals, which exclude no lift")
  void knownRates() throws Exception {
    // A batch to hang the population's messages on; its own message is due tomorrow, so it is never sent here.
    HttpResponse<Buffer> seed = gateway.postBatch(key, null, Batches.batch("population", "seed", 1)
      .put("send_at", OffsetDateTime.now(ZoneOffset.UTC).plusDays(1).toString()));
    assertThat(seed.statusCode()).as(seed.bodyAsString()).isEqualTo(202);
    Random random = new Random(22);
    List<String> converting = new ArrayList<>();
    int treatedConverted = 0;
    int heldOutConverted = 0;
    for (int i = 0; i < TREATED + HELD_OUT; i++) {
      boolean treated = i < TREATED;
      if (random.nextDouble() < (treated ? TREATED_RATE : HELD_OUT_RATE)) {
        converting.add("p-" + i);
        if (treated) {
          treatedConverted++;
        } else {
          heldOutConverted++;
        }
      }
    }
    List<Long> ids = new ArrayList<>();
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement()) {
      // The reached are sent a day ago (their row's sent_at); the held out have their 'held_out' event.
      s.execute("INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, priority, due_at, "
        + "expires_at, state, channel, sent_at) "
        + "SELECT m.batch_id, m.tenant_id, m.campaign_id, 'p-' || i, '{}'::jsonb, 'marketing', now(), now(), "
        + "CASE WHEN i < " + TREATED + " THEN 'sent' ELSE 'held_out' END, 'email', "
        + "CASE WHEN i < " + TREATED + " THEN now() - interval '1 day' END "
        + "FROM messages m JOIN campaigns cp ON cp.id = m.campaign_id, generate_series(0, "
        + (TREATED + HELD_OUT - 1) + ") i WHERE cp.name = 'population'");
      s.execute("INSERT INTO events (message_id, tenant_id, campaign_id, type, data, occurred_at) "
        + "SELECT id, tenant_id, campaign_id, 'held_out', '{\"channel\":\"email\"}'::jsonb, now() - interval '1 day' "
        + "FROM messages WHERE recipient_id LIKE 'p-%' AND state = 'held_out'");
      // The batch's messages are the ids in its range, as one INSERT at intake gives them out.
      s.execute("UPDATE batches b SET last_message_id = (SELECT max(id) FROM messages WHERE batch_id = b.id) "
        + "WHERE b.campaign_id = (SELECT id FROM campaigns WHERE name = 'population')");
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO conversions (tenant_id, key, request_hash, "
        + "recipient_id, occurred_at) SELECT t.id, 'pop-' || r, '\\x00'::bytea, r, now() - interval '1 hour' "
        + "FROM tenants t, unnest(?::text[]) r WHERE t.name = 'acme' RETURNING id")) {
        Array recipients = c.createArrayOf("text", converting.toArray());
        insert.setArray(1, recipients);
        try (ResultSet rows = insert.executeQuery()) {
          while (rows.next()) {
            ids.add(rows.getLong(1));
          }
        }
      }
    }
    assertThat(ids).hasSize(converting.size());
    ConversionStore store = new ConversionStore(pool, 168);
    assertThat(await(store.attribute(pool, ids))).isEqualTo(converting.size());

    JsonObject conversions = stats("population").getJsonObject("conversions");
    assertThat(conversions.getLong("recipients")).isEqualTo(TREATED);
    assertThat(conversions.getLong("converted")).isEqualTo(treatedConverted);
    assertThat(conversions.getJsonObject("holdout").getLong("recipients")).isEqualTo(HELD_OUT);
    assertThat(conversions.getJsonObject("holdout").getLong("converted")).isEqualTo(heldOutConverted);
    JsonObject lift = conversions.getJsonObject("lift");
    double trueLift = TREATED_RATE - HELD_OUT_RATE;
    JsonArray interval = lift.getJsonArray("interval");
    assertThat(trueLift).isBetween(interval.getDouble(0), interval.getDouble(1));
    assertThat(interval.getDouble(0)).as("the interval excludes no lift").isPositive();
    assertThat(lift.getDouble("absolute")).isEqualTo(
      Math.round(((double) treatedConverted / TREATED - (double) heldOutConverted / HELD_OUT) * 1e6) / 1e6);
    JsonArray relative = lift.getJsonArray("relative_interval");
    assertThat(TREATED_RATE / HELD_OUT_RATE - 1).isBetween(relative.getDouble(0), relative.getDouble(1));
    assertThat(lift.getDouble("confidence")).isEqualTo(0.95);
  }

  @Test
  @DisplayName("a batch with variants and holdout through the API: the sandbox sends the treated, conversions are "
    + "posted, the stats show each variant's conversions and lift, the holdout and the campaign's lift")
  void endToEnd() throws Exception {
    int count = 200;
    JsonObject batch = Batches.batch("experiment", "x", count);
    batch.remove("template");
    batch.put("variants", new JsonArray()
      .add(new JsonObject().put("name", "a").put("template", "welcome"))
      .add(new JsonObject().put("name", "b").put("template", "welcome")))
      .put("holdout", 0.25);
    HttpResponse<Buffer> posted = gateway.postBatch(key, "experiment-1", batch);
    assertThat(posted.statusCode()).as(posted.bodyAsString()).isEqualTo(202);
    long heldOut = gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id LIKE 'x-%' AND state = "
      + "'held_out'");
    assertThat(heldOut).as("a quarter held out, give or take").isBetween(25L, 80L);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id LIKE 'x-%' "
      + "AND sent_at IS NOT NULL") < count - heldOut) {
      assertThat(System.nanoTime()).as("every treated message sent within 60 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    // A human click on one variant-b message, so that its conversion's value is that variant's revenue.
    String clicked = first("SELECT recipient_id FROM messages WHERE recipient_id LIKE 'x-%' AND variant = 'b' "
      + "ORDER BY id LIMIT 1");
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement()) {
      s.execute("INSERT INTO events (message_id, tenant_id, campaign_id, type, class) SELECT id, tenant_id, "
        + "campaign_id, 'clicked', 'human' FROM messages WHERE recipient_id = '" + clicked + "'");
    }
    // Every third recipient converts, whatever their group.
    OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(1);
    for (int i = 0; i < count; i += 3) {
      JsonObject conversion = new JsonObject().put("key", "x-order-" + i).put("recipient_id", "x-" + i)
        .put("occurred_at", at.toString());
      if (("x-" + i).equals(clicked)) {
        conversion.put("value", 42.5).put("currency", "EUR");
      }
      HttpResponse<Buffer> answer = await(gateway.post("/v1/conversions", key).sendJsonObject(conversion));
      assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(201);
    }
    if (Integer.parseInt(clicked.substring(2)) % 3 != 0) {
      HttpResponse<Buffer> answer = await(gateway.post("/v1/conversions", key).sendJsonObject(new JsonObject()
        .put("key", "x-clicked").put("recipient_id", clicked).put("occurred_at", at.toString()).put("value", 42.5)
        .put("currency", "EUR")));
      assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(201);
    }

    JsonObject conversions = stats("experiment").getJsonObject("conversions");
    long treated = count - heldOut;
    assertThat(conversions.getLong("recipients")).isEqualTo(treated);
    assertThat(conversions.getLong("converted")).isEqualTo(gateway.database().count("SELECT count(DISTINCT "
      + "c.recipient_id) FROM conversions c JOIN messages m ON m.recipient_id = c.recipient_id WHERE m.state <> "
      + "'held_out' AND m.recipient_id LIKE 'x-%'"));
    assertThat(conversions.getJsonObject("holdout").getLong("recipients")).isEqualTo(heldOut);
    assertThat(conversions.getJsonObject("holdout").getLong("converted")).isEqualTo(gateway.database().count(
      "SELECT count(*) FROM messages WHERE state = 'held_out' AND recipient_id LIKE 'x-%' "
        + "AND substring(recipient_id, 3)::int % 3 = 0"));
    assertThat(conversions.getJsonObject("lift")).isNotNull();
    assertThat(conversions.getJsonObject("revenue").getDouble("EUR")).isEqualTo(42.5);
    JsonObject variants = conversions.getJsonObject("variants");
    assertThat(variants.fieldNames()).containsExactlyInAnyOrder("a", "b");
    assertThat(variants.getJsonObject("a").getLong("recipients") + variants.getJsonObject("b").getLong("recipients"))
      .isEqualTo(treated);
    assertThat(variants.getJsonObject("b").getJsonObject("revenue").getDouble("EUR")).isEqualTo(42.5);
    assertThat(variants.getJsonObject("a").getJsonObject("lift").getJsonArray("interval")).hasSize(2);

    Map<String, ConversionStore.VariantConversions> perVariant = await(new ConversionStore(pool, 168)
      .perVariant(Long.parseLong(first("SELECT id FROM campaigns WHERE name = 'experiment'"))));
    assertThat(perVariant.keySet()).containsExactly("a", "b");
    for (String v : List.of("a", "b")) {
      assertThat(perVariant.get(v).recipients()).isEqualTo(variants.getJsonObject(v).getLong("recipients"));
      assertThat(perVariant.get(v).converted()).isEqualTo(variants.getJsonObject(v).getLong("converted"));
    }
    assertThat(perVariant.get("b").revenue()).containsEntry("EUR", new BigDecimal("42.5000"));
  }

  private static String first(String sql) throws Exception {
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement();
         ResultSet rows = s.executeQuery(sql)) {
      assertThat(rows.next()).as(sql).isTrue();
      return rows.getString(1);
    }
  }
}
