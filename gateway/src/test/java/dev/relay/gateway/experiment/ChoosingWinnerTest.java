package dev.relay.gateway.experiment;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.Setting;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Choosing a campaign test's winner, end to end: batches with variants and an experiment through the API, the test
 * share sent to the sandbox, opens and clicks through the real tracking endpoints (classified by the real
 * classifier), the decider choosing on the per-variant counters, the waiting recipients released and sent.
 */
@DisplayName("Choosing a winner: test share first, decision on human events, the rest with the winner")
class ChoosingWinnerTest {

  private static final String CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    + "Chrome/120.0.0.0 Safari/537.36";
  private static final String FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
  /** What Apple's Mail Privacy Protection proxy sends when it prefetches the pixel. */
  private static final String APPLE_PROXY = "Mozilla/5.0";
  private static final Pattern HREF = Pattern.compile("href=\"([^\"]*/t/c/[^\"]+)\"");
  private static final Pattern PIXEL = Pattern.compile("src=\"([^\"]*/t/o/[^\"]+)\"");
  private static final Pattern LABEL = Pattern.compile("Variant (\\w)");

  private static TestGateway gateway;
  private static String key;
  private static long tenantId;
  private static io.vertx.ext.web.client.WebClient browser;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(Map.of(Setting.EXPERIMENTS_MIN_WAIT_SECONDS, "1",
      Setting.EXPERIMENTS_DECIDE_INTERVAL_MS, "200", Setting.EXPERIMENTS_RELEASE_CHUNK, "7",
      Setting.TRACKING_FLUSH_MS, "100"));
    key = gateway.apiKey("acme");
    browser = io.vertx.ext.web.client.WebClient.create(gateway.vertx());
    tenantId = gateway.database().count("SELECT id FROM tenants WHERE name = 'acme'");
    for (String v : new String[] {"a", "b"}) {
      gateway.putTemplate(key, "offer-" + v, new JsonObject().put("description", "variant " + v)
        .put("locales", new JsonObject().put("en", new JsonObject().put("email", new JsonObject()
          .put("subject", "Offer " + v.toUpperCase())
          .put("html", "<html><body><p>Variant " + v + "</p><p><a href=\"https://shop.example.com/" + v
            + "\">Shop</a></p></body></html>")
          .put("text", "Variant " + v)))));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    browser.close();
    gateway.close();
  }

  private static JsonObject batch(String campaign, String prefix, int from, int count, JsonObject experiment) {
    JsonObject batch = Batches.batch(campaign, prefix, 0).put("recipients", new JsonArray());
    batch.remove("template");
    for (int i = from; i < from + count; i++) {
      batch.getJsonArray("recipients").add(Batches.recipient(prefix + "-" + i));
    }
    batch.put("variants", new JsonArray()
      .add(new JsonObject().put("name", "a").put("template", "offer-a"))
      .add(new JsonObject().put("name", "b").put("template", "offer-b")));
    if (experiment != null) {
      batch.put("experiment", experiment);
    }
    return batch;
  }

  private static JsonObject experiment(double share, String metric, String fallback) {
    return new JsonObject().put("test_share", share).put("wait_seconds", 60).put("metric", metric)
      .put("confidence", 0.95).put("fallback", fallback);
  }

  private static void accepted(JsonObject body) {
    HttpResponse<Buffer> response = gateway.postBatch(key, null, body);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(202);
  }

