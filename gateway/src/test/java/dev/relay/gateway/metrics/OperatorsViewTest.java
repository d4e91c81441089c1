package dev.relay.gateway.metrics;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.adapters.testkit.twilio.TwilioFake;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The operators' view against a live gateway: a small campaign goes through the sandbox provider and
 * a provider webhook arrives (one verified, one forged); then {@code /metrics} is scraped and checked
 * with promtool, and every metric the dashboards and alert rules name, and every SQL query of the
 * PostgreSQL panels, is checked against what this gateway exports and the schema it migrated.
 */
@DisplayName("Metrics, dashboards and alert rules")
class OperatorsViewTest {

  private static final String TWILIO_SID = "AC" + "0123456789abcdef".repeat(2);
  private static final int SENT = 20;
  private static final int FAILED = 2;
  private static final int REJECTED = 1;

  private static Vertx sandboxVertx;
  private static SandboxServer sandbox;
  private static TestGateway gateway;
  private static HttpResponse<Buffer> scrape;
  private static String exposition;

  @BeforeAll
  static void runCampaignAndScrape() throws Exception {
    sandboxVertx = Vertx.vertx();
    sandbox = await(SandboxServer.start(sandboxVertx, "127.0.0.1", 0));
    JsonArray accounts = new JsonArray()
      .add(new JsonObject().put("name", "sandbox-email").put("adapter", "sandbox-email")
        .put("settings", new JsonObject().put("url", sandbox.url())))
      .add(new JsonObject().put("name", "twilio").put("adapter", "sms-twilio").put("settings", new JsonObject()
        .put("account-sid", TWILIO_SID).put("auth-token", "twilio-token").put("from", "+15005550006")
        .put("base-url", "http://127.0.0.1:1")));
    gateway = TestGateway.withAccounts(accounts, Map.of(Setting.METRICS_QUEUE_REFRESH_MS, "100"));
    String key = gateway.apiKey("acme");

    JsonObject batch = Batches.batch("spring-sale", "s", SENT);
    for (int i = 0; i < FAILED; i++) {
      batch.getJsonArray("recipients").add(new JsonObject().put("id", "bad-" + i)
        .put("addresses", new JsonObject().put("email", "reject-" + i + "@example.com")));
    }
    batch.getJsonArray("recipients").add(new JsonObject().put("id", "no-address")
      .put("addresses", new JsonObject().put("email", "not-an-address")));
    HttpResponse<Buffer> posted = gateway.postBatch(key, "spring-1", batch);
    assertThat(posted.statusCode()).as(posted.bodyAsString()).isEqualTo(202);
    eventually("every message settled", 60, () -> gateway.database()
      .count("SELECT count(*) FROM messages WHERE state IN ('sent', 'failed')") == SENT + FAILED);

    assertThat(twilioWebhook("delivered", true).statusCode()).isEqualTo(200);
    assertThat(twilioWebhook("failed", false).statusCode()).isEqualTo(401);

    // The queue gauges are recounted every 100 ms here: wait until they have seen the settled queue.
    eventually("the queue recounted", 10, () -> sample(scrapeNow().bodyAsString(),
      "relay_queue_depth{state=\"queued\"}") == 0.0);
    // The JVM's GC pause timer appears only after a first collection, which a short run may not have had
    // (the gateway runs in this JVM): ask for one, so the dashboard's GC panel has its series to check.
    System.gc();
    eventually("a GC pause recorded", 10, () -> scrapeNow().bodyAsString().contains("jvm_gc_pause_seconds_count"));
    scrape = scrapeNow();
    exposition = scrape.bodyAsString();
    Files.writeString(Path.of("target", "metrics-scrape.txt"), exposition, StandardCharsets.UTF_8);
  }

