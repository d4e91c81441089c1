package dev.relay.gateway.experiment;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.GatewayProcess;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Winner selection under load, whole-process: two gateway processes on one database (both run the decider), a
 * campaign of 100,000 recipients posted in batches of intake.max-recipients, 20% of them tested first. The sandbox
 * this test runs sees every send: before the decision only the test share arrives, each recipient with its own
 * variant; after it, the other 80% with the winner; nobody twice.
 */
@DisplayName("Winner selection under load: 100,000 recipients, 20% tested, the rest with the winner")
class WinnerUnderLoadIT {

  private static final int RECIPIENTS = 100_000;
  private static final int BATCH = 10_000;
  private static final double SHARE = 0.2;
  /** The wait: long enough to post, send the test share and click, on this small machine. */
  private static final int WAIT_SECONDS = 60;
  private static final String CAMPAIGN = "spring-sale";
  private static final String CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    + "Chrome/120.0.0.0 Safari/537.36";
  private static final Pattern HREF = Pattern.compile("href=\"[a-z]+://[^/]+(/t/c/[^\"]+)\"");
  private static final Pattern LABEL = Pattern.compile("Variant (\\w)");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static Vertx vertx;
  private static SandboxServer sandbox;

  @BeforeAll
  static void startSandbox() {
    vertx = Vertx.vertx();
    sandbox = await(SandboxServer.start(vertx, "127.0.0.1", 0));
  }

  @AfterAll
  static void stopSandbox() {
    await(sandbox.close());
    await(vertx.close());
  }

  private static Map<String, String> environment(TestDatabase database, Path dir) throws Exception {
    Map<String, String> env = GatewayProcess.sandboxEnvironment(database, dir, sandbox.url(), 5000);
    env.put("RELAY_DISPATCH_IDLE_POLL_MS", "50");
    env.put("RELAY_EXPERIMENTS_DECIDE_INTERVAL_MS", "500");
    env.put("RELAY_EXPERIMENTS_MIN_WAIT_SECONDS", "1");
    env.put("RELAY_INTAKE_MAX_RECIPIENTS", Integer.toString(BATCH));
    return env;
  }

