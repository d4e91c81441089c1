package dev.relay.gateway.api;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.experiment.Assignment;
import dev.relay.gateway.store.BatchStore;
import dev.relay.gateway.store.NewBatch;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.Eventually;
import dev.relay.gateway.testing.TestGateway;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Experiments at intake: variants, holdout, per-variant stats")
class ExperimentIntakeTest {

  private static final List<Assignment.Weighted> HALVES =
    List.of(new Assignment.Weighted("a", 1), new Assignment.Weighted("b", 1));

  private static TestGateway gateway;
  private static String key;
  private static long tenantId;

  @BeforeAll
  static void start() throws Exception {
    gateway = TestGateway.start();
    key = gateway.apiKey("acme");
    tenantId = gateway.database().count("SELECT id FROM tenants WHERE name = 'acme'");
    for (String v : new String[] {"a", "b"}) {
      JsonObject template = Batches.echoTemplate();
      template.getJsonObject("locales").getJsonObject("en").getJsonObject("email").put("subject", "Offer " + v);
      gateway.putTemplate(key, "promo-" + v, template);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static JsonObject variant(String name, String template, Object weight) {
    JsonObject v = new JsonObject().put("name", name).put("template", template);
    return weight == null ? v : v.put("weight", weight);
  }

  /** A batch of recipients prefix-from .. prefix-(to - 1), with variants a and b (given b first). */
  private static JsonObject experiment(String campaign, String prefix, int from, int to) {
    JsonArray recipients = new JsonArray();
    for (int i = from; i < to; i++) {
      recipients.add(Batches.recipient(prefix + "-" + i));
    }
    JsonObject batch = Batches.envelope(campaign).put("recipients", recipients);
    batch.remove("template");
    return batch.put("variants", new JsonArray().add(variant("b", "promo-b", 1)).add(variant("a", "promo-a", 1)));
  }

  /** recipient id → "held_out" or its variant, of a batch's messages. */
  private static Map<String, String> placements(String batchId) throws Exception {
    Map<String, String> placed = new HashMap<>();
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT recipient_id, state, variant FROM messages WHERE batch_id = '"
           + batchId + "'")) {
      while (rs.next()) {
        placed.put(rs.getString(1), "held_out".equals(rs.getString(2)) ? "held_out" : rs.getString(3));
      }
    }
    return placed;
  }

  private static String expected(String campaign, String recipient, double holdout) {
    if (Assignment.unit(Assignment.HOLDOUT, tenantId, campaign, recipient) < holdout) {
      return "held_out";
    }
    return Assignment.variant(HALVES, Assignment.unit(Assignment.VARIANT, tenantId, campaign, recipient));
  }

  private static JsonObject stats(String campaign) {
    return await(gateway.get("/v1/campaigns/" + campaign + "/stats", key).send()).bodyAsJsonObject();
  }

  private static long count(String sql) {
    return gateway.database().count(sql);
  }

