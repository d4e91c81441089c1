package dev.relay.gateway.store;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The re-mark trigger (V11) on the schema itself: counters follow an event's class both ways, and a database
 * migrated from before V11 has the clicks re-marked then taken back.
 */
@DisplayName("Re-marked opens and clicks in the campaign counters (V11)")
class RemarkedCountersTest {

  private final TestDatabase database = TestDatabase.fresh();
  private final RelayConfig config = RelayConfig.of(TestGateway.settings(database));

  @AfterEach
  void drop() throws Exception {
    database.close();
  }

  private Flyway flyway(String target) {
    return Flyway.configure().dataSource("jdbc:postgresql://" + TestDatabase.HOST + ":" + TestDatabase.PORT + "/"
        + database.name(), TestDatabase.USER, "")
      .locations("classpath:db/migration").target(target).load();
  }

  private void sql(String... statements) throws Exception {
    try (Connection c = database.connect(); Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  /** A campaign 'c' with email messages to r1..r3. */
  private void campaign() throws Exception {
    sql("INSERT INTO tenants (name) VALUES ('acme')",
      "INSERT INTO campaigns (tenant_id, name) SELECT id, 'c' FROM tenants",
      "INSERT INTO batches (id, tenant_id, campaign_id, template_name, channels, priority, expires_at, accepted, rejected)"
        + " SELECT gen_random_uuid(), tenant_id, id, 'welcome', '{email}', 'marketing', now() + interval '1 day', 3, 0"
        + " FROM campaigns",
      "INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, priority, due_at, expires_at,"
        + " channel, state) SELECT b.id, b.tenant_id, b.campaign_id, 'r' || i, '{}', 'marketing', now(),"
        + " now() + interval '1 day', 'email', 'sent' FROM batches b, generate_series(1, 3) i");
  }

  private String click(String recipient, String eventClass, String reason, String link) {
    return "INSERT INTO events (message_id, tenant_id, campaign_id, type, class, reason, data) SELECT id, tenant_id,"
      + " campaign_id, 'clicked', '" + eventClass + "', " + (reason == null ? "NULL" : "'" + reason + "'")
      + ", '{\"link\": \"" + link + "\"}' FROM messages WHERE recipient_id = '" + recipient + "'";
  }

  private long counter(String metric) {
    return database.count("SELECT coalesce(sum(n), 0) FROM campaign_counters WHERE channel = 'email' AND metric = '"
      + metric + "'");
  }

  @Test
  @DisplayName("a human click re-marked machine lowers clicked_human unless the message has another human click; "
    + "re-marked back, it counts again")
  void triggerFollowsTheClass() throws Exception {
    Database.ensureExists(config);
    Database.migrate(config);
    campaign();
    sql(click("r1", "human", null, "a"), click("r2", "human", null, "a"), click("r2", "human", null, "b"),
      click("r3", "human", null, "a"));
    assertThat(counter("clicked_human")).isEqualTo(3);
    assertThat(counter("clicked")).isEqualTo(3);

    sql("UPDATE events SET class = 'machine', reason = 'link-burst' WHERE type = 'clicked' AND message_id IN"
      + " (SELECT id FROM messages WHERE recipient_id IN ('r1', 'r3'))");
    assertThat(counter("clicked_human")).as("r1 and r3 lost their only human click").isEqualTo(1);
    sql("UPDATE events SET class = 'machine' WHERE data ->> 'link' = 'a' AND message_id IN"
      + " (SELECT id FROM messages WHERE recipient_id = 'r2')");
    assertThat(counter("clicked_human")).as("r2 still has a human click").isEqualTo(1);
    assertThat(database.count("SELECT count(*) FROM engagement_firsts WHERE metric = 'clicked_human'")).isEqualTo(1);

    sql("UPDATE events SET class = 'human', reason = NULL WHERE message_id IN"
      + " (SELECT id FROM messages WHERE recipient_id = 'r1')");
    assertThat(counter("clicked_human")).isEqualTo(2);
    assertThat(counter("clicked")).as("raw counts never move").isEqualTo(3);
    assertThat(counter("clicked_total")).isEqualTo(4);
    sql("UPDATE events SET reason = 'noted' WHERE message_id IN (SELECT id FROM messages WHERE recipient_id = 'r1')");
    assertThat(counter("clicked_human")).as("an update that keeps the class changes nothing").isEqualTo(2);
  }

  @Test
  @DisplayName("migrating to V11 takes back clicks re-marked before it, and only those")
  void backfill() throws Exception {
    Database.ensureExists(config);
    flyway("7").migrate();
    campaign();
    sql(click("r1", "human", null, "a"), click("r2", "human", null, "a"), click("r3", "human", null, "a"),
      click("r3", "human", null, "b"),
      // What the recorder did before V11: re-marked without taking back the count.
      "UPDATE events SET class = 'machine', reason = 'link-burst' WHERE message_id IN"
        + " (SELECT id FROM messages WHERE recipient_id IN ('r1', 'r3'))");
    assertThat(counter("clicked_human")).as("the stale count").isEqualTo(3);

    flyway("latest").migrate();

    assertThat(counter("clicked_human")).as("r2 only").isEqualTo(1);
    assertThat(counter("clicked")).isEqualTo(3);
    assertThat(database.count("SELECT count(*) FROM engagement_firsts f JOIN messages m ON m.id = f.message_id"
      + " WHERE f.metric = 'clicked_human' AND m.recipient_id = 'r2'")).isEqualTo(1);
    assertThat(database.count("SELECT count(*) FROM engagement_firsts WHERE metric = 'clicked_human'")).isEqualTo(1);
  }
}