  @AfterAll
  static void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (sandbox != null) {
      await(sandbox.close());
    }
    if (sandboxVertx != null) {
      await(sandboxVertx.close());
    }
  }

  private static HttpResponse<Buffer> twilioWebhook(String status, boolean signedRight) {
    String url = "http://localhost:" + gateway.port() + "/v1/webhooks/sms-twilio/twilio";
    Map<String, String> params = new LinkedHashMap<>();
    params.put("MessageSid", "SM" + status);
    params.put("MessageStatus", status);
    String signature = TwilioFake.sign(signedRight ? "twilio-token" : "forged", url, params);
    StringBuilder form = new StringBuilder();
    params.forEach((k, v) -> form.append(form.length() == 0 ? "" : "&").append(k).append('=').append(v));
    return await(gateway.get("/v1/webhooks/sms-twilio/twilio", null).method(HttpMethod.POST)
      .putHeader("Content-Type", "application/x-www-form-urlencoded")
      .putHeader("X-Twilio-Signature", signature)
      .sendBuffer(Buffer.buffer(form.toString())));
  }

  private static HttpResponse<Buffer> scrapeNow() {
    return await(gateway.get("/metrics", null).send());
  }

  private static void eventually(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + seconds + " s: " + what);
      }
      Thread.sleep(50);
    }
  }

  /** The value of the one sample whose name and labels (in exposition order) are given; NaN when absent. */
  private static double sample(String text, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  /** The sum of every sample of a metric whose labels contain all the given pairs. */
  private static double sum(String metric, String... labels) {
    double total = 0;
    for (String line : exposition.split("\n")) {
      if (!line.startsWith(metric + "{") && !line.startsWith(metric + " ")) {
        continue;
      }
      boolean matches = true;
      for (String label : labels) {
        matches &= line.contains(label);
      }
      if (matches) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  @Test
  @DisplayName("/metrics answers in the Prometheus text format with the Vert.x, JVM and relay meters")
  void exposition() {
    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.getHeader("Content-Type")).startsWith("text/plain; version=0.0.4");
    Set<String> names = OperatorsFiles.sampleNames(exposition);
    assertThat(names).contains("vertx_http_server_requests_total", "jvm_memory_used_bytes", "jvm_gc_pause_seconds_count",
      "jvm_threads_live_threads", "jvm_classes_loaded_classes", "process_cpu_usage", "process_uptime_seconds");
  }

  @Test
  @DisplayName("the relay meters count what the campaign and the webhooks did, with bounded labels only")
  void relayMeters() {
    assertThat(sum("relay_intake_messages_total", "outcome=\"accepted\"")).isEqualTo(SENT + FAILED);
    assertThat(sum("relay_intake_messages_total", "outcome=\"rejected\"")).isEqualTo(REJECTED);
    assertThat(sum("relay_intake_duration_seconds_count")).isEqualTo(1);
    assertThat(sum("relay_messages_total", "channel=\"email\"", "provider=\"sandbox-email\"", "outcome=\"sent\""))
      .isEqualTo(SENT);
    assertThat(sum("relay_messages_total", "provider=\"sandbox-email\"", "outcome=\"failed\"")).isEqualTo(FAILED);
    assertThat(sum("relay_messages_total", "provider=\"twilio\"")).as("pre-registered at zero").isZero();
    assertThat(sum("relay_send_duration_seconds_count", "provider=\"sandbox-email\"")).isPositive();
    assertThat(sum("relay_send_duration_seconds_bucket", "provider=\"sandbox-email\"", "le=\"+Inf\""))
      .isEqualTo(sum("relay_send_duration_seconds_count", "provider=\"sandbox-email\""));
    assertThat(sum("relay_queue_depth", "state=\"queued\"")).isZero();
    assertThat(sum("relay_queue_lag_seconds")).isZero();
    assertThat(sum("relay_circuit_state", "provider=\"sandbox-email\"")).as("closed").isZero();
    assertThat(exposition).contains("relay_circuit_state{provider=\"twilio\"}");
    assertThat(sum("relay_webhook_events_total", "adapter=\"sms-twilio\"", "type=\"delivered\"", "verified=\"true\""))
      .isEqualTo(1);
    assertThat(sum("relay_webhook_events_total", "adapter=\"sms-twilio\"", "verified=\"false\"")).isEqualTo(1);
    for (String reason : RelayMetrics.DEFERRAL_REASONS) {
      assertThat(exposition).contains("relay_throttle_deferred_total{reason=\"" + reason + "\"} 0.0");
    }
    assertThat(exposition).contains("relay_tracking_events_total{class=\"machine\",type=\"click\"} 0.0");
    for (String result : RelayMetrics.CONVERSION_RESULTS) {
      assertThat(exposition).contains("relay_conversions_total{result=\"" + result + "\"} 0.0");
    }
    assertThat(exposition).contains("relay_throttle_effective_rate{account=\"sandbox-email\"} +Inf");
    String samples = String.join("\n", exposition.lines().filter(l -> !l.startsWith("#")).toList());
    assertThat(samples).as("no campaign, recipient or URL in any label")
      .doesNotContain("spring-sale").doesNotContain("example.com").doesNotContain("/v1/");
  }

  @Test
  @DisplayName("promtool check metrics passes on the live scrape")
  void promtoolCheckMetrics() throws Exception {
    Promtool.Result result = Promtool.run(OperatorsFiles.GRAFANA, exposition, "check", "metrics");
    assertThat(result.exitCode()).as(result.output()).isZero();
  }

  @Test
  @DisplayName("promtool finds the scrape config and the alert rules valid, and the rules' unit tests pass")
  void promtoolRules() throws Exception {
    Promtool.Result config = Promtool.run(OperatorsFiles.GRAFANA.resolve("prometheus"), null, "check", "config",
      "prometheus.yml");
    assertThat(config.exitCode()).as(config.output()).isZero();

    List<String> args = new ArrayList<>(List.of("check", "rules"));
    OperatorsFiles.ruleFiles().forEach(f -> args.add(f.getFileName().toString()));
    assertThat(args).hasSizeGreaterThan(2);
    Promtool.Result check = Promtool.run(OperatorsFiles.GRAFANA.resolve("prometheus"), null, args.toArray(String[]::new));
    assertThat(check.exitCode()).as(check.output()).isZero();

    List<String> tests = new ArrayList<>(List.of("test", "rules"));
    OperatorsFiles.ruleTests().forEach(f -> tests.add(f.getFileName().toString()));
    assertThat(tests).hasSizeGreaterThan(2);
    Promtool.Result run = Promtool.run(OperatorsFiles.GRAFANA.resolve("prometheus"), null, tests.toArray(String[]::new));
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("SUCCESS");
  }

  private static List<OperatorsFiles.Query> allPromql() throws Exception {
    List<OperatorsFiles.Query> queries = new ArrayList<>();
    for (Path dashboard : OperatorsFiles.dashboards()) {
      queries.addAll(OperatorsFiles.promql(dashboard.getFileName().toString(), OperatorsFiles.json(dashboard)));
    }
    for (Path rules : OperatorsFiles.ruleFiles()) {
      queries.addAll(OperatorsFiles.rules(rules));
    }
    return queries;
  }

  @Test
  @DisplayName("every metric a dashboard panel or an alert rule names is one the gateway exports")
  void dashboardsAndRulesNameExportedMetrics() throws Exception {
    List<OperatorsFiles.Query> queries = allPromql();
    assertThat(queries).hasSizeGreaterThan(20);
    assertThat(OperatorsFiles.unknownMetrics(queries, OperatorsFiles.sampleNames(exposition))).isEmpty();
  }

  @Test
  @DisplayName("the check fails when a metric is renamed: in the gateway, or in a panel")
  void renamedMetricFailsTheCheck() throws Exception {
    List<OperatorsFiles.Query> queries = allPromql();
    String renamed = OperatorsFiles.without(exposition, "relay_queue_lag_seconds");
    assertThat(OperatorsFiles.unknownMetrics(queries, OperatorsFiles.sampleNames(renamed)))
      .anyMatch(p -> p.contains("relay-operations.json") && p.contains("relay_queue_lag_seconds"))
      .anyMatch(p -> p.contains("rule RelayQueueLagHigh") && p.contains("relay_queue_lag_seconds"));

    List<OperatorsFiles.Query> withTypo = new ArrayList<>(queries);
    withTypo.add(new OperatorsFiles.Query("panel 'typo'",
      "sum by (channel) (rate(relay_nope_total{outcome=\"sent\"}[$__rate_interval]))"));
    assertThat(OperatorsFiles.unknownMetrics(withTypo, OperatorsFiles.sampleNames(exposition)))
      .containsExactly("panel 'typo' names [relay_nope_total], which the gateway does not export");
  }

  @Test
  @DisplayName("the names read from PromQL are the metrics, not functions, labels, keywords or variables")
  void metricNamesOfPromql() {
    assertThat(OperatorsFiles.metricNames("histogram_quantile(0.99, sum by (le, channel) "
      + "(rate(relay_send_duration_seconds_bucket{provider=~\"$provider\"}[$__rate_interval])))"))
      .containsExactly("relay_send_duration_seconds_bucket");
    assertThat(OperatorsFiles.metricNames("max(relay_queue_lag_seconds) > 300 and on() "
      + "sum(increase(relay_messages_total{outcome=\"sent\"}[10m])) == 0 or vector(0)"))
      .containsExactly("relay_queue_lag_seconds", "relay_messages_total");
    assertThat(OperatorsFiles.metricNames("label_values(relay_messages_total, channel)"))
      .containsExactly("relay_messages_total");
  }

  @Test
  @DisplayName("the campaign dashboard shows variants, holdout and lift, read from the messages' variants and the "
    + "conversions' attributions; the operations dashboard the conversions posted")
  void experimentPanels() throws Exception {
    List<OperatorsFiles.Query> sql = OperatorsFiles.sql("relay-engagement.json",
      OperatorsFiles.json(OperatorsFiles.GRAFANA.resolve("dashboards/relay-engagement.json")));
    assertThat(sql)
      .anyMatch(q -> q.where().contains("'Variants: funnel and conversions per variant'")
        && q.text().contains("m.variant") && q.text().contains("conversion_attributions"))
      .anyMatch(q -> q.where().contains("'Holdout and lift'") && q.text().contains("'held_out'")
        && q.text().contains("conversion_attributions") && q.text().contains("1.959964"));
    List<OperatorsFiles.Query> promql = OperatorsFiles.promql("relay-operations.json",
      OperatorsFiles.json(OperatorsFiles.GRAFANA.resolve("dashboards/relay-operations.json")));
    assertThat(promql).anyMatch(q -> q.text().contains("relay_conversions_total"));
  }

  @Test
  @DisplayName("every SQL query of the PostgreSQL panels runs against the migrated schema; a bad column fails")
  void engagementSqlRuns() throws Exception {
    List<OperatorsFiles.Query> queries = new ArrayList<>();
    for (Path dashboard : OperatorsFiles.dashboards()) {
      queries.addAll(OperatorsFiles.sql(dashboard.getFileName().toString(), OperatorsFiles.json(dashboard)));
    }
    assertThat(queries).hasSizeGreaterThan(5);
    String campaigns = Long.toString(gateway.database().count("SELECT min(id) FROM campaigns"));
    try (Connection connection = gateway.database().connect()) {
      assertThat(OperatorsFiles.failingSql(connection, queries, campaigns)).isEmpty();

      List<OperatorsFiles.Query> broken = List.of(new OperatorsFiles.Query("panel 'broken'",
        "SELECT $__timeGroupAlias(occurred_at, '1h'), count(*) FROM events WHERE $__timeFilter(occurred_at)"
          + " AND campaign IN ($campaign) GROUP BY 1"));
      assertThat(OperatorsFiles.failingSql(connection, broken, campaigns))
        .singleElement().asString().contains("panel 'broken'").contains("campaign");
    }
    assertThatThrownBy(() -> OperatorsFiles.expand("SELECT $__unknownMacro(x)", "1"))
      .hasMessageContaining("$__unknownMacro");
  }
}