  private static JsonObject getJson(String path) {
    HttpResponse<Buffer> response = await(gateway.get(path, key).send());
    assertThat(response.statusCode()).as(path + ": " + response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> post(String path, JsonObject body) {
    return await(gateway.post(path, key).sendJsonObject(body));
  }

  private static long count(String sql) {
    return gateway.database().count(sql);
  }

  private static String campaignMessages(String campaign) {
    return "FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = '" + campaign + "'";
  }

  /** Each recipient's variant (null while waiting) and state. */
  private static Map<String, String[]> messages(String campaign) throws Exception {
    Map<String, String[]> found = new HashMap<>();
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT m.recipient_id, m.variant, m.state " + campaignMessages(campaign))) {
      while (rs.next()) {
        found.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
      }
    }
    return found;
  }

  /** The sandbox's receipts of a campaign by recipient; fails when a recipient received two. */
  private static Map<String, SandboxServer.Receipt> receipts(String campaign) {
    Map<String, SandboxServer.Receipt> byRecipient = new HashMap<>();
    for (SandboxServer.Receipt r : gateway.sandbox().receipts()) {
      if (campaign.equals(r.campaign())) {
        assertThat(byRecipient.put(r.recipientId(), r)).as("a second send to " + r.recipientId()).isNull();
      }
    }
    return byRecipient;
  }

  private static String label(SandboxServer.Receipt receipt) {
    Matcher m = LABEL.matcher(receipt.content().getString("html"));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  private static String link(SandboxServer.Receipt receipt, Pattern pattern) {
    Matcher m = pattern.matcher(receipt.content().getString("html"));
    assertThat(m.find()).isTrue();
    String url = m.group(1);
    return url.substring(url.indexOf('/', "http://".length()));
  }

  private static int hit(String method, String path, String userAgent) {
    return await(browser.request(io.vertx.core.http.HttpMethod.valueOf(method), gateway.port(), "127.0.0.1", path)
      .followRedirects(false).putHeader("User-Agent", userAgent).send()).statusCode();
  }

  private static String expectedSplit(String campaign, String recipient) {
    return Assignment.variant(List.of(new Assignment.Weighted("a", 1), new Assignment.Weighted("b", 1)),
      Assignment.unit(Assignment.VARIANT, tenantId, campaign, recipient));
  }

  /** Sends a campaign's test share and waits until it is sent; the recipients in the test by variant. */
  private static Map<String, List<String>> sendTest(String campaign, String prefix, int n, JsonObject experiment)
    throws Exception {
    accepted(batch(campaign, prefix, 0, n, experiment));
    Map<String, String[]> stored = messages(campaign);
    Map<String, List<String>> test = new HashMap<>(Map.of("a", new ArrayList<>(), "b", new ArrayList<>()));
    for (int i = 0; i < n; i++) {
      String id = prefix + "-" + i;
      boolean inTest = Assignment.unit(Assignment.TEST, tenantId, campaign, id) < experiment.getDouble("test_share");
      String[] m = stored.get(id);
      if (inTest) {
        assertThat(m[0]).as("a test recipient's variant is its own stable one").isEqualTo(expectedSplit(campaign, id));
        test.get(m[0]).add(id);
      } else {
        assertThat(m[1]).as(id + " waits").isEqualTo("waiting");
        assertThat(m[0]).as(id + " has no variant while it waits").isNull();
      }
    }
    int inTest = test.get("a").size() + test.get("b").size();
    Eventually.until("the test share sent", () -> count("SELECT count(*) " + campaignMessages(campaign)
      + " AND m.state = 'sent'") == inTest);
    Map<String, SandboxServer.Receipt> sent = receipts(campaign);
    assertThat(sent).hasSize(inTest);
    sent.forEach((id, r) -> assertThat(label(r)).as("before the decision, " + id + " gets only its own variant")
      .isEqualTo(stored.get(id)[0]));
    return test;
  }

  private static void waitPassed(String campaign) {
    // The wait, simulated: the decider applies the rule once decide_at has passed.
    count("WITH x AS (UPDATE campaign_experiments SET decide_at = now() WHERE campaign_id = (SELECT id FROM campaigns "
      + "WHERE name = '" + campaign + "') RETURNING 1) SELECT count(*) FROM x");
  }

  @Test
  @DisplayName("B has more human clicks, A more machine clicks and machine opens: on human clicks B wins; on all "
    + "opens it would have been A; the rest is sent with B, nobody twice")
  void humanClicksChooseB() throws Exception {
    String campaign = "honest";
    int n = 80;
    Map<String, List<String>> test = sendTest(campaign, "hc", n, experiment(0.5, "human_clicks", "split"));
    List<String> a = test.get("a");
    List<String> b = test.get("b");
    assertThat(a.size()).isGreaterThan(10);
    assertThat(b.size()).isGreaterThan(10);
    Map<String, SandboxServer.Receipt> sent = receipts(campaign);
    // A: Apple's proxy loads every pixel, a link scanner checks every link with HEAD, one person clicks.
    for (String id : a) {
      assertThat(hit("GET", link(sent.get(id), PIXEL), APPLE_PROXY)).isEqualTo(200);
      assertThat(hit("HEAD", link(sent.get(id), HREF), CHROME)).isEqualTo(302);
    }
    assertThat(hit("GET", link(sent.get(a.get(0)), HREF), FIREFOX)).isEqualTo(302);
    // B: people click, all but two; two people open in their browser.
    for (String id : b.subList(2, b.size())) {
      assertThat(hit("GET", link(sent.get(id), HREF), CHROME)).isEqualTo(302);
    }
    for (String id : b.subList(0, 2)) {
      assertThat(hit("GET", link(sent.get(id), PIXEL), CHROME)).isEqualTo(200);
    }
    long hits = 2L * a.size() + 1 + b.size();
    Eventually.until("every hit written", () -> count("SELECT count(*) FROM events e JOIN campaigns c ON c.id = "
      + "e.campaign_id WHERE c.name = '" + campaign + "' AND e.type IN ('opened', 'clicked')") == hits);

    JsonObject testing = getJson("/v1/campaigns/" + campaign + "/experiment");
    assertThat(testing.getString("status")).isEqualTo("testing");
    assertThat(testing.getLong("waiting")).isEqualTo(n - a.size() - b.size());
    waitPassed(campaign);
    Eventually.until("the test decided", () -> !"testing".equals(getJson("/v1/campaigns/" + campaign + "/experiment")
      .getString("status")));
    JsonObject decided = getJson("/v1/campaigns/" + campaign + "/experiment");
    assertThat(decided.getString("status")).isEqualTo("decided");
    assertThat(decided.getString("winner")).isEqualTo("b");
    JsonObject decision = decided.getJsonObject("decision");
    assertThat(decision.getString("outcome")).isEqualTo("winner");
    assertThat(decision.getString("metric")).isEqualTo("human_clicks");
    assertThat(decision.getJsonObject("rule").getString("name")).isEqualTo(WinnerRule.NAME);
    assertThat(decision.getJsonObject("rule").getJsonArray("comparisons").getJsonObject(0).getBoolean("significant"))
      .isTrue();
    JsonObject fa = decision.getJsonObject("figures").getJsonObject("a");
    JsonObject fb = decision.getJsonObject("figures").getJsonObject("b");
    assertThat(fa.getLong("sent")).isEqualTo(a.size());
    assertThat(fb.getLong("sent")).isEqualTo(b.size());
    assertThat(fa.getLong("human_clicks")).isEqualTo(1);
    assertThat(fb.getLong("human_clicks")).isEqualTo(b.size() - 2);
    assertThat(fa.getLong("clicks")).as("every A message was clicked, by the scanner").isEqualTo(a.size());
    assertThat(fa.getLong("opens")).as("every A message was opened, by the proxy").isEqualTo(a.size());
    assertThat(fa.getLong("human_opens")).isZero();
    assertThat(fb.getLong("opens")).isEqualTo(2);
    assertThat(fb.getLong("human_opens")).isEqualTo(2);
    // The same rule on opens counted the usual way (every open, machines included) picks A.
    WinnerRule.Result onAllOpens = WinnerRule.decide(List.of(
      new WinnerRule.Arm("a", fa.getLong("sent"), fa.getLong("opens")),
      new WinnerRule.Arm("b", fb.getLong("sent"), fb.getLong("opens"))), 0.95);
    assertThat(onAllOpens.winner()).isEqualTo("a");

    Eventually.until("everyone sent", () -> count("SELECT count(*) " + campaignMessages(campaign)
      + " AND m.state = 'sent'") == n);
    Map<String, String[]> stored = messages(campaign);
    Map<String, SandboxServer.Receipt> all = receipts(campaign);
    assertThat(all).hasSize(n);
    for (int i = 0; i < n; i++) {
      String id = "hc-" + i;
      boolean inTest = a.contains(id) || b.contains(id);
      assertThat(label(all.get(id))).as(id).isEqualTo(inTest ? expectedSplit(campaign, id) : "b");
      assertThat(stored.get(id)[0]).isEqualTo(label(all.get(id)));
    }
    assertThat(count("SELECT count(*) FROM events e JOIN campaigns c ON c.id = e.campaign_id WHERE c.name = '"
      + campaign + "' AND e.type = 'experiment_released' AND e.data ->> 'variant' = 'b'"))
      .isEqualTo(n - a.size() - b.size());
    assertThat(getJson("/v1/campaigns/" + campaign + "/experiment").getLong("waiting")).isZero();

    // A later batch of the decided campaign: everyone gets the winner at once, nobody waits.
    accepted(batch(campaign, "hc", n, 20, null));
    Map<String, String[]> later = messages(campaign);
    for (int i = n; i < n + 20; i++) {
      assertThat(later.get("hc-" + i)[0]).isEqualTo("b");
      assertThat(later.get("hc-" + i)[1]).isNotEqualTo("waiting");
    }
    String exposition = await(gateway.get("/metrics", null).send()).bodyAsString();
    assertThat(exposition).contains("relay_experiment_decisions_total{outcome=\"winner\"}");
  }

  @Test
  @DisplayName("on conversions (POST /v1/conversions): the variant whose test recipients converted wins")
  void conversionsChooseB() throws Exception {
    Map<String, List<String>> test = sendTest("conv", "cv", 200, experiment(0.5, "conversions", "a"));
    assertThat(test.get("a")).hasSizeGreaterThan(20);
    assertThat(test.get("b")).hasSizeGreaterThan(20);
    for (String recipient : test.get("b")) {
      HttpResponse<Buffer> recorded = post("/v1/conversions", new JsonObject().put("key", "order-" + recipient)
        .put("recipient_id", recipient).put("occurred_at", java.time.OffsetDateTime.now().toString()));
      assertThat(recorded.statusCode()).as(recorded.bodyAsString()).isEqualTo(201);
    }
    waitPassed("conv");
    Eventually.until("conv decided", () -> count("SELECT count(*) FROM campaign_experiments e JOIN campaigns c ON "
      + "c.id = e.campaign_id WHERE c.name = 'conv' AND e.status = 'decided'") == 1);
    JsonObject decided = getJson("/v1/campaigns/conv/experiment");
    assertThat(decided.getString("winner")).isEqualTo("b");
    assertThat(decided.getJsonObject("decision").getString("outcome")).isEqualTo("winner");
    Eventually.until("conv all sent", () -> count("SELECT count(*) " + campaignMessages("conv")
      + " AND m.state = 'sent'") == 200);
  }

  @Test
  @DisplayName("no variant wins: the named fallback is the winner; with split, everyone waiting gets its own variant")
  void fallbacks() throws Exception {
    sendTest("fall-a", "fa", 30, experiment(0.4, "human_opens", "a"));
    waitPassed("fall-a");
    Eventually.until("fall-a decided", () -> count("SELECT count(*) FROM campaign_experiments e JOIN campaigns c ON "
      + "c.id = e.campaign_id WHERE c.name = 'fall-a' AND e.status = 'decided'") == 1);
    JsonObject a = getJson("/v1/campaigns/fall-a/experiment");
    assertThat(a.getString("winner")).isEqualTo("a");
    assertThat(a.getJsonObject("decision").getString("outcome")).isEqualTo("fallback");
    assertThat(a.getJsonObject("decision").getJsonObject("rule").getString("winner")).isNull();
    assertThat(a.getJsonObject("decision").getJsonObject("rule").getString("reason")).isNotBlank();
    Eventually.until("fall-a all sent", () -> count("SELECT count(*) " + campaignMessages("fall-a")
      + " AND m.state = 'sent'") == 30);

    Map<String, List<String>> test = sendTest("fall-split", "fs", 30, experiment(0.4, "human_clicks", "split"));
    waitPassed("fall-split");
    Eventually.until("fall-split all sent", () -> count("SELECT count(*) " + campaignMessages("fall-split")
      + " AND m.state = 'sent'") == 30);
    JsonObject split = getJson("/v1/campaigns/fall-split/experiment");
    assertThat(split.getString("status")).isEqualTo("decided");
    assertThat(split.getString("winner")).isNull();
    assertThat(split.getJsonObject("decision").getString("outcome")).isEqualTo("split");
    Map<String, SandboxServer.Receipt> all = receipts("fall-split");
    assertThat(all).hasSize(30);
    all.forEach((id, r) -> assertThat(label(r)).as(id).isEqualTo(expectedSplit("fall-split", id)));
    assertThat(test.get("a").size() + test.get("b").size()).isLessThan(30);
  }

  @Test
  @DisplayName("forced and cancelled through the API: the rest goes with the forced variant, or split on cancel; "
    + "an ended test cannot be ended again")
  void forceAndCancel() throws Exception {
    sendTest("forced", "fo", 30, experiment(0.3, "human_clicks", "split"));
    HttpResponse<Buffer> unknown = post("/v1/campaigns/forced/experiment/decide", new JsonObject().put("variant", "c"));
    assertThat(unknown.statusCode()).isEqualTo(422);
    assertThat(unknown.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:unknown-variant");
    assertThat(getJson("/v1/campaigns/forced/experiment").getString("status")).isEqualTo("testing");
    HttpResponse<Buffer> forced = post("/v1/campaigns/forced/experiment/decide", new JsonObject().put("variant", "a"));
    assertThat(forced.statusCode()).as(forced.bodyAsString()).isEqualTo(200);
    assertThat(forced.bodyAsJsonObject().getString("status")).isEqualTo("decided");
    assertThat(forced.bodyAsJsonObject().getString("winner")).isEqualTo("a");
    assertThat(forced.bodyAsJsonObject().getJsonObject("decision").getString("outcome")).isEqualTo("forced");
    Eventually.until("forced: all sent", () -> count("SELECT count(*) " + campaignMessages("forced")
      + " AND m.state = 'sent'") == 30);
    Map<String, String[]> stored = messages("forced");
    receipts("forced").forEach((id, r) -> assertThat(label(r)).isEqualTo(stored.get(id)[0]));
    HttpResponse<Buffer> again = post("/v1/campaigns/forced/experiment/cancel", new JsonObject());
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(again.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:experiment-ended");

    sendTest("cancelled", "ca", 30, experiment(0.3, "human_clicks", "b"));
    HttpResponse<Buffer> cancelled = post("/v1/campaigns/cancelled/experiment/cancel", new JsonObject());
    assertThat(cancelled.statusCode()).as(cancelled.bodyAsString()).isEqualTo(200);
    assertThat(cancelled.bodyAsJsonObject().getString("status")).isEqualTo("cancelled");
    assertThat(cancelled.bodyAsJsonObject().getString("winner")).isNull();
    Eventually.until("cancelled: all sent", () -> count("SELECT count(*) " + campaignMessages("cancelled")
      + " AND m.state = 'sent'") == 30);
    receipts("cancelled").forEach((id, r) -> assertThat(label(r)).isEqualTo(expectedSplit("cancelled", id)));
    HttpResponse<Buffer> late = post("/v1/campaigns/cancelled/experiment/decide", new JsonObject().put("variant", "a"));
    assertThat(late.statusCode()).isEqualTo(409);
    assertThat(await(gateway.get("/v1/campaigns/nothing-here/experiment", key).send()).statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("bad experiments are refused with their own problem and change nothing")
  void badInput() {
    long before = count("SELECT count(*) FROM messages") + count("SELECT count(*) FROM campaign_experiments");
    Map<String, JsonObject> cases = new java.util.LinkedHashMap<>();
    cases.put("invalid-experiment /experiment/test_share", experiment(0, "human_clicks", "split"));
    cases.put("invalid-experiment /experiment/test_share ", experiment(1, "human_clicks", "split"));
    cases.put("invalid-experiment /experiment/test_share  ", experiment(1.5, "human_clicks", "split"));
    cases.put("invalid-experiment /experiment/wait_seconds", experiment(0.2, "human_clicks", "split")
      .put("wait_seconds", 31 * 24 * 3600));
    cases.put("invalid-experiment /experiment/wait_seconds ", experiment(0.2, "human_clicks", "split")
      .put("wait_seconds", 0));
    cases.put("invalid-experiment /experiment/metric", experiment(0.2, "clicks", "split"));
    cases.put("invalid-experiment /experiment/confidence", experiment(0.2, "human_clicks", "split")
      .put("confidence", 1.0));
    cases.put("invalid-experiment /experiment/surprise", experiment(0.2, "human_clicks", "split").put("surprise", 1));
    cases.put("unknown-fallback-variant /experiment/fallback", experiment(0.2, "human_clicks", "c"));
    cases.forEach((expected, experiment) -> {
      HttpResponse<Buffer> response = gateway.postBatch(key, null, batch("bad", "bad", 0, 5, experiment));
      assertThat(response.statusCode()).as(expected + ": " + response.bodyAsString()).isEqualTo(422);
      JsonObject problem = response.bodyAsJsonObject();
      assertThat(problem.getString("type")).isEqualTo("urn:relay:problem:" + expected.split(" ")[0]);
      assertThat(problem.getString("pointer")).isEqualTo(expected.split(" ")[1]);
    });
    JsonObject plain = Batches.batch("bad", "bad", 3).put("experiment", experiment(0.2, "human_clicks", "split"));
    HttpResponse<Buffer> noVariants = gateway.postBatch(key, null, plain);
    assertThat(noVariants.statusCode()).isEqualTo(422);
    assertThat(noVariants.bodyAsJsonObject().getString("type"))
      .isEqualTo("urn:relay:problem:experiment-needs-variants");
    assertThat(count("SELECT count(*) FROM messages") + count("SELECT count(*) FROM campaign_experiments"))
      .as("nothing stored").isEqualTo(before);

    accepted(batch("conflict", "co", 0, 5, experiment(0.2, "human_clicks", "split")));
    long stored = count("SELECT count(*) FROM messages");
    HttpResponse<Buffer> other = gateway.postBatch(key, null, batch("conflict", "co", 5, 5,
      experiment(0.3, "human_clicks", "split")));
    assertThat(other.statusCode()).isEqualTo(409);
    assertThat(other.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:experiment-conflict");
    HttpResponse<Buffer> plainLater = gateway.postBatch(key, null, Batches.batch("conflict", "cp", 2));
    assertThat(plainLater.statusCode()).isEqualTo(409);
    assertThat(plainLater.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:experiment-conflict");
    assertThat(count("SELECT count(*) FROM messages")).isEqualTo(stored);
    accepted(batch("conflict", "co", 5, 5, experiment(0.2, "human_clicks", "split")));
    accepted(batch("conflict", "co", 10, 5, null));
    assertThat(count("SELECT count(*) " + campaignMessages("conflict"))).isEqualTo(15);
    assertThat(count("SELECT count(*) FROM campaign_experiments e JOIN campaigns c ON c.id = e.campaign_id "
      + "WHERE c.name = 'conflict'")).isEqualTo(1);
  }

  @Test
  @DisplayName("the store refuses a batch placed under another state of the test than the one it finds under its lock")
  void storeChecksThePlacement() throws Exception {
    accepted(batch("raced", "rc", 0, 5, experiment(0.5, "human_clicks", "split")));
    io.vertx.sqlclient.Pool pool = dev.relay.gateway.store.Database.pool(gateway.vertx(), gateway.config());
    try {
      dev.relay.gateway.store.BatchStore store = new dev.relay.gateway.store.BatchStore(pool);
      long messages = count("SELECT count(*) FROM messages");
      JsonObject variants = new JsonObject()
        .put("a", new JsonObject().put("template", "offer-a").put("template_version", 1).put("template_id", 1)
          .put("weight", 1))
        .put("b", new JsonObject().put("template", "offer-b").put("template_version", 1).put("template_id", 2)
          .put("weight", 1));
      for (dev.relay.gateway.store.ExperimentStore.Intake placed : List.of(
        new dev.relay.gateway.store.ExperimentStore.Intake(null, 0, "decided", "a"),
        new dev.relay.gateway.store.ExperimentStore.Intake(experiment(0.3, "human_clicks", "split")
          .put("variants", new JsonArray().add("a").add("b")), 60, null, null))) {
        dev.relay.gateway.store.NewBatch row = new dev.relay.gateway.store.NewBatch(tenantId, null, new byte[32],
          java.util.UUID.randomUUID(), "raced", null, null, new String[] {"email"}, dev.relay.gateway.lifecycle.Priority.MARKETING, null, 3600,
          new JsonArray().add(Batches.recipient("rc-9").put("variant", "a")), 0, 202, "{}", null, "skip", variants,
          0.0, null, 0, null, placed);
        Throwable failure = await(store.persist(row, 0).map(o -> (Throwable) null).otherwise(err -> err));
        assertThat(failure).as(placed.toString()).isInstanceOf(dev.relay.gateway.store.ExperimentStore.Mismatch.class);
      }
      assertThat(count("SELECT count(*) FROM messages")).as("nothing stored").isEqualTo(messages);
      assertThat(getJson("/v1/campaigns/raced/experiment").getJsonObject("config").getDouble("test_share"))
        .isEqualTo(0.5);
    } finally {
      await(pool.close());
    }
  }
}
