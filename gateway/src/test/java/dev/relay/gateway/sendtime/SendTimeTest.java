package dev.relay.gateway.sendtime;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Send-time optimization on a synthetic population whose true reading hours are known: human opens and
 * clicks spread about an hour around each recipient's true hour over 60 days (in five time zones, across
 * daylight-saving changes), machine opens (as Apple's proxy makes them) at the send hour, eight hours off.
 */
@DisplayName("Send-time optimization")
class SendTimeTest {

  private static final String[] ZONES = {"UTC", "Europe/Istanbul", "America/New_York", "Asia/Kolkata",
    "Australia/Sydney"};
  /** Quiet hours of the gateway: 22:00 to 07:00 local. */
  private static final String QUIET = "22:00-07:00";
  private static final int READERS = 2000;
  private static final int NIGHT_OWLS = 100;
  private static final int SPARSE = 200;
  private static final int TTL = 7200;

  private static TestGateway gateway;
  private static String acme;
  private static String initech;
  private static String globex;
  private static String hooli;
  private static String umbrella;

  @BeforeAll
  static void start() throws SQLException {
    gateway = TestGateway.start(Map.of(Setting.INTAKE_MAX_BODY_BYTES, Integer.toString(8 * 1024 * 1024),
      Setting.DISPATCH_ENABLED, "false", Setting.THROTTLE_QUIET_HOURS, QUIET));
    acme = gateway.apiKey("acme");
    initech = gateway.apiKey("initech");
    globex = gateway.apiKey("globex");
    hooli = gateway.apiKey("hooli");
    umbrella = gateway.apiKey("umbrella");
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement()) {
      st.execute("SELECT setseed(0.23)");
      // readers: true hours 7 to 21 (outside quiet hours), 5 to 30 human events; night owls read at 23:xx
      // (quiet), sparse recipients have 0 to 4 events and read at 03:xx.
      st.execute("CREATE TABLE population (recipient_id text PRIMARY KEY, zone text, true_hour int, human int)");
      st.execute("INSERT INTO population SELECT 'reader-' || i, (ARRAY['" + String.join("','", ZONES) + "'])[1 + i % 5],"
        + " 7 + (i * 7) % 15, 5 + i % 26 FROM generate_series(0, " + (READERS - 1) + ") i");
      st.execute("INSERT INTO population SELECT 'owl-' || i, (ARRAY['" + String.join("','", ZONES) + "'])[1 + i % 5],"
        + " 23, 10 FROM generate_series(0, " + (NIGHT_OWLS - 1) + ") i");
      st.execute("INSERT INTO population SELECT 'sparse-' || i, (ARRAY['" + String.join("','", ZONES)
        + "'])[1 + i % 5], 3, i % 5 FROM generate_series(0, " + (SPARSE - 1) + ") i");
    }
    seed("acme", true);
    seed("initech", false);
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement()) {
      // globex's population reads at 18:xx UTC: 60 recipients with 6 events each.
      st.execute("CREATE TABLE globex_population AS SELECT 'g-' || i AS recipient_id, 'UTC'::text AS zone,"
        + " 18 AS true_hour, 6 AS human FROM generate_series(0, 59) i");
    }
    seed("globex", "globex_population", false);
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement()) {
      // umbrella's recipients read at 20:xx in Kolkata (UTC+05:30), where their earlier messages went.
      st.execute("CREATE TABLE umbrella_population AS SELECT 'u-' || i AS recipient_id, 'Asia/Kolkata'::text AS zone,"
        + " 20 AS true_hour, 8 AS human FROM generate_series(0, 19) i");
    }
    seed("umbrella", "umbrella_population", false);
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static void seed(String tenant, boolean machineOpens) throws SQLException {
    seed(tenant, "population", machineOpens);
  }

  /** One delivered message per recipient of {@code table} from 60 days ago, with its events, inserted in bulk. */
  private static void seed(String tenant, String table, boolean machineOpens) throws SQLException {
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement()) {
      st.execute("SELECT setseed(0.5)");
      st.execute("WITH t AS (SELECT id FROM tenants WHERE name = '" + tenant + "'),"
        + " camp AS (INSERT INTO campaigns (tenant_id, name) SELECT id, 'history' FROM t RETURNING id, tenant_id),"
        + " b AS (INSERT INTO batches (id, tenant_id, campaign_id, template_name, channels, priority, expires_at,"
        + "   accepted, rejected) SELECT gen_random_uuid(), tenant_id, id, 'welcome', '{email}', 'marketing', now(), 0, 0"
        + "   FROM camp RETURNING id, tenant_id, campaign_id)"
        + " INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, time_zone, priority, state,"
        + "   due_at, expires_at, channel)"
        + " SELECT b.id, b.tenant_id, b.campaign_id, p.recipient_id, jsonb_build_object('email', p.recipient_id"
        + "   || '@example.com'), p.zone, 'marketing', 'delivered', now() - interval '60 days', now(), 'email'"
        + " FROM b CROSS JOIN " + table + " p");
      // Human opens and clicks: on days 1 to 59 ago, at the true hour's :30 plus or minus up to an hour, local.
      st.execute("INSERT INTO events (message_id, tenant_id, campaign_id, type, class, occurred_at)"
        + " SELECT m.id, m.tenant_id, m.campaign_id, CASE WHEN random() < 0.8 THEN 'opened' ELSE 'clicked' END, 'human',"
        + "   ((current_date - (1 + floor(random() * 59))::int)::timestamp"
        + "     + make_interval(hours => p.true_hour, mins => 30 + floor(random() * 120)::int - 60)) AT TIME ZONE p.zone"
        + " FROM " + table + " p JOIN messages m ON m.recipient_id = p.recipient_id"
        + "   AND m.tenant_id = (SELECT id FROM tenants WHERE name = '" + tenant + "')"
        + " CROSS JOIN LATERAL generate_series(1, p.human) g");
      if (machineOpens) {
        // Apple's proxy opens every message within seconds of its send, at the send hour: eight hours off the true
        // one, twice as many as the human events and all in one hour, so that counting them would move the hour.
        st.execute("INSERT INTO events (message_id, tenant_id, campaign_id, type, class, reason, occurred_at)"
          + " SELECT m.id, m.tenant_id, m.campaign_id, 'opened', 'machine', 'apple-mpp',"
          + "   ((current_date - (1 + floor(random() * 59))::int)::timestamp"
          + "     + make_interval(hours => (p.true_hour + 8) % 24, secs => floor(random() * 30)::int)) AT TIME ZONE p.zone"
          + " FROM " + table + " p JOIN messages m ON m.recipient_id = p.recipient_id"
          + "   AND m.tenant_id = (SELECT id FROM tenants WHERE name = '" + tenant + "')"
          + " CROSS JOIN LATERAL generate_series(1, 2 * p.human + 4) g");
      }
    }
  }

  private static JsonObject recipient(String id, String zone) {
    JsonObject r = new JsonObject().put("id", id).put("addresses", new JsonObject().put("email", id + "@example.com"));
    return zone == null ? r : r.put("time_zone", zone);
  }

  /** The whole synthetic population as one batch, with send_time. */
  private static JsonObject populationBatch(String campaign, JsonObject sendTime) throws SQLException {
    JsonArray recipients = new JsonArray();
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT recipient_id, zone FROM population ORDER BY recipient_id")) {
      while (rs.next()) {
        recipients.add(recipient(rs.getString(1), rs.getString(2)));
      }
    }
    return Batches.envelope(campaign).put("send_time", sendTime).put("recipients", recipients);
  }

  private static String accepted(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(202);
    return response.bodyAsJsonObject().getString("batch_id");
  }

  /** Each message of a batch: its due local hour in the population's zone, by recipient. */
  private static Map<String, Integer> dueHours(String batchId, String table) throws SQLException {
    Map<String, Integer> hours = new HashMap<>();
    try (Connection c = gateway.database().connect();
         PreparedStatement st = c.prepareStatement("SELECT m.recipient_id,"
           + " extract(hour FROM m.due_at AT TIME ZONE coalesce(p.zone, 'UTC'))::int FROM messages m"
           + " LEFT JOIN " + table + " p USING (recipient_id) WHERE m.batch_id = ?::uuid")) {
      st.setString(1, batchId);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          hours.put(rs.getString(1), rs.getInt(2));
        }
      }
    }
    return hours;
  }

  private static Map<String, int[]> truth() throws SQLException {
    Map<String, int[]> truth = new HashMap<>();
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT recipient_id, true_hour, human FROM population")) {
      while (rs.next()) {
        truth.put(rs.getString(1), new int[] {rs.getInt(2), rs.getInt(3)});
      }
    }
    return truth;
  }

  private static int distance(int a, int b) {
    int d = Math.floorMod(a - b, 24);
    return Math.min(d, 24 - d);
  }

  private static JsonObject status(String batchId, String key) {
    return await(gateway.get("/v1/batches/" + batchId, key).send()).bodyAsJsonObject();
  }

  @Test
  @DisplayName("recipients with 5+ human events get their true hour (within one) for at least 90%, outside quiet "
    + "hours; machine opens do not move it; the rest fall back to default_hour")
  void acceptance() throws SQLException {
    JsonObject sendTime = new JsonObject().put("optimize", true).put("within_hours", 24).put("default_hour", 10);
    JsonObject acmeBatch = populationBatch("sto", sendTime).put("ttl_seconds", TTL);
    JsonObject initechBatch = populationBatch("sto", sendTime).put("ttl_seconds", TTL);
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    String withMachine = accepted(gateway.postBatch(acme, null, acmeBatch));
    String humanOnly = accepted(gateway.postBatch(initech, null, initechBatch));
    Instant after = Instant.now();
    Map<String, int[]> truth = truth();
    Map<String, Integer> chosen = dueHours(withMachine, "population");
    assertThat(chosen).hasSize(READERS + NIGHT_OWLS + SPARSE);
    int readers = 0;
    int close = 0;
    int atMachineHour = 0;
    for (Map.Entry<String, int[]> e : truth.entrySet()) {
      String id = e.getKey();
      int hour = chosen.get(id);
      int trueHour = e.getValue()[0];
      assertThat(hour).as("%s is due at %d:00 local, inside quiet hours %s", id, hour, QUIET)
        .isBetween(7, 21);
      if (id.startsWith("reader-")) {
        readers++;
        close += distance(hour, trueHour) <= 1 ? 1 : 0;
        atMachineHour += distance(hour, (trueHour + 8) % 24) <= 1 ? 1 : 0;
      } else if (id.startsWith("owl-")) {
        // 23:xx is quiet: 21:xx is the nearest allowed hour (two away; 07:xx is eight away).
        assertThat(hour).as(id).isEqualTo(21);
      } else {
        assertThat(hour).as("%s fell back to default_hour", id).isEqualTo(10);
      }
    }
    assertThat(readers).isEqualTo(READERS);
    assertThat(close).as("readers due within one hour of their true hour").isGreaterThanOrEqualTo(READERS * 9 / 10);
    assertThat(atMachineHour).as("readers due at the hour of the machine opens").isZero();

    // The same population without machine opens: the same hours, recipient by recipient.
    assertThat(dueHours(humanOnly, "population")).isEqualTo(chosen);

    // Every message is due inside the window [intake, intake + 24 h) and expires ttl after its due time.
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE batch_id = '" + withMachine + "'"
      + " AND (due_at < '" + before + "' OR due_at >= '" + after.plus(24, ChronoUnit.HOURS) + "')")).isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM messages m JOIN batches b ON b.id = m.batch_id"
      + " WHERE m.batch_id = '" + withMachine + "' AND (m.expires_at <> m.due_at + interval '" + TTL + " seconds'"
      + " OR m.expires_at > b.expires_at OR m.state <> 'queued')")).isZero();

    JsonObject status = status(withMachine, acme);
    assertThat(status.getJsonObject("send_time")).isEqualTo(new JsonObject().put("within_hours", 24)
      .put("optimized", READERS + NIGHT_OWLS).put("fell_back", SPARSE));
    assertThat(status(humanOnly, initech).getJsonObject("send_time").getInteger("optimized"))
      .isEqualTo(READERS + NIGHT_OWLS);
  }

  @Test
  @DisplayName("the history read probes per recipient and per message on the indexes, whatever the statistics say")
  void historyPlan() throws SQLException {
    java.util.List<String> ids = new java.util.ArrayList<>();
    java.util.List<String> zones = new java.util.ArrayList<>();
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT recipient_id, zone FROM population ORDER BY recipient_id")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
        zones.add(rs.getString(2));
      }
    }
    // The named statement with its parameters in JDBC's order of appearance ($2, $3, $1, $5, $6, $4).
    String sql = dev.relay.gateway.store.Queries.sql("send-time-recipient-hours");
    for (String p : new String[] {"$1", "$2", "$3", "$4", "$5", "$6"}) {
      sql = sql.replace(p, "?");
    }
    StringBuilder plan = new StringBuilder();
    try (Connection c = gateway.database().connect(); PreparedStatement st = c.prepareStatement("EXPLAIN " + sql)) {
      st.setArray(1, c.createArrayOf("text", ids.toArray()));
      st.setArray(2, c.createArrayOf("text", zones.toArray()));
      st.setLong(3, gateway.database().count("SELECT id FROM tenants WHERE name = 'acme'"));
      st.setInt(4, 90);
      st.setArray(5, c.createArrayOf("text", ZONES));
      st.setInt(6, 30);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
    }
    // A partition's index on (tenant_id, recipient_id): messages_p0_recipient, messages_p1_tenant_id_recipient_id_idx, …
    assertThat(plan.toString()).containsPattern("Index Scan using messages_p\\d+_\\S*recipient")
      .contains("message_id_occurred_at_idx")
      .doesNotContain("Seq Scan on messages").doesNotContain("Seq Scan on events");
  }

  @Test
  @DisplayName("without default_hour, recipients with no history get the population's best hour; the window "
    + "starts at send_at")
  void populationFallback() throws SQLException {
    OffsetDateTime sendAt = OffsetDateTime.now(ZoneOffset.UTC).plusDays(2).truncatedTo(ChronoUnit.SECONDS);
    JsonArray recipients = new JsonArray();
    for (int i = 0; i < 30; i++) {
      recipients.add(recipient("new-" + i, i % 2 == 0 ? "UTC" : null));
    }
    recipients.add(recipient("g-1", "UTC"));
    JsonObject body = Batches.envelope("sto-population")
      // ISO_OFFSET_DATE_TIME writes :00 seconds, which toString() leaves out (not an RFC 3339 date-time)
      .put("send_at", sendAt.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
      .put("send_time", new JsonObject().put("optimize", true).put("within_hours", 48)).put("recipients", recipients);

    String batchId = accepted(gateway.postBatch(globex, null, body));

    Map<String, Integer> hours = dueHours(batchId, "globex_population");
    assertThat(hours).hasSize(31).allSatisfy((id, hour) -> assertThat(hour).as(id).isEqualTo(18));
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE batch_id = '" + batchId
      + "' AND due_at >= '" + sendAt + "' AND due_at < '" + sendAt.plusHours(48) + "'")).isEqualTo(31);
    assertThat(status(batchId, globex).getJsonObject("send_time")).isEqualTo(new JsonObject()
      .put("within_hours", 48).put("optimized", 1).put("fell_back", 30));
  }

  @Test
  @DisplayName("history is read in the batch's zone for the recipient, else its earlier messages' zone; an unknown "
    + "zone as UTC")
  void historyZones() {
    io.vertx.sqlclient.Pool pool = dev.relay.gateway.store.Database.pool(gateway.vertx(), gateway.config());
    try {
      long tenant = gateway.database().count("SELECT id FROM tenants WHERE name = 'umbrella'");
      Map<String, dev.relay.gateway.store.SendTimeStore.History> histories = await(
        new dev.relay.gateway.store.SendTimeStore(pool).recipientHours(tenant, new String[] {"u-0", "u-1", "u-2", "none"},
          new String[] {null, "Europe/Istanbul", "Mars/Olympus", null}, 30, 90));

      assertThat(histories).containsOnlyKeys("u-0", "u-1", "u-2");
      // Reading at 20:30 plus or minus an hour in Kolkata: hours 19 to 21 there, 17 to 19 in Istanbul (2.5 h
      // behind), 14 to 16 in UTC.
      assertThat(histories.get("u-0").zone()).isEqualTo("Asia/Kolkata");
      assertThat(java.util.Arrays.stream(histories.get("u-0").hours()).boxed().toList()).allSatisfy(h -> assertThat(h).isBetween(19, 21));
      assertThat(histories.get("u-1").zone()).isEqualTo("Europe/Istanbul");
      assertThat(java.util.Arrays.stream(histories.get("u-1").hours()).boxed().toList()).allSatisfy(h -> assertThat(h).isBetween(17, 19));
      assertThat(histories.get("u-2").zone()).isEqualTo("UTC");
      assertThat(java.util.Arrays.stream(histories.get("u-2").hours()).boxed().toList()).allSatisfy(h -> assertThat(h).isBetween(14, 16));
      assertThat(histories.values()).allSatisfy(h -> {
        assertThat(h.events()).isEqualTo(8);
        assertThat(java.util.Arrays.stream(h.weights()).boxed().toList()).allSatisfy(w -> assertThat(w).isPositive().isLessThanOrEqualTo(8.0));
      });
    } finally {
      await(pool.close());
    }
  }

  @Test
  @DisplayName("a tenant without any history and no default_hour: every message due at the window's start")
  void noHistoryAtAll() {
    JsonObject body = Batches.batch("sto-empty", "fresh", 5)
      .put("send_time", new JsonObject().put("optimize", true).put("within_hours", 12));
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    String batchId = accepted(gateway.postBatch(hooli, null, body));

    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE batch_id = '" + batchId
      + "' AND due_at >= '" + before + "' AND due_at <= now()")).isEqualTo(5);
    assertThat(status(batchId, hooli).getJsonObject("send_time")).isEqualTo(new JsonObject()
      .put("within_hours", 12).put("optimized", 0).put("fell_back", 5));
  }

  @Test
  @DisplayName("a batch without send_time (or with optimize false) is due at send_at and shows no send_time")
  void notAsked() {
    String plain = accepted(gateway.postBatch(hooli, null, Batches.batch("sto-plain", "plain", 2)));
    String off = accepted(gateway.postBatch(hooli, null, Batches.batch("sto-plain", "off", 2)
      .put("send_time", new JsonObject().put("optimize", false).put("within_hours", 500))));

    assertThat(status(plain, hooli).containsKey("send_time")).isFalse();
    assertThat(status(off, hooli).containsKey("send_time")).isFalse();
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE batch_id IN ('" + plain + "', '" + off
      + "') AND due_at <= now()")).isEqualTo(4);
  }

  static Stream<Arguments> badInput() {
    return Stream.of(
      Arguments.of("window of zero hours", "marketing", new JsonObject().put("optimize", true).put("within_hours", 0),
        "send-time-window", "/send_time/within_hours"),
      Arguments.of("window over 7 days", "marketing", new JsonObject().put("optimize", true).put("within_hours", 169),
        "send-time-window", "/send_time/within_hours"),
      Arguments.of("negative window", "marketing", new JsonObject().put("optimize", true).put("within_hours", -5),
        "send-time-window", "/send_time/within_hours"),
      Arguments.of("window of 2^32 + 24 hours (no int wrap-around)", "marketing", new JsonObject().put("optimize", true)
        .put("within_hours", 4294967320L), "send-time-window", "/send_time/within_hours"),
      Arguments.of("default hour 24", "marketing", new JsonObject().put("optimize", true).put("within_hours", 24)
        .put("default_hour", 24), "send-time-default-hour", "/send_time/default_hour"),
      Arguments.of("default hour -1", "marketing", new JsonObject().put("optimize", true).put("within_hours", 24)
        .put("default_hour", -1), "send-time-default-hour", "/send_time/default_hour"),
      Arguments.of("transactional", "transactional", new JsonObject().put("optimize", true).put("within_hours", 24),
        "send-time-transactional", "/send_time/optimize"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInput")
  @DisplayName("bad send_time: a specific 422 naming the field, and nothing stored")
  void refusesBadInput(String name, String priority, JsonObject sendTime, String kind, String pointer) {
    long before = gateway.database().count("SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM batches)"
      + " + (SELECT count(*) FROM idempotency_keys)");
    JsonObject body = Batches.batch("sto-bad", "bad", 2).put("priority", priority).put("send_time", sendTime);

    HttpResponse<Buffer> response = gateway.postBatch(hooli, "bad-" + kind + "-" + name.hashCode(), body);

    assertThat(response.statusCode()).isEqualTo(422);
    assertThat(response.getHeader("Content-Type")).startsWith("application/problem+json");
    JsonObject problem = response.bodyAsJsonObject();
    assertThat(problem.getString("type")).isEqualTo("urn:relay:problem:" + kind);
    assertThat(problem.getString("pointer")).isEqualTo(pointer);
    assertThat(gateway.database().count("SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM batches)"
      + " + (SELECT count(*) FROM idempotency_keys)")).isEqualTo(before);
  }

  @Test
  @DisplayName("send_time of the wrong shape is a schema violation, and nothing stored")
  void refusesWrongShape() {
    JsonObject body = Batches.batch("sto-bad", "shape", 2)
      .put("send_time", new JsonObject().put("optimize", true).put("within_hours", "PT24H"));
    HttpResponse<Buffer> response = gateway.postBatch(hooli, null, body);
    assertThat(response.statusCode()).isEqualTo(422);
    assertThat(response.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:schema-violation");
  }
}