  private static int send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding())
      .statusCode();
  }

  private static void putTemplate(GatewayProcess gateway, String key, String variant) throws Exception {
    JsonObject definition = new JsonObject().put("description", "variant " + variant)
      .put("locales", new JsonObject().put("en", new JsonObject().put("email", new JsonObject()
        .put("subject", "Spring sale " + variant)
        .put("html", "<html><body><p>Variant " + variant + "</p><p><a href=\"https://shop.example.com/" + variant
          + "\">Shop</a></p></body></html>")
        .put("text", "Variant " + variant))));
    assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/templates/sale-"
        + variant)).header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
      .PUT(HttpRequest.BodyPublishers.ofString(definition.encode())))).isEqualTo(201);
  }

  private static JsonObject batch(int part) {
    JsonArray recipients = new JsonArray(new ArrayList<>(BATCH));
    for (int i = part * BATCH; i < (part + 1) * BATCH; i++) {
      recipients.add(Batches.recipient("r-" + i));
    }
    JsonObject batch = Batches.envelope(CAMPAIGN);
    batch.remove("template");
    return batch.put("recipients", recipients)
      .put("variants", new JsonArray()
        .add(new JsonObject().put("name", "a").put("template", "sale-a"))
        .add(new JsonObject().put("name", "b").put("template", "sale-b")))
      .put("experiment", new JsonObject().put("test_share", SHARE).put("wait_seconds", WAIT_SECONDS)
        .put("metric", "human_clicks").put("confidence", 0.95).put("fallback", "split"));
  }

  private static String label(SandboxServer.Receipt receipt) {
    Matcher m = LABEL.matcher(receipt.content().getString("html"));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  private static void until(String what, long seconds, java.util.function.BooleanSupplier condition)
    throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("%s within %d s", what, seconds).isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  private static JsonObject experiment(GatewayProcess gateway, String key) {
    try {
      HttpResponse<String> answer = gateway.get("/v1/campaigns/" + CAMPAIGN + "/experiment", key);
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      return new JsonObject(answer.body());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static double decisions(GatewayProcess gateway) throws Exception {
    double total = 0;
    for (String line : gateway.get("/metrics", null).body().lines().toList()) {
      if (line.startsWith("relay_experiment_decisions_total{")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  @Test
  @DisplayName("the test share is sent first with its own variants, the decision is taken once, the other 80% go "
    + "with the winner, and no message arrives twice")
  void hundredThousandRecipients() throws Exception {
    sandbox.reset();
    Path dir = TestGateway.newTestDir("relay-experiment");
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<String, String> env = environment(database, dir);
      String key = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
      try (GatewayProcess a = GatewayProcess.serve(env); GatewayProcess b = GatewayProcess.serve(env)) {
        long started = System.nanoTime();
        putTemplate(a, key, "a");
        putTemplate(a, key, "b");
        for (int part = 0; part < RECIPIENTS / BATCH; part++) {
          HttpResponse<String> answer = (part % 2 == 0 ? a : b).post("/v1/batches", key, "part-" + part,
            batch(part).encode());
          assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        }
        long tenantId = database.count("SELECT id FROM tenants WHERE name = 'acme'");
        Map<String, String> testShare = new HashMap<>();
        for (int i = 0; i < RECIPIENTS; i++) {
          String id = "r-" + i;
          if (Assignment.unit(Assignment.TEST, tenantId, CAMPAIGN, id) < SHARE) {
            testShare.put(id, Experiments.stableVariant(new JsonObject().put("a", new JsonObject().put("weight", 1))
              .put("b", new JsonObject().put("weight", 1)), tenantId, CAMPAIGN, id));
          }
        }
        assertThat(testShare.size()).isBetween(19_000, 21_000);
        assertThat(database.count("SELECT count(*) FROM messages WHERE state = 'waiting' AND variant IS NULL"))
          .isEqualTo(RECIPIENTS - testShare.size());

        until("the test share sent", 90, () -> database.count("SELECT count(*) FROM messages WHERE state = 'sent'")
          == testShare.size());
        assertThat(experiment(a, key).getString("status")).as("still testing once the test share is sent")
          .isEqualTo("testing");
        Map<String, SandboxServer.Receipt> before = new HashMap<>();
        for (SandboxServer.Receipt r : sandbox.receipts()) {
          assertThat(before.put(r.recipientId(), r)).as("sent twice: " + r.recipientId()).isNull();
          assertThat(testShare).as("before the decision only the test share is sent").containsKey(r.recipientId());
          assertThat(label(r)).as(r.recipientId() + " before the decision").isEqualTo(testShare.get(r.recipientId()));
        }
        assertThat(before).hasSize(testShare.size());

        // People click B's link in 300 of its messages and A's in 30.
        List<String> clicks = new ArrayList<>();
        int bClicks = 0;
        int aClicks = 0;
        for (SandboxServer.Receipt r : before.values()) {
          boolean isB = "b".equals(label(r));
          if (isB ? bClicks++ < 300 : aClicks++ < 30) {
            Matcher m = HREF.matcher(r.content().getString("html"));
            assertThat(m.find()).isTrue();
            clicks.add(m.group(1));
          }
        }
        for (String path : clicks) {
          assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.port() + path))
            .header("User-Agent", CHROME).GET())).isEqualTo(302);
        }
        until("the clicks written", 30, () -> database.count("SELECT count(*) FROM events WHERE type = 'clicked' "
          + "AND class = 'human'") == 330);
        System.out.printf("experiment under load: posted, test share sent and clicked after %d s of the %d s wait%n",
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), WAIT_SECONDS);
        assertThat(experiment(a, key).getString("status"))
          .as("the wait (%d s) outlasted posting, sending the test share and clicking", WAIT_SECONDS)
          .isEqualTo("testing");

        until("the decision", WAIT_SECONDS + 10, () -> !"testing".equals(experiment(b, key).getString("status")));
        JsonObject decided = experiment(b, key);
        assertThat(decided.getString("winner")).isEqualTo("b");
        assertThat(decided.getJsonObject("decision").getString("outcome")).isEqualTo("winner");
        assertThat(decided.getJsonObject("decision").getJsonObject("figures").getJsonObject("b")
          .getLong("human_clicks")).isEqualTo(300);

        until("everyone sent", 90, () -> database.count("SELECT count(*) FROM messages WHERE state = 'sent'")
          == RECIPIENTS);
        System.out.printf("experiment under load: all %d sent after %d s%n", RECIPIENTS,
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
        assertThat(sandbox.uniqueCount()).isEqualTo(RECIPIENTS);
        assertThat(sandbox.duplicateCount()).isZero();
        Set<String> seen = new HashSet<>();
        for (SandboxServer.Receipt r : sandbox.receipts()) {
          assertThat(seen.add(r.recipientId())).as("sent twice: " + r.recipientId()).isTrue();
          String expected = testShare.getOrDefault(r.recipientId(), "b");
          assertThat(label(r)).as(r.recipientId()).isEqualTo(expected);
        }
        assertThat(database.count("SELECT count(*) FROM events WHERE type = 'experiment_released'"))
          .isEqualTo(RECIPIENTS - testShare.size());
        assertThat(database.count("SELECT count(*) FROM campaign_experiments WHERE status = 'decided' "
          + "AND decided_at >= decide_at")).isEqualTo(1);
        assertThat(decisions(a) + decisions(b)).as("one decision between the two instances").isEqualTo(1.0);
      }
    } finally {
      TestGateway.deleteTree(dir);
    }
  }
}
