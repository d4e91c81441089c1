package dev.relay.gateway.store;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An upgrade in place: a database made by the migrations of the last landed release (up to V13), holding
 * messages in every state that release knew, is migrated by a new gateway's start-up and keeps sending the
 * messages that were still to send, leaving the finished ones as they were.
 */
@DisplayName("Upgrade in place from the V13 schema")
class UpgradeTest {

  /** The newest migration of the release this test upgrades from. */
  private static final String RELEASED = "13";
  private static final List<String> OLD_STATES = List.of(
    "queued", "sending", "retry", "sent", "delivered", "failed", "dead", "suppressed", "capped", "expired");
  private static final Set<String> STILL_TO_SEND = Set.of("queued", "sending", "retry");

  private final TestDatabase database = TestDatabase.fresh();
  private TestGateway gateway;

  @AfterEach
  void close() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    database.close();
  }

  private void sql(String... statements) throws Exception {
    try (Connection c = database.connect(); Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  private Map<String, String> states() throws Exception {
    Map<String, String> states = new HashMap<>();
    try (Connection c = database.connect(); Statement s = c.createStatement();
         ResultSet rows = s.executeQuery("SELECT recipient_id, state FROM messages")) {
      while (rows.next()) {
        states.put(rows.getString(1), rows.getString(2));
      }
    }
    return states;
  }

  /** One tenant, its own template, a batch and a message in every state of the old schema, as that release wrote them. */
  private void releasedData() throws Exception {
    String definition = Batches.echoTemplate().encode();
    sql("INSERT INTO tenants (name) VALUES ('acme')",
      "INSERT INTO campaigns (tenant_id, name) SELECT id, 'spring' FROM tenants");
    try (Connection c = database.connect(); PreparedStatement p = c.prepareStatement(
      "INSERT INTO templates (tenant_id, name, version, definition, digest)"
        + " SELECT id, 'welcome', 1, ?::jsonb, sha256(convert_to(?, 'UTF8')) FROM tenants")) {
      p.setString(1, definition);
      p.setString(2, definition);
      p.executeUpdate();
    }
    sql("INSERT INTO batches (id, tenant_id, campaign_id, template_name, template_version, channels, priority,"
        + " expires_at, accepted, rejected, template_id, on_cap)"
        + " SELECT gen_random_uuid(), c.tenant_id, c.id, 'welcome', 1, '{email}', 'marketing', now() + interval '1 day',"
        + " 11, 0, t.id, 'skip' FROM campaigns c, templates t",
      // Every state, the unsent ones due now; 'sending' under a lease that ran out while the old release was stopped.
      "INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, locale, time_zone, variables,"
        + " priority, state, due_at, expires_at, attempt, lease_until, channel, last_error)"
        + " SELECT b.id, b.tenant_id, b.campaign_id, s, jsonb_build_object('email', s || '@example.com'), 'en',"
        + " 'Europe/Istanbul', jsonb_build_object('subject', 'Hello ' || s, 'text', 'for ' || s), 'marketing', s,"
        + " now() - interval '1 minute', now() + interval '1 day',"
        + " CASE WHEN s IN ('queued') THEN 0 ELSE 1 END,"
        + " CASE WHEN s = 'sending' THEN now() - interval '10 minutes' END,"
        + " CASE WHEN s IN ('queued', 'retry', 'sending') THEN NULL ELSE 'email' END,"
        + " CASE WHEN s IN ('failed', 'dead', 'suppressed', 'capped', 'expired', 'retry') THEN 'as ' || s END"
        + " FROM batches b, unnest(ARRAY['" + String.join("','", OLD_STATES) + "']) AS s",
      // A message to send later keeps waiting for its time.
      "INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, variables, priority, state,"
        + " due_at, expires_at) SELECT b.id, b.tenant_id, b.campaign_id, 'later', '{\"email\": \"later@example.com\"}',"
        + " '{}', 'marketing', 'queued', now() + interval '2 hours', now() + interval '1 day' FROM batches b",
      // The events the old release recorded for the finished ones (counted by its triggers).
      "INSERT INTO events (message_id, tenant_id, campaign_id, type, data)"
        + " SELECT id, tenant_id, campaign_id, 'sent', '{\"channel\": \"email\"}' FROM messages"
        + " WHERE state IN ('sent', 'delivered')",
      "INSERT INTO events (message_id, tenant_id, campaign_id, type, data)"
        + " SELECT id, tenant_id, campaign_id, 'delivered', '{\"channel\": \"email\"}' FROM messages"
        + " WHERE state = 'delivered'");
  }

  @Test
  @DisplayName("messages in every state of the V13 schema survive the upgrade: the unsent are sent once, the rest stay")
  void upgradesInPlaceAndKeepsSending() throws Exception {
    Database.ensureExists(RelayConfig.of(TestGateway.settings(database)));
    Flyway.configure().dataSource("jdbc:postgresql://" + TestDatabase.HOST + ":" + TestDatabase.PORT + "/"
        + database.name(), TestDatabase.USER, "")
      .locations("classpath:db/migration").target(RELEASED).load().migrate();
    releasedData();
    Map<String, String> before = states();
    assertThat(before.keySet()).containsAll(OLD_STATES);

    gateway = TestGateway.restart(database, Map.of());
    assertThat(database.count("SELECT count(*) FROM flyway_schema_history WHERE success AND version::int > "
      + RELEASED)).as("migrations applied on top of the release").isPositive();

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (database.count("SELECT count(*) FROM messages WHERE recipient_id IN ('queued', 'sending', 'retry')"
      + " AND state = 'sent'") < STILL_TO_SEND.size()) {
      assertThat(System.nanoTime()).as("the unsent messages of the old release sent within 60 s").isLessThan(deadline);
      Thread.sleep(50);
    }
    Map<String, String> after = states();
    for (String state : OLD_STATES) {
      assertThat(after.get(state)).as("the message stored as " + state)
        .isEqualTo(STILL_TO_SEND.contains(state) ? "sent" : state);
    }
    assertThat(after.get("later")).isEqualTo("queued");
    Set<String> received = gateway.sandbox().receipts().stream().map(r -> r.address()).collect(Collectors.toSet());
    assertThat(received).containsExactlyInAnyOrder("queued@example.com", "sending@example.com", "retry@example.com");
    assertThat(gateway.sandbox().duplicateCount()).isZero();

    String key = gateway.apiKey("acme");
    String batch = batchId();
    JsonObject status = await(gateway.get("/v1/batches/" + batch, key).send()).bodyAsJsonObject();
    assertThat(status.getJsonObject("states").getMap()).containsEntry("sent", 4).containsEntry("delivered", 1)
      .containsEntry("queued", 1).containsEntry("capped", 1).containsEntry("expired", 1).containsEntry("dead", 1);

    long oldSent = messageId("delivered");
    JsonObject history = await(gateway.get("/v1/messages/" + oldSent, key).send()).bodyAsJsonObject();
    assertThat(history.getString("state")).isEqualTo("delivered");
    assertThat(history.getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("type")))
      .contains("sent", "delivered");

    JsonObject stats = await(gateway.get("/v1/campaigns/spring/stats", key).send()).bodyAsJsonObject()
      .getJsonObject("total");
    assertThat(stats.getLong("sent")).as("2 sent by the old release, 3 after the upgrade").isEqualTo(5);
    assertThat(stats.getLong("delivered")).isEqualTo(1);
  }

  private String batchId() throws Exception {
    try (Connection c = database.connect(); Statement s = c.createStatement();
         ResultSet rows = s.executeQuery("SELECT id FROM batches")) {
      rows.next();
      return rows.getString(1);
    }
  }

  private long messageId(String recipient) {
    return database.count("SELECT id FROM messages WHERE recipient_id = '" + recipient + "'");
  }
}
