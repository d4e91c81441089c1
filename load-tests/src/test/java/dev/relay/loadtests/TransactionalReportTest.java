package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer.Receipt;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class TransactionalReportTest {

  private static final Instant T0 = Instant.parse("2026-12-07T06:00:00Z");

  @TempDir
  Path dir;

  @Test
  @DisplayName("The part's JSON: backlog drained before, during and after the window, latency percentiles, the goal")
  void partJson() {
    JsonObject json = bench(10).json(run(20, 10), after(20, 10, 1000, false));

    JsonObject backlog = json.getJsonObject("backlog");
    assertThat(backlog.getLong("delivered_before_window")).isEqualTo(100);
    assertThat(backlog.getLong("delivered_during_window")).isEqualTo(500);
    assertThat(backlog.getLong("delivered_after_window")).isEqualTo(400);
    assertThat(backlog.getLong("pending_at_window_start")).isEqualTo(900);
    assertThat(backlog.getLong("pending_at_window_end")).isEqualTo(400);
    assertThat(backlog.getDouble("drained_share_during_window")).isEqualTo(0.5);
    JsonObject t = json.getJsonObject("transactional");
    assertThat(t.getLong("accepted")).isEqualTo(20);
    assertThat(t.getLong("delivered")).isEqualTo(20);
    assertThat(t.getLong("lost")).isZero();
    assertThat(t.getLong("duplicates")).isZero();
    // Latencies 10, 20, ..., 200 ms: nearest rank p50 is the 10th, p99 the 20th.
    assertThat(t.getJsonObject("latency_ms").getDouble("p50")).isEqualTo(100.0);
    assertThat(t.getJsonObject("latency_ms").getDouble("p99")).isEqualTo(200.0);
    assertThat(t.getJsonObject("paths").getJsonObject("claimed").getLong("messages")).isEqualTo(20);
    assertThat(json.getBoolean("under_backlog_whole_window")).isTrue();
    assertThat(json.getBoolean("goal_met")).isTrue();
    assertThat(TransactionalBench.problems(json)).isEmpty();
    assertThat(json.getJsonObject("series").getJsonArray("transactional_p99_ms")).isNotEmpty();
  }

  @Test
  @DisplayName("A slow p99, a lost or a duplicated transactional message misses the goal; lost and duplicated ones fail the run")
  void goalMissed() {
    JsonObject slow = bench(10).json(run(20, 20), after(20, 20, 1000, false));
    assertThat(slow.getJsonObject("transactional").getJsonObject("latency_ms").getDouble("p99")).isEqualTo(400.0);
    assertThat(slow.getBoolean("goal_met")).isFalse();
    assertThat(TransactionalBench.problems(slow)).isEmpty();

    TransactionalBench.After missing = after(20, 10, 1000, true);
    missing.receipts().removeIf(r -> "tx-19".equals(r.recipientId()));
    JsonObject lost = bench(10).json(run(20, 10), missing);
    assertThat(lost.getJsonObject("transactional").getLong("lost")).isEqualTo(1);
    assertThat(lost.getJsonObject("transactional").getLong("duplicates")).isEqualTo(1);
    assertThat(lost.getBoolean("goal_met")).isFalse();
    assertThat(TransactionalBench.problems(lost))
      .anyMatch(p -> p.startsWith("1 accepted transactional messages never reached the sink"))
      .anyMatch(p -> p.equals("the sink received 1 transactional duplicates"));
  }

  @Test
  @DisplayName("A backlog that ran out before the window ended is said, not hidden")
  void backlogRanOut() {
    JsonObject json = bench(10, 600).json(run(20, 10), after(20, 10, 600, false));
    assertThat(json.getJsonObject("backlog").getLong("pending_at_window_end")).isZero();
    assertThat(json.getBoolean("under_backlog_whole_window")).isFalse();
    assertThat(TransactionalBench.summary(json)).contains("the backlog ran out before the window ended");
  }

  @Test
  @DisplayName("The report shows the part: its goal, its row, its CPU, its two plots; or why it was not measured")
  void inTheReport() throws Exception {
    JsonObject r = ReportWriterTest.result();
    r.put("transactional", bench(10).json(run(20, 20), after(20, 20, 1000, false)));
    ReportWriter.write(r, dir.resolve("report.json"), dir.resolve("report.html"));
    JsonObject written = new JsonObject(Files.readString(dir.resolve("report.json"), StandardCharsets.UTF_8));
    String html = Files.readString(dir.resolve("report.html"), StandardCharsets.UTF_8);

    JsonObject goal = goal(written.getJsonArray("goals"), "transactional_p99_under_backlog");
    assertThat(goal.getDouble("figure")).isEqualTo(400.0);
    assertThat(goal.getBoolean("met")).isFalse();
    assertThat(goal.getString("goal")).isEqualTo("< 250 ms");
    assertThat(html).contains("Transactional under a marketing backlog (one-recipient batches, POST to the sink)",
      "p99 400.00 ms", "<figure id=\"transactional-throughput\">", "<figure id=\"transactional-latency\">",
      "<td>Transactional under a marketing backlog</td>");
    assertThat(ReportWriter.summary(written)).contains("NOT  Transactional: p99 (ms) from the POST to the sink",
      "delivery   POST start -> sink: p50 200.0 ms");

    JsonObject failed = ReportWriterTest.result();
    failed.put("transactional", new JsonObject().put("error", "not run: left out by --parts"));
    ReportWriter.write(failed, dir.resolve("report.json"), dir.resolve("report.html"));
    JsonObject written2 = new JsonObject(Files.readString(dir.resolve("report.json"), StandardCharsets.UTF_8));
    assertThat(goal(written2.getJsonArray("goals"), "transactional_p99_under_backlog").getValue("figure")).isNull();
    assertThat(Files.readString(dir.resolve("report.html"), StandardCharsets.UTF_8))
      .contains("Not measured: not run: left out by --parts");
  }

  private static JsonObject goal(JsonArray goals, String id) {
    return goals.stream().map(JsonObject.class::cast).filter(g -> id.equals(g.getString("id"))).findFirst()
      .orElseThrow(() -> new AssertionError("no goal " + id + " in " + goals.encode()));
  }

  private static TransactionalBench bench(int durationSeconds) {
    return bench(durationSeconds, 1000);
  }

  private static TransactionalBench bench(int durationSeconds, int backlog) {
    TransactionalOptions options = new TransactionalOptions();
    options.backlog = backlog;
    options.backlogBatchSize = 500;
    options.backlogClients = 2;
    options.rate = 2;
    options.durationSeconds = durationSeconds;
    options.timeoutSeconds = 60;
    return new TransactionalBench(options, new Progress());
  }

  /** {@code n} transactional POSTs, one every 500 ms from T0 + 10 s; all accepted. The window: T0 + 10 s to + 20 s. */
  private static TransactionalBench.Run run(int n, int stepMs) {
    IntakeLoad.Phase backlog = new IntakeLoad.Phase();
    backlog.requests = 2;
    backlog.recipientsAccepted = 1000;
    backlog.startNanos = 0;
    backlog.endNanos = 2_000_000_000L;
    IntakeLoad.Phase posts = new IntakeLoad.Phase();
    Map<Long, Instant> starts = new HashMap<>();
    for (long i = 0; i < n; i++) {
      posts.accepted.add(new IntakeLoad.Accepted(i, UUID.randomUUID()));
      posts.scheduled.add(i, -1, 1);
      posts.latencyMicros.recordValue(5_000);
      starts.put(i, T0.plusSeconds(10).plusMillis(500 * i));
    }
    posts.requests = n;
    posts.recipientsAccepted = n;
    posts.startNanos = 0;
    posts.endNanos = 10_000_000_000L;
    JsonObject cpu = new JsonObject().put("gateway", 0.8).put("postgresql", 0.6).put("load_generator", 0.2)
      .put("other", 0.02).put("machine_busy", 1.62).put("machine_cores", 2);
    return new TransactionalBench.Run(backlog, posts, starts, T0.plusSeconds(10), T0.plusSeconds(20), cpu, true, null,
      T0.plusSeconds(21));
  }

  /**
   * The receipts: transactional message {@code i} arrives {@code (i + 1) * stepMs} after its POST (the last one
   * twice when {@code duplicate}); of the backlog, 100 before the window, 500 in it and the rest of
   * {@code delivered} after it. Every transactional message was claimed.
   */
  private static TransactionalBench.After after(int n, int stepMs, int delivered, boolean duplicate) {
    List<Receipt> receipts = new ArrayList<>();
    for (int g = 0; g < delivered; g++) {
      Instant at = g < 100 ? T0.plusSeconds(5) : g < 600 ? T0.plusSeconds(10).plusMillis(g * 10L) : T0.plusSeconds(25);
      receipts.add(receipt("r-" + g, at));
    }
    Map<String, Long> delays = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Instant posted = T0.plusSeconds(10).plusMillis(500L * i);
      receipts.add(receipt("tx-" + i, posted.plusMillis((long) (i + 1) * stepMs)));
      delays.put("tx-" + i, 3L);
    }
    if (duplicate) {
      receipts.add(receipt("tx-0", T0.plusSeconds(30)));
    }
    return new TransactionalBench.After(143, receipts, new JsonObject().put("sent", 1000L + n), delays);
  }

  private static Receipt receipt(String recipientId, Instant at) {
    return new Receipt("relay-" + recipientId, 1, "email", recipientId + "@example.com", Recipients.TENANT, "c",
      recipientId, "en-US", new JsonObject(), "sbx_" + recipientId, at);
  }
}
