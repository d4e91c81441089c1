package dev.relay.gateway.engagement;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.metrics.OperatorsFiles;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * POST /v1/conversions against a gateway whose messages are put in place with SQL (sent, held out, clicked at
 * chosen times), and the conversions in the campaign stats.
 */
@DisplayName("Conversions: attribution, idempotency, bad input and the stats")
class ConversionApiTest {

  private static TestGateway gateway;
  private static String key;

  @BeforeAll
  static void start() throws Exception {
    gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false"));
    key = gateway.apiKey("acme");
    accept(Batches.batch("spring", "a", 6));
    accept(Batches.batch("summer", "a", 3));
    accept(Batches.batch("exact", "e", 10));
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static void accept(JsonObject batch) {
    HttpResponse<Buffer> posted = gateway.postBatch(key, null, batch);
    assertThat(posted.statusCode()).as(posted.bodyAsString()).isEqualTo(202);
  }

  private static void sql(String... statements) throws Exception {
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  /** An event of the campaign's message to the recipient, {@code ago} (a PostgreSQL interval) before now. */
  private static String event(String campaign, String recipient, String type, String eventClass, String ago) {
    return "INSERT INTO events (message_id, tenant_id, campaign_id, type, class, occurred_at) "
      + "SELECT m.id, m.tenant_id, m.campaign_id, '" + type + "', " + (eventClass == null ? "NULL" : "'" + eventClass
      + "'") + ", now() - interval '" + ago + "' FROM messages m JOIN campaigns c ON c.id = m.campaign_id "
      + "WHERE c.name = '" + campaign + "' AND m.recipient_id = '" + recipient + "'";
  }

  /** The campaign's message to the recipient sent {@code ago} before now: a send is the row's state and sent_at. */
  private static String sent(String campaign, String recipient, String ago) {
    return "UPDATE messages m SET state = 'sent', channel = 'email', sent_at = now() - interval '" + ago + "' "
      + "FROM campaigns c WHERE c.id = m.campaign_id AND c.name = '" + campaign + "' AND m.recipient_id = '"
      + recipient + "'";
  }

  private static String heldOut(String campaign, String recipient, String ago) {
    return event(campaign, recipient, "held_out", null, ago);
  }

  private static String state(String campaign, String recipient, String state) {
    return "UPDATE messages m SET state = '" + state + "' FROM campaigns c WHERE c.id = m.campaign_id AND c.name = '"
      + campaign + "' AND m.recipient_id = '" + recipient + "'";
  }

  private static HttpResponse<Buffer> convert(String apiKey, JsonObject body) {
    return await(gateway.post("/v1/conversions", apiKey).sendJsonObject(body));
  }

  private static HttpResponse<Buffer> convert(JsonObject body) {
    return convert(key, body);
  }

  private static JsonObject conversion(String conversionKey, String recipient, OffsetDateTime at) {
    return new JsonObject().put("key", conversionKey).put("recipient_id", recipient).put("occurred_at", at.toString());
  }

  private static OffsetDateTime ago(int minutes) {
    return OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(minutes);
  }

  private static JsonObject attribution(JsonObject answer, String campaign) {
    for (Object a : answer.getJsonArray("attributed")) {
      if (campaign.equals(((JsonObject) a).getString("campaign"))) {
        return (JsonObject) a;
      }
    }
    return null;
  }

  private static long count(String sql) {
    return gateway.database().count(sql);
  }

  private static double metric(String result) {
    String text = await(gateway.get("/metrics", null).send()).bodyAsString();
    Matcher m = Pattern.compile("^relay_conversions_total\\{result=\"" + result + "\"} (\\S+)$", Pattern.MULTILINE)
      .matcher(text);
    assertThat(m.find()).as("relay_conversions_total{result=%s} is exported", result).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  @DisplayName("a conversion goes to every campaign that reached or held out the recipient in the window, its value "
    + "to the campaign of the last human click; a campaign named restricts it; older or later messages do not count")
  void attribution() throws Exception {
    sql(sent("spring", "a-0", "2 hours"), sent("summer", "a-0", "1 hour"),
      event("spring", "a-0", "clicked", "human", "30 minutes"),
      event("summer", "a-0", "clicked", "machine", "10 minutes"),
      sent("spring", "a-1", "200 hours"), sent("summer", "a-1", "3 hours"),
      state("spring", "a-2", "held_out"), heldOut("spring", "a-2", "5 hours"),
      event("summer", "a-2", "clicked", "human", "4 hours"), sent("summer", "a-2", "6 hours"),
      sent("spring", "a-3", "1 minute"));

    HttpResponse<Buffer> both = convert(conversion("order-1", "a-0", ago(1)).put("value", 20).put("currency", "EUR"));
    assertThat(both.statusCode()).as(both.bodyAsString()).isEqualTo(201);
    JsonObject answer = both.bodyAsJsonObject();
    assertThat(answer.getJsonArray("attributed")).hasSize(2);
    assertThat(attribution(answer, "spring").getBoolean("last_click")).isTrue();
    assertThat(attribution(answer, "spring").getDouble("revenue")).isEqualTo(20.0);
    assertThat(attribution(answer, "spring").getBoolean("held_out")).isFalse();
    assertThat(attribution(answer, "summer").getBoolean("last_click")).as("a machine click earns nothing").isFalse();
    assertThat(attribution(answer, "summer").getValue("revenue")).isNull();
    assertThat(answer.getDouble("value")).isEqualTo(20.0);
    assertThat(answer.getString("currency")).isEqualTo("EUR");

    JsonObject onlySummer = convert(conversion("order-2", "a-0", ago(1)).put("value", 5).put("currency", "EUR")
      .put("campaign", "summer")).bodyAsJsonObject();
    assertThat(onlySummer.getJsonArray("attributed")).hasSize(1);
    assertThat(attribution(onlySummer, "summer").getBoolean("last_click"))
      .as("the human click on spring is outside the campaign named").isFalse();
    assertThat(onlySummer.getString("campaign")).isEqualTo("summer");

    JsonObject windowed = convert(conversion("order-3", "a-1", ago(1))).bodyAsJsonObject();
    assertThat(windowed.getJsonArray("attributed")).hasSize(1);
    assertThat(attribution(windowed, "summer")).isNotNull();
    assertThat(attribution(windowed, "spring")).as("sent 200 hours ago, outside the 168-hour window").isNull();

    JsonObject heldOut = convert(conversion("order-4", "a-2", ago(1)).put("value", 7.25).put("currency", "USD"))
      .bodyAsJsonObject();
    assertThat(attribution(heldOut, "spring").getBoolean("held_out")).isTrue();
    assertThat(attribution(heldOut, "spring").getBoolean("last_click")).isFalse();
    assertThat(attribution(heldOut, "summer").getBoolean("last_click"))
      .as("the click came before the conversion but after the send").isTrue();
    assertThat(attribution(heldOut, "summer").getDouble("revenue")).isEqualTo(7.25);

    JsonObject before = convert(conversion("order-5", "a-3", ago(60))).bodyAsJsonObject();
    assertThat(before.getJsonArray("attributed")).as("the message was sent after the conversion").isEmpty();
    JsonObject neverSent = convert(conversion("order-6", "a-4", ago(1))).bodyAsJsonObject();
    assertThat(neverSent.getJsonArray("attributed")).as("a known recipient whose message is still queued").isEmpty();
    assertThat(count("SELECT count(*) FROM conversions WHERE key LIKE 'order-%'")).isEqualTo(6);
  }

  @Test
  @DisplayName("the same key with the same conversion answers the first answer and stores nothing more, even when "
    + "sent concurrently; with another conversion it is 422 idempotency-key-reused")
  void idempotency() throws Exception {
    sql(sent("spring", "a-5", "1 hour"));
    OffsetDateTime at = ago(2);
    JsonObject body = conversion("idem-1", "a-5", at).put("value", 12.5).put("currency", "EUR");
    double replayedBefore = metric("replayed");
    HttpResponse<Buffer> first = convert(body);
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(201);
    assertThat(first.getHeader("Idempotent-Replayed")).isNull();

    // The same conversion written otherwise: members in another order, the value with trailing zeros, another offset.
    String again = "{\"currency\":\"EUR\",\"value\":12.50,\"occurred_at\":\""
      + at.withOffsetSameInstant(ZoneOffset.ofHours(3)) + "\",\"recipient_id\":\"a-5\",\"key\":\"idem-1\"}";
    HttpResponse<Buffer> replay = await(gateway.post("/v1/conversions", key).sendBuffer(Buffer.buffer(again)));
    assertThat(replay.statusCode()).as(replay.bodyAsString()).isEqualTo(201);
    assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replay.bodyAsJsonObject()).isEqualTo(first.bodyAsJsonObject());

    List<Future<HttpResponse<Buffer>>> concurrent = new ArrayList<>();
    JsonObject racing = conversion("idem-2", "a-5", at);
    for (int i = 0; i < 6; i++) {
      concurrent.add(gateway.post("/v1/conversions", key).sendJsonObject(racing));
    }
    await(Future.all(concurrent));
    for (Future<HttpResponse<Buffer>> f : concurrent) {
      assertThat(f.result().statusCode()).as(f.result().bodyAsString()).isEqualTo(201);
      assertThat(f.result().bodyAsJsonObject()).isEqualTo(concurrent.get(0).result().bodyAsJsonObject());
    }

    HttpResponse<Buffer> reused = convert(body.copy().put("value", 13));
    assertThat(reused.statusCode()).isEqualTo(422);
    assertThat(reused.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(reused.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:idempotency-key-reused");

    assertThat(count("SELECT count(*) FROM conversions WHERE key IN ('idem-1', 'idem-2')")).isEqualTo(2);
    assertThat(count("SELECT count(*) FROM conversion_attributions a JOIN conversions c ON c.id = a.conversion_id "
      + "WHERE c.key IN ('idem-1', 'idem-2')")).isEqualTo(2);
    assertThat(count("SELECT count(*) FROM conversions WHERE key = 'idem-1' AND value = 12.5")).isEqualTo(1);
    assertThat(metric("replayed") - replayedBefore).isEqualTo(6);
  }

  @Test
  @DisplayName("bad input is a specific 4xx problem and stores nothing: unknown recipient or campaign, a time in the "
    + "future or without offset, a negative or over-precise value, a value without currency, a bad currency")
  void badInput() throws Exception {
    String other = gateway.apiKey("other-tenant");
    long before = count("SELECT count(*) FROM conversions");
    double rejectedBefore = metric("rejected");
    OffsetDateTime at = ago(1);
    Map<JsonObject, String> cases = new java.util.LinkedHashMap<>();
    cases.put(conversion("bad-1", "nobody", at), "unknown-recipient");
    cases.put(conversion("bad-2", "a-0", at).put("campaign", "autumn"), "unknown-campaign");
    cases.put(conversion("bad-3", "a-0", OffsetDateTime.now(ZoneOffset.UTC).plusHours(1)), "invalid-occurred-at");
    cases.put(conversion("bad-4", "a-0", at).put("occurred_at", "2026-12-07T10:00:00"), "invalid-occurred-at");
    cases.put(conversion("bad-5", "a-0", at).put("occurred_at", "yesterday"), "invalid-occurred-at");
    cases.put(conversion("bad-5b", "a-0", at).put("occurred_at", "1999-12-31T23:59:59Z"), "invalid-occurred-at");
    cases.put(conversion("bad-6", "a-0", at).put("value", -1).put("currency", "EUR"), "invalid-value");
    cases.put(conversion("bad-7", "a-0", at).put("value", 1.23456).put("currency", "EUR"), "invalid-value");
    cases.put(conversion("bad-8", "a-0", at).put("value", 1e17).put("currency", "EUR"), "invalid-value");
    cases.put(conversion("bad-9", "a-0", at).put("value", 10), "currency-required");
    cases.put(conversion("bad-10", "a-0", at).put("value", 10).put("currency", "ABC"), "invalid-currency");
    cases.put(conversion("bad-11", "a-0", at).put("value", 10).put("currency", "eur"), "invalid-currency");
    cases.put(conversion("bad-12", "a-0", at).put("currency", "EUR"), "invalid-currency");
    cases.put(conversion("bad-13", "a-0", at).put("value", "ten").put("currency", "EUR"), "schema-violation");
    cases.put(new JsonObject().put("recipient_id", "a-0").put("occurred_at", at.toString()), "schema-violation");
    cases.put(conversion("bad key", "a-0", at), "schema-violation");
    cases.put(conversion("bad-14", "a-0", at).put("coupon", "x"), "schema-violation");
    cases.put(conversion("bad-15", "a-\u0001", at), "invalid-text");
    cases.put(conversion("bad-8b", "a-0", at).put("value", "PLACEHOLDER").put("currency", "EUR"), "invalid-value");
    for (Map.Entry<JsonObject, String> c : cases.entrySet()) {
      // 1e400 is a JSON number no double holds.
      HttpResponse<Buffer> answer = await(gateway.post("/v1/conversions", key).sendBuffer(Buffer.buffer(
        c.getKey().encode().replace("\"PLACEHOLDER\"", "1e400"))));
      assertThat(answer.statusCode()).as(c.getKey() + " -> " + answer.bodyAsString()).isEqualTo(422);
      assertThat(answer.getHeader("Content-Type")).isEqualTo("application/problem+json");
      assertThat(answer.bodyAsJsonObject().getString("type")).as(c.getKey().encode())
        .isEqualTo("urn:relay:problem:" + c.getValue());
    }
    HttpResponse<Buffer> otherTenant = convert(other, conversion("bad-16", "a-0", at));
    assertThat(otherTenant.bodyAsJsonObject().getString("type")).as("another tenant's recipient is unknown")
      .isEqualTo("urn:relay:problem:unknown-recipient");
    assertThat(convert(null, conversion("bad-17", "a-0", at)).statusCode()).isEqualTo(401);
    HttpResponse<Buffer> notJson = await(gateway.post("/v1/conversions", key).putHeader("Content-Type", "text/plain")
      .sendBuffer(Buffer.buffer("{}")));
    assertThat(notJson.statusCode()).isEqualTo(415);
    assertThat(count("SELECT count(*) FROM conversions")).isEqualTo(before);
    assertThat(metric("rejected") - rejectedBefore).as("the rejections the handler saw").isEqualTo(16);
  }

  @Test
  @DisplayName("the stats count converted recipients among the reached and the held out, revenue per currency and "
    + "per recipient, and the lift with its interval")
  void stats() throws Exception {
    List<String> statements = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      statements.add(sent("exact", "e-" + i, "3 hours"));
    }
    statements.add(state("exact", "e-8", "held_out"));
    statements.add(heldOut("exact", "e-8", "3 hours"));
    statements.add(state("exact", "e-9", "held_out"));
    statements.add(heldOut("exact", "e-9", "3 hours"));
    statements.add(event("exact", "e-0", "clicked", "human", "2 hours"));
    statements.add(event("exact", "e-1", "clicked", "human", "2 hours"));
    sql(statements.toArray(String[]::new));
    assertThat(convert(conversion("x-1", "e-0", ago(5)).put("value", 10).put("currency", "EUR")).statusCode())
      .isEqualTo(201);
    assertThat(convert(conversion("x-2", "e-0", ago(4)).put("value", 6).put("currency", "EUR")).statusCode())
      .isEqualTo(201);
    assertThat(convert(conversion("x-3", "e-1", ago(5)).put("value", 4).put("currency", "EUR")).statusCode())
      .isEqualTo(201);
    assertThat(convert(conversion("x-4", "e-8", ago(5)).put("value", 100).put("currency", "EUR")).statusCode())
      .isEqualTo(201);

    JsonObject stats = await(gateway.get("/v1/campaigns/exact/stats", key).send()).bodyAsJsonObject();
    JsonObject conversions = stats.getJsonObject("conversions");
    assertThat(conversions.getLong("recipients")).isEqualTo(8);
    assertThat(conversions.getLong("converted")).as("recipients, not conversions").isEqualTo(2);
    assertThat(conversions.getDouble("conversion_rate")).isEqualTo(0.25);
    assertThat(conversions.getJsonObject("revenue")).isEqualTo(new JsonObject().put("EUR", 20.0));
    assertThat(conversions.getJsonObject("revenue_per_recipient")).isEqualTo(new JsonObject().put("EUR", 2.5));
    assertThat(conversions.getJsonObject("holdout")).isEqualTo(new JsonObject().put("recipients", 2)
      .put("converted", 1).put("conversion_rate", 0.5));
    JsonObject lift = conversions.getJsonObject("lift");
    assertThat(lift.getDouble("absolute")).isEqualTo(-0.25);
    Lift expected = Lift.of(2, 8, 1, 2);
    assertThat(lift.getJsonArray("interval")).isEqualTo(new JsonArray()
      .add(round(expected.absoluteInterval()[0])).add(round(expected.absoluteInterval()[1])));
    assertThat(lift.getDouble("relative")).isEqualTo(-0.5);
    assertThat(conversions.getJsonObject("variants").isEmpty()).isTrue();
    assertThat(stats.getJsonObject("total")).as("the funnel is still there").isNotNull();

    // The dashboard's panel says the same as the API.
    String panel = OperatorsFiles.sql("relay-engagement.json",
        OperatorsFiles.json(OperatorsFiles.GRAFANA.resolve("dashboards/relay-engagement.json"))).stream()
      .filter(q -> q.where().contains("'Holdout and lift'")).findFirst().orElseThrow().text();
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement();
         ResultSet row = s.executeQuery(OperatorsFiles.expand(panel,
           Long.toString(count("SELECT id FROM campaigns WHERE name = 'exact'"))))) {
      assertThat(row.next()).isTrue();
      assertThat(row.getLong("Reached")).isEqualTo(8);
      assertThat(row.getLong("Converted")).isEqualTo(2);
      assertThat(row.getLong("Held out")).isEqualTo(2);
      assertThat(row.getLong("Held out converted")).isEqualTo(1);
      assertThat(row.getBigDecimal("Lift (points)")).isEqualByComparingTo("-25.00");
      assertThat(row.getDouble("Lift 95% low")).isCloseTo(100 * expected.absoluteInterval()[0], within(0.006));
      assertThat(row.getDouble("Lift 95% high")).isCloseTo(100 * expected.absoluteInterval()[1], within(0.006));
      assertThat(row.next()).isFalse();
    }

    JsonObject none = await(gateway.get("/v1/campaigns/summer/stats", key).send()).bodyAsJsonObject()
      .getJsonObject("conversions");
    assertThat(none.getValue("holdout")).isNull();
    assertThat(none.getValue("lift")).isNull();
  }

  private static double round(double x) {
    return java.math.BigDecimal.valueOf(x).setScale(6, java.math.RoundingMode.HALF_EVEN).doubleValue();
  }
}
