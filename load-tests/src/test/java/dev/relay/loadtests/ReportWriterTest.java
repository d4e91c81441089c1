package dev.relay.loadtests;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReportWriterTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("The JSON holds every part, the machine, the parameters, and the goals judged from the figures")
  void jsonHasThePartsAndTheGoals() throws Exception {
    JsonObject written = write(result());

    assertThat(written.getString("benchmark")).isEqualTo("report");
    assertThat(written.getJsonObject("machine").getInteger("cores")).isEqualTo(2);
    assertThat(written.getJsonObject("parameters").getInteger("messages")).isEqualTo(50000);
    assertThat(written.getJsonObject("e2e").getDouble("ratio")).isEqualTo(0.2099);
    assertThat(written.getJsonObject("intake").getJsonObject("copy").getDouble("rows_per_second")).isEqualTo(85000.0);
    assertThat(written.getJsonObject("intake_latency").getJsonObject("latency_ms").getDouble("p99")).isEqualTo(87.5);
    assertThat(written.getJsonObject("scale_out").getJsonArray("runs")).hasSize(2);
    for (String part : ReportWriter.PARTS) {
      assertThat(written.getJsonObject(part).containsKey("error")).as("part %s measured", part).isFalse();
    }

    assertThat(written.getJsonArray("noisy_phases")).isEmpty();
    JsonArray goals = written.getJsonArray("goals");
    assertThat(goals).hasSize(9);
    assertThat(goal(goals, "e2e_ratio").getDouble("figure")).isEqualTo(0.2099);
    assertThat(goal(goals, "e2e_ratio").getBoolean("met")).isFalse();
    assertThat(goal(goals, "intake_ratio").getBoolean("met")).isTrue();
    assertThat(goal(goals, "intake_p99_at_80_percent").getDouble("figure")).isEqualTo(87.5);
    assertThat(goal(goals, "intake_p99_at_80_percent").getBoolean("met")).isTrue();
    assertThat(goal(goals, "scale_out_ratio").getDouble("figure")).isEqualTo(0.9512);
    assertThat(goal(goals, "scale_out_ratio").getBoolean("met")).isFalse();
    assertThat(goal(goals, "no_duplicates").getLong("figure")).isZero();
    assertThat(goal(goals, "no_duplicates").getBoolean("met")).isTrue();
    assertThat(goal(goals, "no_lost_messages").getBoolean("met")).isTrue();
    assertThat(goal(goals, "peer_throughput_ratio").getDouble("figure")).isEqualTo(1.5);
    assertThat(goal(goals, "peer_throughput_ratio").getBoolean("met")).isTrue();
    assertThat(goal(goals, "peer_cpu_ratio").getBoolean("met")).isFalse();
    assertThat(goal(goals, "relay_wal_per_message").getDouble("figure")).isEqualTo(1200.0);
  }

  @Test
  @DisplayName("The comparison with graphile-worker shows both sides warm and cold, the ratios and the goals")
  void peerComparisonIsShown() throws Exception {
    JsonObject r = result();
    JsonArray phases = r.getJsonObject("peer").getJsonArray("phases");
    phases.getJsonObject(3).put("duplicates", 2L);
    r.getJsonObject("peer").mergeIn(PeerBench.summarize(phases.stream().map(JsonObject.class::cast).toList()));
    JsonObject written = write(r);
    String html = Files.readString(dir.resolve("report.html"), StandardCharsets.UTF_8);

    assertThat(html).contains("<table id=\"peer-comparison\">", "<table id=\"peer-goals\">", "<table id=\"peer-runs\">",
      "graphile-worker 0.18.0 on Node v20.20.2", "2 worker processes, concurrentJobs 200",
      "<tr><th>warm: messages/s</th><td class=\"n\">2500.0</td><td class=\"n\">1666.7</td><td class=\"n\">1.5000</td>",
      "<tr><th>warm: CPU ms per message</th><td class=\"n\">0.5600</td><td class=\"n\">0.6000</td>",
      "<tr><th>cold: messages/s</th><td class=\"n\">2500.0</td><td class=\"n\">2000.0</td><td class=\"n\">1.2500</td>",
      "Against graphile-worker: graphile-worker, round 1", "throughput 1.5000, CPU 0.9333, WAL 0.8000",
      "their idle polling took: the gateway 0.02, the peer 0.01, PostgreSQL 0.01 cores, and 120.0 bytes of WAL");
    assertThat(html).doesNotContain("Against graphile-worker: Relay, warm-up", "cold, no AOT cache");
    assertThat(html).contains("<tr><th>warm: … of it, the JIT compiler</th><td class=\"n\">0.0840</td>");
    // The peer's runs count in the exactly-once goals with the other end-to-end runs.
    assertThat(goal(written.getJsonArray("goals"), "no_duplicates").getLong("figure")).isEqualTo(2L);
    String summary = ReportWriter.summary(written);
    assertThat(summary).contains("Relay against graphile-worker 0.18.0 (Node v20.20.2): 2 worker processes",
      "warm  Relay 2500.0 messages/s, 0.5600 ms CPU/message (JIT compiler 0.0840), 1200.0 B WAL/message | peer 1666.7 "
        + "messages/s",
      "Relay/peer: throughput 1.5000, CPU 0.9333, WAL 0.8000 (1 run each)",
      "NOT  Relay CPU ms per message ÷ graphile-worker's", "content per message: Relay 1440.0 B, peer 1440.0 B (same size)",
      "idle floor (both sides up, nothing to do): gateway 0.02, peer 0.01, PostgreSQL 0.01 cores, 120.0 B WAL/s");
    // The report lists the peer's goals with the others, once; relay-bench peer prints them under its figures.
    assertThat(count(summary, "Relay CPU ms per message ÷")).isEqualTo(1);
    assertThat(PeerReport.summary(written.getJsonObject("peer"), true))
      .contains("met  Relay messages/s ÷ graphile-worker messages/s (warm): 1.5 (goal >= 1.5)",
        "met  Relay WAL bytes per delivered message (warm): 1200.0 (goal <= 1200)");

    JsonObject cached = result();
    JsonObject cachedPeer = cached.getJsonObject("peer");
    cachedPeer.getJsonArray("phases").add(PeerBenchTest.run("relay", PeerBench.COLD_WITHOUT_AOT_CACHE, 0, 8.0, 1.8, 1500L));
    cachedPeer.mergeIn(PeerBench.summarize(cachedPeer.getJsonArray("phases").stream().map(JsonObject.class::cast).toList()));
    String cachedSummary = ReportWriter.summary(write(cached));
    assertThat(Files.readString(dir.resolve("report.html"), StandardCharsets.UTF_8)).contains(
      "Relay's gateways run with an AOT cache",
      "<tr><th>cold, no AOT cache: messages/s</th><td class=\"n\">1250.0</td><td class=\"n\">2000.0</td>"
        + "<td class=\"n\">0.6250</td>",
      "Against graphile-worker: Relay, cold, no AOT cache");
    assertThat(cachedSummary).contains("cold, no AOT cache Relay 1250.0 messages/s");

    JsonObject failed = result();
    failed.put("peer", new JsonObject().put("error", "IllegalStateException: cannot run node"));
    JsonObject written2 = write(failed);
    assertThat(Files.readString(dir.resolve("report.html"), StandardCharsets.UTF_8))
      .contains("Not measured: IllegalStateException: cannot run node");
    assertThat(goal(written2.getJsonArray("goals"), "peer_throughput_ratio").getValue("figure")).isNull();
  }

  @Test
  @DisplayName("The e2e ceilings come from the run's own CPU per message: bare client, COPY row, and the gateway's phase")
  void e2eCeilingsFromTheRunsOwnFigures() throws Exception {
    JsonObject ceiling = write(result()).getJsonObject("e2e_ceiling");

    // Every phase: 1.98 cores busy, 0.04 of them other work. The bare client: 1.94 cores at 20,154.6 messages/s.
    JsonObject us = ceiling.getJsonObject("cpu_us_per_message");
    assertThat(us.getDouble("bare_client")).isEqualTo(96.3);
    assertThat(us.getDouble("copy_row")).isEqualTo(22.8);
    JsonObject run = us.getJsonObject("gateway_run");
    assertThat(run.getDouble("total")).isEqualTo(458.7);
    assertThat(run.getDouble("gateway")).isEqualTo(248.3);
    assertThat(run.getDouble("postgresql")).isEqualTo(108.8);
    assertThat(run.getDouble("load_generator")).isEqualTo(101.7);
    // Of the gateway's, its JIT compiler 0.3 cores and its GC 0.05 at 4,229.5 messages/s.
    assertThat(run.getDouble("gateway_jit_compiler")).isEqualTo(70.9);
    assertThat(run.getDouble("gateway_gc")).isEqualTo(11.8);
    assertThat(ceiling.getJsonObject("wal_bytes_per_message"))
      .isEqualTo(new JsonObject().put("gateway_run", 2772.2).put("copy_row", 612.3));
    // 2 cores / (96.3 + 22.8 µs) = 16,792.6 messages/s; 2 cores / (96.3 + 108.8 µs) = 9,751.3 messages/s.
    assertThat(ceiling.getJsonObject("ceiling_ratio").getDouble("copy_only")).isEqualTo(0.8332);
    assertThat(ceiling.getJsonObject("ceiling_ratio").getDouble("free_gateway")).isEqualTo(0.4838);

    String html = Files.readString(dir.resolve("report.html"), StandardCharsets.UTF_8);
    assertThat(html).contains("<table id=\"ceiling\">", "<strong>0.8332</strong>", "<strong>0.4838</strong>",
      "PostgreSQL 108.8 µs", "gateway 248.3 µs (of which JIT compiler 70.9 µs, GC 11.8 µs), PostgreSQL",
      "<td class=\"n\">1.05 (JIT 0.30, GC 0.05)</td>", "<td class=\"n\">0.43 (JIT 0.10, GC 0.02)</td>",
      "through the gateway <strong>2772.2 bytes</strong>", "by COPY 612.3 bytes per row");
    assertThat(ReportWriter.summary(write(result()))).contains("the bare client's work plus one COPY row per message "
      + "0.8332; a gateway process that cost nothing, with this run's database work 0.4838",
      "gateway 248.3 of which JIT compiler 70.9 and GC 11.8, PostgreSQL 108.8",
      "PostgreSQL's WAL per message: through the gateway 2772.2 bytes, COPY row 612.3 bytes");
    assertThat(Reports.writesLine(result().getJsonObject("e2e").getJsonObject("gateway")
      .getJsonObject("postgresql_writes"), "message")).isEqualTo("  pg WAL     2772.2 bytes per message (132.2 MiB in all)\n");
    assertThat(Reports.writesLine(new JsonObject().put("error", "not read: no pg_current_wal_insert_lsn"), "row"))
      .isEqualTo("  pg WAL     not read: no pg_current_wal_insert_lsn\n");
    assertThat(Reports.cpuLine(result().getJsonObject("e2e").getJsonObject("gateway").getJsonObject("cpu_cores")))
      .contains("gateway 1.05 (JIT 0.30, GC 0.05), postgresql 0.46, load generator 0.43 (JIT 0.10, GC 0.02), other");
    assertThat(Reports.cpuLine(result().getJsonObject("intake").getJsonObject("intake").getJsonObject("cpu_cores")))
      .contains("gateway 1.05, postgresql 0.46, load generator 0.43, other");

    JsonObject noIntake = result();
    noIntake.put("intake", new JsonObject().put("error", "not run: left out by --parts"));
    assertThat(write(noIntake).getValue("e2e_ceiling")).isNull();
    JsonObject noCpu = result();
    noCpu.getJsonObject("e2e").getJsonObject("baseline").put("cpu_cores", new JsonObject());
    assertThat(write(noCpu).getValue("e2e_ceiling")).isNull();
  }

  @Test
  @DisplayName("The HTML page has an SVG in every plot, the summary figures, and nothing fetched from elsewhere")
  void htmlHasEveryPlotAndTheFigures() throws Exception {
    write(result());
    String html = Files.readString(dir.resolve("report.html"), StandardCharsets.UTF_8);

    assertThat(ReportWriter.PLOT_IDS).hasSize(8);
    for (String id : ReportWriter.PLOT_IDS) {
      Matcher figure = Pattern.compile("<figure id=\"" + id + "\">(.*?)</figure>", Pattern.DOTALL).matcher(html);
      assertThat(figure.find()).as("a figure with id %s", id).isTrue();
      assertThat(figure.group(1)).as("the plot %s", id).contains("<svg").contains("</svg>").contains("<path");
    }
    assertThat(count(html, "<svg")).isEqualTo(ReportWriter.PLOT_IDS.size());
    // Clip paths are renamed per plot, so no two plots on the page share an element id.
    Matcher ids = Pattern.compile(" id=\"([^\"]+)\"").matcher(html);
    java.util.Set<String> seen = new java.util.HashSet<>();
    while (ids.find()) {
      assertThat(seen.add(ids.group(1))).as("element id %s is unique", ids.group(1)).isTrue();
    }

    assertThat(html).contains("4229.5 messages/s", "20154.6 messages/s", "ratio 0.2099");
    assertThat(html).contains("median pass (passes: 18,012, 20,155, 31,877 messages/s)");
    assertThat(html).contains("44490.0 recipients/s", "85000.0 rows/s", "ratio 0.5234");
    assertThat(html).contains("p99 87.50 ms", "35592.0 recipients/s offered");
    assertThat(html).contains("two: 4020.0 messages/s", "one: 4226.3 messages/s", "ratio 0.9512");
    assertThat(html).contains("AMD EPYC", "PostgreSQL", "<table id=\"cpu\">", "Scale-out: two instances");
    assertThat(html).doesNotContain("<script", "<link", "<img", "src=\"http", "href=\"http", "@import");
  }

  @Test
  @DisplayName("A measured part without the series of one of its plots is refused, not drawn with a plot missing")
  void aMissingSeriesIsRefused() {
    JsonObject r = result();
    r.getJsonObject("intake_latency").getJsonObject("series").remove("post_p99_ms");

    assertThatThrownBy(() -> write(r)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("post_p99_ms");
    assertThat(dir.resolve("report.html")).doesNotExist();

    JsonObject noSeries = result();
    noSeries.getJsonObject("e2e").getJsonObject("baseline").remove("series");
    assertThatThrownBy(() -> write(noSeries)).isInstanceOf(IllegalArgumentException.class)
      .hasMessageContaining("baseline");

    JsonObject noPart = result();
    noPart.remove("scale_out");
    assertThatThrownBy(() -> write(noPart)).isInstanceOf(IllegalArgumentException.class)
      .hasMessageContaining("scale_out");
  }

  @Test
  @DisplayName("A part that could not be measured shows its error in place of its plots, and its goal as not measured")
  void aPartInErrorShowsTheError() throws Exception {
    JsonObject r = result();
    r.put("scale_out", new JsonObject().put("error", "IllegalStateException: the gateway exited with code 1"));
    r.put("failures", new JsonArray().add("scale_out: not measured: the gateway exited with code 1"));
    r.getJsonObject("intake_latency").put("cpu_cores", new JsonObject().put("gateway", 0.3).put("postgresql", 0.6)
      .put("load_generator", 0.05).put("other", 0.93).put("machine_busy", 1.88).put("machine_cores", 2));
    JsonObject written = write(r);
    String html = Files.readString(dir.resolve("report.html"), StandardCharsets.UTF_8);

    assertThat(goal(written.getJsonArray("goals"), "scale_out_ratio").getValue("figure")).isNull();
    assertThat(goal(written.getJsonArray("goals"), "scale_out_ratio").getBoolean("met")).isFalse();
    assertThat(html).contains("The run FAILED", "Not measured: IllegalStateException: the gateway exited with code 1");
    assertThat(written.getJsonArray("noisy_phases").getJsonObject(0).getString("phase")).isEqualTo("Intake at 80%");
    assertThat(html).contains("Other work took more than 0.1 core during: Intake at 80% (0.93)");
    assertThat(html).doesNotContain("<figure id=\"scale-out-throughput\">");
    assertThat(count(html, "<svg")).isEqualTo(6);
  }

  private JsonObject write(JsonObject result) throws Exception {
    ReportWriter.write(result, dir.resolve("report.json"), dir.resolve("report.html"));
    return new JsonObject(Files.readString(dir.resolve("report.json"), StandardCharsets.UTF_8));
  }

  private static JsonObject goal(JsonArray goals, String id) {
    return goals.stream().map(JsonObject.class::cast).filter(g -> id.equals(g.getString("id"))).findFirst()
      .orElseThrow(() -> new AssertionError("no goal " + id + " in " + goals.encode()));
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  /** A fixed result shaped as the report command writes it: figures of a plausible run, short series. */
  static JsonObject result() {
    JsonObject cpu = new JsonObject().put("gateway", 1.05).put("postgresql", 0.46).put("load_generator", 0.43)
      .put("other", 0.04).put("machine_busy", 1.98).put("machine_cores", 2);
    JsonObject e2e = new JsonObject()
      .put("parameters", new JsonObject().put("messages", 50000).put("clients", 4))
      .put("gateway", new JsonObject()
        .put("seconds", 11.822).put("messages", 50000L).put("delivered", 50000L).put("messages_per_second", 4229.5)
        .put("complete", true).put("duplicates", 0L)
        .put("posts", new JsonObject().put("errors", 0L).put("recipients_rejected", 0L))
        .put("cpu_cores", cpu.copy().put("jvm_threads", new JsonObject()
          .put("gateway", new JsonObject().put("jit_compiler", 0.3).put("gc", 0.05))
          .put("load_generator", new JsonObject().put("jit_compiler", 0.1).put("gc", 0.02))))
        .put("postgresql_writes", new JsonObject().put("rows", 50000L).put("wal_bytes", 138_610_000L)
          .put("wal_bytes_per_row", 2772.2))
        .put("series", series(1000, 4,
          "arrivals_per_second", new Object[] {0.0, 800.0, 5300.0, 6200.0},
          "recipients_accepted_per_second", new Object[] {17000.0, 16000.0, 0.0, 0.0},
          "post_p50_ms", new Object[] {190.0, 201.5, null, null},
          "post_p99_ms", new Object[] {420.0, 563.7, null, null},
          "delivery_p50_ms", new Object[] {null, 900.0, 2500.0, 3900.0},
          "delivery_p99_ms", new Object[] {null, 990.0, 2900.0, 4100.0})))
      .put("baseline", new JsonObject()
        .put("seconds", 2.481).put("delivered", 50000L).put("messages_per_second", 20154.6).put("cpu_cores", cpu)
        .put("passes_messages_per_second", new JsonArray().add(18012.4).add(20154.6).add(31877.0))
        .put("series", series(250, 3,
          "messages_accepted_per_second", new Object[] {19000.0, 21000.0, 20100.0},
          "request_p50_ms", new Object[] {3.1, 2.9, 3.3},
          "request_p99_ms", new Object[] {40.2, 12.0, 9.7})))
      .put("ratio", 0.2099).put("goal_ratio", 0.5).put("goal_met", false)
      .put("checks", new JsonObject().put("payloads_identical", true));
    JsonObject intake = new JsonObject()
      .put("parameters", new JsonObject().put("clients", 4).put("batch_size", 1000))
      .put("intake", new JsonObject()
        .put("recipients_per_second", 44490.0)
        .put("latency_ms", new JsonObject().put("p50", 84.8).put("p90", 120.0).put("p99", 165.8).put("max", 210.0))
        .put("cpu_cores", cpu)
        .put("series", series(1000, 3,
          "recipients_accepted_per_second", new Object[] {43000.0, 45000.0, 45400.0},
          "post_p50_ms", new Object[] {86.0, 84.0, 84.5},
          "post_p99_ms", new Object[] {170.0, 160.0, 165.0})))
      .put("copy", new JsonObject()
        .put("rows_per_second", 85000.0).put("cpu_cores", withoutGateway(cpu))
        .put("postgresql_writes", new JsonObject().put("rows", 1_000_000L).put("wal_bytes", 612_300_000L)
          .put("wal_bytes_per_row", 612.3))
        .put("series", series(1000, 2,
          "rows_per_second", new Object[] {84000.0, 86000.0},
          "copy_p50_ms", new Object[] {45.0, 46.0},
          "copy_p99_ms", new Object[] {80.0, 70.0})))
      .put("ratio", 0.5234).put("goal_ratio", 0.5).put("goal_met", true);
    JsonObject latency = new JsonObject()
      .put("load_fraction", 0.8).put("max_recipients_per_second", 44490.0)
      .put("offered_recipients_per_second", 35592.0).put("recipients_per_second", 35500.0).put("dropped", 0L)
      .put("latency_ms", new JsonObject().put("p50", 31.2).put("p90", 52.0).put("p99", 87.5).put("max", 120.4))
      .put("goal_p99_ms", 100.0).put("goal_met", true).put("cpu_cores", cpu)
      .put("series", series(1000, 3,
        "offered_recipients_per_second", new Object[] {36000.0, 35000.0, 36000.0},
        "recipients_accepted_per_second", new Object[] {35000.0, 36000.0, 35500.0},
        "post_p50_ms", new Object[] {33.0, 30.0, 31.0},
        "post_p99_ms", new Object[] {95.0, 80.0, 85.0}));
    JsonArray runs = new JsonArray();
    for (int instances = 1; instances <= 2; instances++) {
      runs.add(new JsonObject().put("instances", instances).put("round", 1)
        .put("messages", 50000L).put("delivered", 50000L).put("duplicates", 0L)
        .put("messages_per_second", instances == 1 ? 4226.3 : 4020.0).put("cpu_cores", cpu)
        .put("series", series(1000, 3,
          "arrivals_per_second", new Object[] {1000.0, 5000.0, 6000.0},
          "recipients_accepted_per_second", new Object[] {20000.0, 0.0, 0.0},
          "post_p50_ms", new Object[] {150.0, null, null},
          "post_p99_ms", new Object[] {400.0, null, null},
          "delivery_p50_ms", new Object[] {700.0, 1500.0, 2500.0},
          "delivery_p99_ms", new Object[] {900.0, 1900.0, 2900.0})));
    }
    JsonObject scale = new JsonObject()
      .put("messages", 50000L).put("rounds", 1)
      .put("one_instance_messages_per_second", 4226.3).put("two_instances_messages_per_second", 4020.0)
      .put("ratio", 0.9512).put("goal_ratio", 1.0).put("goal_met", false).put("duplicates", 0L).put("lost", 0L)
      .put("runs", runs);
    return new JsonObject()
      .put("benchmark", "report")
      .put("started_at", "2026-11-22T18:00:00Z")
      .put("seconds", 301.4)
      .put("machine", new JsonObject().put("cores", 2).put("cpu_model", "AMD EPYC").put("memory_bytes", 25276514304L)
        .put("os", "Linux 6.18.44 amd64").put("java", "17.0.15")
        .put("postgresql", new JsonObject().put("version", "15.20").put("settings", new JsonObject())))
      .put("load_average", new JsonObject().put("start", "0.50 0.40 0.30").put("end", "1.90 1.20 0.70"))
      .put("parameters", new JsonObject().put("messages", 50000).put("clients", 4))
      .put("e2e", e2e)
      .put("intake", intake)
      .put("intake_latency", latency)
      .put("scale_out", scale)
      .put("peer", peer())
      .put("failures", new JsonArray())
      .put("completed", true);
  }

  /** The peer part as PeerBench writes it, from one cold run and one round of each side. */
  static JsonObject peer() {
    JsonArray phases = new JsonArray()
      .add(PeerBenchTest.run("relay", "cold", 0, 4.0, 1.6, 3000L))
      .add(PeerBenchTest.run("peer", "cold", 0, 5.0, 1.6, 1500L))
      .add(PeerBenchTest.run("relay", "warmup", 0, 4.0, 1.4, 1200L))
      .add(PeerBenchTest.run("relay", "round", 1, 4.0, 1.4, 1200L))
      .add(PeerBenchTest.run("peer", "round", 1, 6.0, 1.0, 1500L));
    return PeerBench.summarize(phases.stream().map(JsonObject.class::cast).toList())
      .put("peer", new JsonObject().put("name", "graphile-worker").put("version", "0.18.0").put("node", "v20.20.2")
        .put("configuration", new GraphilePeer.Settings(2, 200, 500, 10, 0, 2, 50, 4).toJson()))
      .put("parameters", new JsonObject().put("messages", 10000).put("warmup_messages", 10000).put("rounds", 1)
        .put("batch_size", 1000).put("clients", 4).put("send_batch", 50))
      .put("idle", new JsonObject().put("seconds", 3.0).put("gateway_cores", 0.02).put("peer_cores", 0.01)
        .put("postgresql_cores", 0.01).put("other_cores", 0.0).put("wal_bytes_per_second", 120.0))
      .put("phases", phases);
  }

  private static JsonObject withoutGateway(JsonObject cpu) {
    JsonObject copy = cpu.copy();
    copy.remove("gateway");
    return copy;
  }

  private static JsonObject series(long intervalMs, int intervals, Object... namesAndValues) {
    JsonArray t = new JsonArray();
    for (int i = 0; i < intervals; i++) {
      t.add(i * intervalMs / 1000.0);
    }
    JsonObject series = new JsonObject().put("interval_ms", intervalMs).put("t_seconds", t);
    for (int i = 0; i < namesAndValues.length; i += 2) {
      JsonArray values = new JsonArray();
      for (Object v : (Object[]) namesAndValues[i + 1]) {
        values.add(v);
      }
      series.put((String) namesAndValues[i], values);
    }
    return series;
  }
}