  @Test
  @DisplayName("a batch with variants and a holdout: each recipient gets the variant and holdout its stable draws "
    + "give, is rendered with its variant's template, held-out ones never reach the provider; a second batch of the "
    + "campaign (queued, no holdout given) places the same recipients the same way; status and stats per variant")
  void variantsAndHoldout() throws Exception {
    HttpResponse<Buffer> first = gateway.postBatch(key, null, experiment("spring", "r", 0, 200).put("holdout", 0.25));
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(202);
    String firstId = first.bodyAsJsonObject().getString("batch_id");
    Map<String, String> placed = placements(firstId);
    Map<String, String> expected = new HashMap<>();
    for (int i = 0; i < 200; i++) {
      expected.put("r-" + i, expected("spring", "r-" + i, 0.25));
    }
    assertThat(placed).isEqualTo(expected);
    long held = expected.values().stream().filter("held_out"::equals).count();
    long inA = expected.values().stream().filter("a"::equals).count();
    assertThat(held).as("a quarter held out, roughly").isBetween(25L, 75L);
    assertThat(inA).isBetween(40L, 110L);

    Eventually.until("the first batch's sendable messages sent", () ->
      count("SELECT count(*) FROM messages WHERE batch_id = '" + firstId + "' AND state = 'sent'") == 200 - held);

    // The second batch is due in a moment: stored queued, claimed, rendered by the claim's template lookup.
    HttpResponse<Buffer> second = gateway.postBatch(key, null, experiment("spring", "r", 100, 300)
      .put("send_at", OffsetDateTime.now().plusSeconds(1).toString()));
    assertThat(second.statusCode()).as(second.bodyAsString()).isEqualTo(202);
    String secondId = second.bodyAsJsonObject().getString("batch_id");
    Map<String, String> placedAgain = placements(secondId);
    for (int i = 100; i < 300; i++) {
      expected.put("r-" + i, expected("spring", "r-" + i, 0.25));
      if (i < 200) {
        assertThat(placedAgain.get("r-" + i)).as("r-%d in both batches", i).isEqualTo(placed.get("r-" + i));
      }
    }
    long heldSecond = placedAgain.values().stream().filter("held_out"::equals).count();
    Eventually.until("the second batch's sendable messages sent", () ->
      count("SELECT count(*) FROM messages WHERE batch_id = '" + secondId + "' AND state = 'sent'") == 200 - heldSecond);

    Map<String, Integer> receipts = new HashMap<>();
    for (SandboxServer.Receipt r : gateway.sandbox().receipts()) {
      if (!"spring".equals(r.campaign())) {
        continue;
      }
      String recipient = r.recipientId();
      String variant = expected.get(recipient);
      assertThat(variant).as("%s reached the provider", recipient).isIn("a", "b");
      assertThat(r.content().getString("subject")).as(recipient).isEqualTo("Offer " + variant);
      receipts.merge(recipient, 1, Integer::sum);
    }
    Set<String> sendable = new HashSet<>();
    expected.forEach((recipient, variant) -> {
      if (!"held_out".equals(variant)) {
        sendable.add(recipient);
      }
    });
    assertThat(receipts.keySet()).isEqualTo(sendable);
    // Held-out messages: never claimed (no attempt, no sending event), one held_out event each.
    assertThat(count("SELECT count(*) FROM messages WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'spring')"
      + " AND state = 'held_out' AND attempt = 0 AND variant IS NULL AND channel IS NULL")).isEqualTo(held + heldSecond);
    assertThat(count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE m.state = 'held_out'"
      + " AND m.campaign_id = (SELECT id FROM campaigns WHERE name = 'spring') AND e.type <> 'held_out'")).isZero();
    assertThat(count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE m.state = 'held_out'"
      + " AND m.campaign_id = (SELECT id FROM campaigns WHERE name = 'spring') AND e.type = 'held_out'")).isEqualTo(held + heldSecond);

    JsonObject status = await(gateway.get("/v1/batches/" + secondId, key).send()).bodyAsJsonObject();
    assertThat(status.containsKey("template")).isFalse();
    assertThat(status.getDouble("holdout")).as("inherited from the campaign").isEqualTo(0.25);
    assertThat(status.getJsonArray("variants")).isEqualTo(new JsonArray()
      .add(new JsonObject().put("name", "a").put("template", new JsonObject().put("name", "promo-a").put("version", 1))
        .put("weight", 1.0))
      .add(new JsonObject().put("name", "b").put("template", new JsonObject().put("name", "promo-b").put("version", 1))
        .put("weight", 1.0)));
    assertThat(status.getJsonObject("states").getLong("held_out")).isEqualTo(heldSecond);
    long oneOfA = count("SELECT min(id) FROM messages WHERE variant = 'a'");
    assertThat(await(gateway.get("/v1/messages/" + oneOfA, key).send()).bodyAsJsonObject().getString("variant"))
      .isEqualTo("a");

    long sentA = count("SELECT count(*) FROM messages WHERE variant = 'a' AND state = 'sent'"
      + " AND campaign_id = (SELECT id FROM campaigns WHERE name = 'spring')");
    long sentB = count("SELECT count(*) FROM messages WHERE variant = 'b' AND state = 'sent'"
      + " AND campaign_id = (SELECT id FROM campaigns WHERE name = 'spring')");
    Eventually.until("the sends counted per variant", () -> {
      JsonObject v = stats("spring").getJsonObject("variants");
      return v.getJsonObject("a").getLong("sent") == sentA && v.getJsonObject("b").getLong("sent") == sentB;
    });
    JsonObject stats = stats("spring");
    assertThat(stats.getJsonObject("total").getLong("held_out")).isEqualTo(held + heldSecond);
    assertThat(stats.getJsonObject("total").getLong("accepted")).isEqualTo(400);
    assertThat(stats.getJsonObject("total").getLong("sent")).isEqualTo(sentA + sentB);
    assertThat(stats.getJsonObject("variants").getJsonObject("a").getLong("accepted")).isEqualTo(sentA);
    assertThat(stats.getJsonObject("variants").getJsonObject("b").getLong("accepted")).isEqualTo(sentB);
    assertThat(stats.getJsonObject("variants").fieldNames()).containsExactlyInAnyOrder("a", "b");

    // Holdout is the campaign's: the same share again is fine, another one is refused and stores nothing.
    long batches = count("SELECT count(*) FROM batches");
    HttpResponse<Buffer> other = gateway.postBatch(key, null, experiment("spring", "x", 0, 3).put("holdout", 0.5));
    assertThat(other.statusCode()).isEqualTo(409);
    assertThat(other.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:holdout-conflict");
    assertThat(other.bodyAsJsonObject().getDouble("campaign_holdout")).isEqualTo(0.25);
    assertThat(count("SELECT count(*) FROM batches")).isEqualTo(batches);
    assertThat(gateway.postBatch(key, null, experiment("spring", "x", 0, 3).put("holdout", 0.25)).statusCode())
      .isEqualTo(202);
  }

  @Test
  @DisplayName("per-variant human opens and clicks are exact: a re-marked machine event takes its message back out "
    + "of its variant's human count, as it does in the campaign's")
  void humanFiguresPerVariant() throws Exception {
    HttpResponse<Buffer> posted = gateway.postBatch(key, null, experiment("remark", "h", 0, 40));
    assertThat(posted.statusCode()).as(posted.bodyAsString()).isEqualTo(202);
    String campaign = "(SELECT id FROM campaigns WHERE name = 'remark')";
    Eventually.until("sent", () -> count("SELECT count(*) FROM messages WHERE campaign_id = " + campaign
      + " AND state = 'sent'") == 40);
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement()) {
      // Every message opened twice by a human, the first ten clicked; then one open of every third message and
      // both opens of every fifth re-marked machine, and the clicks of even ones.
      for (int i = 0; i < 2; i++) {
        s.execute("INSERT INTO events (message_id, tenant_id, campaign_id, type, class, data) SELECT id, tenant_id,"
          + " campaign_id, 'opened', 'human', '{\"channel\":\"email\"}' FROM messages WHERE campaign_id = " + campaign);
      }
      s.execute("INSERT INTO events (message_id, tenant_id, campaign_id, type, class, data) SELECT id, tenant_id,"
        + " campaign_id, 'clicked', 'human', '{\"channel\":\"email\"}' FROM messages WHERE campaign_id = " + campaign
        + " AND split_part(recipient_id, '-', 2)::int < 10");
      s.execute("UPDATE events SET class = 'machine', reason = 'link-burst' WHERE id IN (SELECT min(e.id) FROM events e"
        + " JOIN messages m ON m.id = e.message_id WHERE m.campaign_id = " + campaign + " AND e.type = 'opened'"
        + " AND split_part(m.recipient_id, '-', 2)::int % 3 = 0 GROUP BY e.message_id)");
      s.execute("UPDATE events e SET class = 'machine', reason = 'link-sweep' FROM messages m WHERE m.id = e.message_id"
        + " AND m.campaign_id = " + campaign + " AND e.type = 'opened' AND split_part(m.recipient_id, '-', 2)::int % 5 = 0");
      s.execute("UPDATE events e SET class = 'machine', reason = 'link-sweep' FROM messages m WHERE m.id = e.message_id"
        + " AND m.campaign_id = " + campaign + " AND e.type = 'clicked' AND split_part(m.recipient_id, '-', 2)::int % 2 = 0");
    }
    JsonObject variants = stats("remark").getJsonObject("variants");
    for (String v : new String[] {"a", "b"}) {
      for (String type : new String[] {"opened", "clicked"}) {
        String ofVariant = " FROM events e JOIN messages m ON m.id = e.message_id WHERE m.campaign_id = " + campaign
          + " AND m.variant = '" + v + "' AND e.type = '" + type + "'";
        JsonObject step = variants.getJsonObject(v).getJsonObject(type);
        assertThat(step.getLong("unique_human")).as("%s %s unique_human", v, type)
          .isEqualTo(count("SELECT count(DISTINCT e.message_id)" + ofVariant + " AND e.class = 'human'"));
        assertThat(step.getLong("unique")).as("%s %s unique", v, type)
          .isEqualTo(count("SELECT count(DISTINCT e.message_id)" + ofVariant));
        assertThat(step.getLong("total")).isEqualTo(count("SELECT count(*)" + ofVariant));
        long machine = count("SELECT count(*)" + ofVariant + " AND e.class = 'machine'");
        assertThat(step.getJsonObject("machine_by_reason").stream().mapToLong(e -> ((Number) e.getValue()).longValue())
          .sum()).as("%s %s machine events", v, type).isEqualTo(machine);
      }
      assertThat(variants.getJsonObject(v).getLong("sent"))
        .isEqualTo(count("SELECT count(*) FROM messages WHERE campaign_id = " + campaign + " AND variant = '" + v + "'"));
    }
    // A recipient's history names the template of its message's variant.
    String v1 = expected("remark", "h-1", 0);
    JsonObject history = await(gateway.get("/v1/recipients/h-1/engagement", key).send()).bodyAsJsonObject();
    assertThat(history.getJsonArray("history").stream().map(e -> ((JsonObject) e).getString("template")).distinct()
      .toList()).containsExactly("promo-" + v1);
    JsonObject total = stats("remark").getJsonObject("total");
    assertThat(total.getJsonObject("opened").getLong("unique_human")).isEqualTo(
      variants.getJsonObject("a").getJsonObject("opened").getLong("unique_human")
        + variants.getJsonObject("b").getJsonObject("opened").getLong("unique_human"));
  }

  @Test
  @DisplayName("the store refuses a batch placed under a holdout its campaign does not hold (a holdout set between "
    + "intake's read and the store), storing nothing, and tells whether the batch gave its own")
  void storeChecksHoldout() throws Exception {
    assertThat(gateway.postBatch(key, null, experiment("raced", "q", 0, 5).put("holdout", 0.3)).statusCode())
      .isEqualTo(202);
    io.vertx.sqlclient.Pool pool = dev.relay.gateway.store.Database.pool(gateway.vertx(), gateway.config());
    try {
      BatchStore store = new BatchStore(pool);
      long batches = count("SELECT count(*) FROM batches");
      for (Double given : new Double[] {null, 0.2}) {
        NewBatch placedWithout = new NewBatch(tenantId, null, new byte[32], java.util.UUID.randomUUID(), "raced",
          "promo-a", 1, new String[] {"email"}, dev.relay.gateway.lifecycle.Priority.MARKETING, null, 3600,
          new JsonArray().add(Batches.recipient("q-9")), 0, 202, "{}", null, "skip", null,
          given == null ? 0.0 : given, given, 0, null, null);
        Throwable failure = await(store.persist(placedWithout, 0).map(o -> (Throwable) null)
          .otherwise(err -> err));
        assertThat(failure).isInstanceOf(BatchStore.HoldoutMismatch.class);
        assertThat(((BatchStore.HoldoutMismatch) failure).campaignHoldout()).isEqualTo(0.3);
        assertThat(((BatchStore.HoldoutMismatch) failure).given()).isEqualTo(given != null);
      }
      assertThat(count("SELECT count(*) FROM batches")).isEqualTo(batches);
      assertThat(count("SELECT count(*) FROM messages WHERE recipient_id = 'q-9'")).isZero();
    } finally {
      await(pool.close());
    }
  }

  @Test
  @DisplayName("bad variants or holdout are refused with a specific problem naming the pointer, and store nothing")
  void badInput() {
    Map<String, UnaryOperator<JsonObject>> cases = new java.util.LinkedHashMap<>();
    String[][] expectations = {
      {"template-or-variants", "/template"}, {"template-or-variants", "/template"},
      {"invalid-variant-count", "/variants"}, {"invalid-variant-count", "/variants"},
      {"duplicate-variant", "/variants/1/name"}, {"invalid-variant-name", "/variants/0/name"},
      {"invalid-variant-name", "/variants/1/name"},
      {"invalid-variant-weight", "/variants/0/weight"}, {"invalid-variant-weight", "/variants/1/weight"},
      {"missing-variant-template", "/variants/1/template"}, {"unknown-template", "/variants/1/template"},
      {"invalid-holdout", "/holdout"}, {"invalid-holdout", "/holdout"}};
    cases.put("template and variants", b -> b.put("template", "promo-a"));
    cases.put("neither", b -> {
      b.remove("variants");
      return b;
    });
    cases.put("one variant", b -> b.put("variants", new JsonArray().add(variant("a", "promo-a", 1))));
    cases.put("27 variants", b -> {
      JsonArray many = new JsonArray();
      for (int i = 0; i < 27; i++) {
        many.add(variant("v" + i, "promo-a", 1));
      }
      return b.put("variants", many);
    });
    cases.put("duplicate names", b -> b.put("variants", new JsonArray().add(variant("a", "promo-a", 1))
      .add(variant("a", "promo-b", 1))));
    cases.put("upper-case name", b -> b.put("variants", new JsonArray().add(variant("A", "promo-a", 1))
      .add(variant("b", "promo-b", 1))));
    cases.put("missing name", b -> b.put("variants", new JsonArray().add(variant("a", "promo-a", 1))
      .add(new JsonObject().put("template", "promo-b"))));
    cases.put("zero weight", b -> b.put("variants", new JsonArray().add(variant("a", "promo-a", 0))
      .add(variant("b", "promo-b", 1))));
    cases.put("negative weight", b -> b.put("variants", new JsonArray().add(variant("a", "promo-a", 1))
      .add(variant("b", "promo-b", -2.5))));
    cases.put("missing template", b -> b.put("variants", new JsonArray().add(variant("a", "promo-a", 1))
      .add(new JsonObject().put("name", "b"))));
    cases.put("unknown template", b -> b.put("variants", new JsonArray().add(variant("a", "promo-a", 1))
      .add(variant("b", "no-such-template", 1))));
    cases.put("holdout 1", b -> b.put("holdout", 1));
    cases.put("negative holdout", b -> b.put("holdout", -0.1));
    long batches = count("SELECT count(*) FROM batches");
    long messages = count("SELECT count(*) FROM messages");
    int i = 0;
    for (Map.Entry<String, UnaryOperator<JsonObject>> c : cases.entrySet()) {
      HttpResponse<Buffer> answer = gateway.postBatch(key, null, c.getValue().apply(experiment("bad", "z", 0, 3)));
      JsonObject problem = answer.bodyAsJsonObject();
      assertThat(answer.statusCode()).as(c.getKey() + ": " + answer.bodyAsString()).isEqualTo(422);
      assertThat(answer.getHeader("Content-Type")).isEqualTo("application/problem+json");
      assertThat(problem.getString("type")).as(c.getKey()).isEqualTo("urn:relay:problem:" + expectations[i][0]);
      assertThat(problem.getString("pointer")).as(c.getKey()).isEqualTo(expectations[i][1]);
      i++;
    }
    HttpResponse<Buffer> unknownField = gateway.postBatch(key, null, experiment("bad", "z", 0, 3).put("variants",
      new JsonArray().add(variant("a", "promo-a", 1)).add(variant("b", "promo-b", 1).put("colour", "red"))));
    assertThat(unknownField.statusCode()).isEqualTo(422);
    assertThat(unknownField.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:schema-violation");
    assertThat(count("SELECT count(*) FROM batches")).isEqualTo(batches);
    assertThat(count("SELECT count(*) FROM messages")).isEqualTo(messages);
    assertThat(count("SELECT count(*) FROM campaigns WHERE name = 'bad'")).isZero();
  }
}
