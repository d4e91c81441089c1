package dev.relay.loadtests;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the result of {@code relay-bench report}: the JSON, with the goals judged from its sections, and a
 * single self-contained HTML page (no script, no style sheet, no font or image from elsewhere) with a
 * summary table, the CPU split of every phase, the machine, and for each part throughput and latency over
 * time as SVG plots drawn by XChart and inlined.
 *
 * <p>The result has one object per part ({@code e2e}, {@code intake}, {@code intake_latency},
 * {@code scale_out}, and when run {@code peer} and {@code transactional}); a part that could not be measured is {@code {"error": "..."}} and its plots are
 * replaced by that error. A part that was measured must carry every series its plots draw: a missing one
 * is an {@link IllegalArgumentException}, never a page with a plot left out.
 */
final class ReportWriter {

  /** The parts of the result, in the order of the page. */
  static final List<String> PARTS = List.of("e2e", "intake", "intake_latency", "scale_out");
  /** The plots of the page, by element id: two per part. */
  static final List<String> PLOT_IDS = List.of("e2e-throughput", "e2e-latency", "intake-throughput",
    "intake-latency", "intake-latency-80-throughput", "intake-latency-80-latency", "scale-out-throughput",
    "scale-out-latency");

  /** Cores taken by other work during a phase above which the page and the summary say the phase was disturbed. */
  static final double OTHER_NOISE_CORES = 0.1;
  private static final int WIDTH = 960;
  private static final int HEIGHT = 300;
  private static final int LEGEND_LINE = 20;
  private static final Pattern SVG_ID = Pattern.compile("id=\"([^\"]+)\"");
  /** A coordinate with more than two decimals: XChart draws every glyph as a path, in coordinates of 1/64 px. */
  private static final Pattern LONG_DECIMAL = Pattern.compile("(\\d\\.\\d\\d)\\d+");

  private ReportWriter() {
  }

  /** Judges the goals and lists the phases other work disturbed, then writes the JSON and the HTML page. */
  static void write(JsonObject result, Path json, Path html) throws IOException {
    result.put("goals", goals(result));
    result.put("noisy_phases", noisyPhases(result));
    result.put("e2e_ceiling", e2eCeiling(result));
    Path jsonDir = json.toAbsolutePath().getParent();
    Path htmlDir = html.toAbsolutePath().getParent();
    Files.createDirectories(jsonDir);
    Files.createDirectories(htmlDir);
    String page = html(result);
    Files.writeString(json, result.encodePrettily() + "\n", StandardCharsets.UTF_8);
    Files.writeString(html, page, StandardCharsets.UTF_8);
  }

  /**
   * The project's goals, each with the figure it is judged on (null when the part was not measured) and
   * whether it is met: e2e and intake ratios against their baselines, p99 intake latency at 80% of the
   * maximum, scale-out from one instance to two, and no message duplicated or lost.
   */
  static JsonArray goals(JsonObject result) {
    JsonArray goals = new JsonArray();
    JsonObject e2e = part(result, "e2e");
    goals.add(goal("e2e_ratio", "End to end: gateway messages/s ÷ bare client messages/s",
      e2e == null ? null : e2e.getDouble("ratio"), ">= " + E2eBench.GOAL_RATIO,
      e2e != null && e2e.getBoolean("goal_met", false)));
    JsonObject intake = part(result, "intake");
    goals.add(goal("intake_ratio", "Intake: recipients/s accepted ÷ COPY rows/s",
      intake == null ? null : intake.getDouble("ratio"), ">= " + IntakeBench.GOAL_RATIO,
      intake != null && intake.getBoolean("goal_met", false)));
    JsonObject latency = part(result, "intake_latency");
    goals.add(goal("intake_p99_at_80_percent", "Intake: p99 POST latency (ms) at 80% of the maximum",
      latency == null ? null : latency.getJsonObject("latency_ms").getDouble("p99"),
      "< " + Math.round(ReportCommand.P99_GOAL_MS) + " ms", latency != null && latency.getBoolean("goal_met", false)));
    JsonObject scale = part(result, "scale_out");
    goals.add(goal("scale_out_ratio", "Scale-out: messages/s of two instances ÷ one",
      scale == null ? null : scale.getDouble("ratio"), ">= " + ReportCommand.SCALE_GOAL_RATIO,
      scale != null && scale.getBoolean("goal_met", false)));
    JsonObject peer = part(result, "peer");
    if (peer != null) {
      goals.addAll(peer.getJsonArray("goals"));
    } else {
      goals.addAll(PeerBench.goals(new JsonObject()
        .put("relay", new JsonObject()).put("peer", new JsonObject()).put("ratios", new JsonObject())));
    }
    if (result.containsKey("transactional")) {
      JsonObject tx = part(result, "transactional");
      goals.add(goal("transactional_p99_under_backlog",
        "Transactional: p99 (ms) from the POST to the sink while a marketing backlog drains",
        tx == null ? null : tx.getJsonObject("transactional").getJsonObject("latency_ms").getValue("p99"),
        "< " + Math.round(TransactionalBench.GOAL_P99_MS) + " ms", tx != null && tx.getBoolean("goal_met", false)));
    }
    Long duplicates = sum(result, "duplicates");
    goals.add(goal("no_duplicates", "Messages the sink received twice (every end-to-end run)",
      duplicates, "0", duplicates != null && duplicates == 0));
    Long lost = sum(result, "lost");
    goals.add(goal("no_lost_messages", "Accepted messages that never reached the sink (every end-to-end run)",
      lost, "0", lost != null && lost == 0));
    return goals;
  }

  /**
   * How far the end-to-end goal is from what this machine can do at all, from this run's own figures: the CPU
   * each phase spent per message (per row for the COPY), and two ceilings of the ratio to the bare client, both
   * with every core of the machine busy and no poster:
   * <ul>
   *   <li>{@code copy_only}: a gateway that did nothing but what the bare client does and store each message once
   *   at the COPY's cost. No intake request, no outcome update, no event row: below any design that records its
   *   messages in this database;</li>
   *   <li>{@code free_gateway}: a gateway process that cost nothing, with PostgreSQL doing per message what it did
   *   in this run's gateway phase (the design's insert, outcome update and event row).</li>
   * </ul>
   * Null when the e2e or the intake part was not measured, or their CPU split was not read.
   */
  static JsonObject e2eCeiling(JsonObject result) {
    JsonObject e2e = part(result, "e2e");
    JsonObject intake = part(result, "intake");
    if (e2e == null || intake == null) {
      return null;
    }
    JsonObject gateway = e2e.getJsonObject("gateway");
    JsonObject bare = e2e.getJsonObject("baseline");
    JsonObject copy = intake.getJsonObject("copy");
    double bareRate = bare.getDouble("messages_per_second");
    Double bareMicros = microsPerMessage(bare.getJsonObject("cpu_cores"), null, bareRate);
    Double copyMicros = microsPerMessage(copy.getJsonObject("cpu_cores"), null, copy.getDouble("rows_per_second"));
    JsonObject gatewayCpu = gateway.getJsonObject("cpu_cores");
    double gatewayRate = gateway.getDouble("messages_per_second");
    Double gatewayMicros = microsPerMessage(gatewayCpu, null, gatewayRate);
    if (bareMicros == null || copyMicros == null || gatewayMicros == null) {
      return null;
    }
    Double databaseMicros = microsPerMessage(gatewayCpu, "postgresql", gatewayRate);
    int cores = gatewayCpu.getInteger("machine_cores");
    double copyOnly = cores * 1e6 / (bareMicros + copyMicros) / bareRate;
    double freeGateway = cores * 1e6 / (bareMicros + databaseMicros) / bareRate;
    return new JsonObject()
      .put("cpu_us_per_message", new JsonObject()
        .put("gateway_run", new JsonObject()
          .put("gateway", microsPerMessage(gatewayCpu, "gateway", gatewayRate))
          .put("gateway_jit_compiler", microsPerMessage(jvmWork(gatewayCpu), "jit_compiler", gatewayRate))
          .put("gateway_gc", microsPerMessage(jvmWork(gatewayCpu), "gc", gatewayRate))
          .put("postgresql", databaseMicros)
          .put("load_generator", microsPerMessage(gatewayCpu, "load_generator", gatewayRate))
          .put("total", gatewayMicros))
        .put("bare_client", bareMicros)
        .put("copy_row", copyMicros))
      .put("wal_bytes_per_message", new JsonObject()
        .put("gateway_run", walBytesPerRow(gateway.getJsonObject("postgresql_writes")))
        .put("copy_row", walBytesPerRow(copy.getJsonObject("postgresql_writes"))))
      .put("machine_cores", cores)
      .put("ceiling_ratio", new JsonObject()
        .put("copy_only", Reports.round(copyOnly, 4))
        .put("free_gateway", Reports.round(freeGateway, 4)))
      .put("goal_ratio", E2eBench.GOAL_RATIO);
  }

  /** WAL bytes per row of a phase's {@code postgresql_writes}; null when they were not read. */
  private static Double walBytesPerRow(JsonObject writes) {
    return writes == null ? null : writes.getDouble("wal_bytes_per_row");
  }

  /**
   * The gateway's JIT compiler and GC cores of a phase's split, with its {@code machine_busy} so that
   * {@link #microsPerMessage} takes it; null when they were not read.
   */
  private static JsonObject jvmWork(JsonObject cpu) {
    JsonObject jvm = cpu.getJsonObject("jvm_threads", new JsonObject()).getJsonObject("gateway");
    return jvm == null ? null : jvm.copy().put("machine_busy", cpu.getDouble("machine_busy"));
  }

  /**
   * Microseconds of CPU per message of a phase: of one process kind ({@code key}), or of the whole machine but
   * other work when {@code key} is null; null when the phase's CPU was not read or it moved nothing.
   */
  private static Double microsPerMessage(JsonObject cpu, String key, Double perSecond) {
    if (cpu == null || perSecond == null || perSecond <= 0 || !cpu.containsKey("machine_busy")) {
      return null;
    }
    double cores = key == null ? cpu.getDouble("machine_busy") - cpu.getDouble("other", 0.0) : cpu.getDouble(key, 0.0);
    return Reports.round(cores * 1e6 / perSecond, 1);
  }

  /** One goal of the result: its id, what it is judged on, the figure, what is wanted, whether it is met. */
  static JsonObject goal(String id, String what, Object figure, String goal, boolean met) {
    return new JsonObject().put("id", id).put("what", what).put("figure", figure).put("goal", goal).put("met", met);
  }

  /** A measured part, or null when it is absent or holds an error. */
  private static JsonObject part(JsonObject result, String name) {
    JsonObject part = result.getJsonObject(name);
    return part == null || part.containsKey("error") ? null : part;
  }

  /** Duplicates or lost messages over the end-to-end runs (e2e and scale-out); null when none was measured. */
  private static Long sum(JsonObject result, String key) {
    JsonObject e2e = part(result, "e2e");
    JsonObject scale = part(result, "scale_out");
    JsonObject peer = part(result, "peer");
    JsonObject transactional = part(result, "transactional");
    if (e2e == null && scale == null && peer == null && transactional == null) {
      return null;
    }
    long total = 0;
    if (e2e != null) {
      JsonObject g = e2e.getJsonObject("gateway");
      total += "duplicates".equals(key) ? g.getLong("duplicates") : g.getLong("messages") - g.getLong("delivered");
    }
    if (scale != null) {
      total += scale.getLong(key);
    }
    if (peer != null) {
      total += peer.getLong(key);
    }
    if (transactional != null) {
      total += transactional.getLong(key);
    }
    return total;
  }

  // ---------------------------------------------------------------------------------------------- the page

  /** The HTML page for a result whose goals were judged. */
  static String html(JsonObject r) {
    for (String name : PARTS) {
      if (r.getJsonObject(name) == null) {
        throw new IllegalArgumentException("the result has no part '" + name + "' (neither figures nor an error)");
      }
    }
    StringBuilder h = new StringBuilder(1 << 20);
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
      .append("<title>Relay performance report, ").append(esc(r.getString("started_at"))).append("</title>\n")
      .append("<style>\n")
      .append("body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1000px;color:#222;line-height:1.4}\n")
      .append("table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:.25em .6em;")
      .append("text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}\n")
      .append(".met{color:#060;font-weight:bold}.not{color:#a00;font-weight:bold}.err{color:#a00}")
      .append("td.met,td.not,th{white-space:nowrap}\n")
      .append("figure{margin:1em 0 2em}figcaption{font-size:.9em;color:#444}svg{max-width:100%;height:auto}\n")
      .append("pre{background:#f6f6f6;padding:.5em;overflow:auto;font-size:.8em}\n")
      .append("</style>\n</head>\n<body>\n");
    h.append("<h1>Relay performance report</h1>\n<p>Started ").append(esc(r.getString("started_at")))
      .append(", took ").append(num(r.getDouble("seconds"), 0)).append(" s. ");
    JsonArray failures = r.getJsonArray("failures", new JsonArray());
    if (failures.isEmpty()) {
      h.append("The run completed: every message arrived once, every request was answered.</p>\n");
    } else {
      h.append("<span class=\"not\">The run FAILED</span>:</p>\n<ul>\n");
      failures.forEach(f -> h.append("<li class=\"err\">").append(esc(String.valueOf(f))).append("</li>\n"));
      h.append("</ul>\n");
    }
    summaryTable(h, r);
    ceilingSection(h, r);
    if (r.containsKey("peer")) {
      PeerReport.html(h, r.getJsonObject("peer"));
    }
    cpuTable(h, r);
    machineTable(h, r);
    h.append("<h2>Over time</h2>\n<p>Each plot's x axis is the seconds since its phase started. Throughput is counted ")
      .append("per interval (1 s, or shorter for a short phase: see each part's <code>series.interval_ms</code>) and ")
      .append("shown per second; a latency point is the p50 or p99 of what completed in that interval (a POST: its ")
      .append("answer; a message: its arrival at the sink). Dashed lines are p99s, or what was offered. The end-to-end ")
      .append("latency plot has a logarithmic axis: its request latencies are milliseconds, its delivery latencies ")
      .append("seconds.</p>\n");
    int[] figure = {0};
    e2ePlots(h, r.getJsonObject("e2e"), figure);
    intakePlots(h, r.getJsonObject("intake"), figure);
    latencyPlots(h, r.getJsonObject("intake_latency"), figure);
    scalePlots(h, r.getJsonObject("scale_out"), figure);
    if (r.containsKey("transactional")) {
      transactionalPlots(h, r.getJsonObject("transactional"), figure);
    }
    h.append("<h2>Parameters</h2>\n<pre>").append(esc(r.getJsonObject("parameters", new JsonObject()).encodePrettily()))
      .append("</pre>\n");
    h.append("<details><summary>The whole JSON result</summary>\n<pre>").append(esc(r.encodePrettily()))
      .append("</pre>\n</details>\n</body>\n</html>\n");
    return h.toString();
  }

  private static void summaryTable(StringBuilder h, JsonObject r) {
    h.append("<h2>Summary</h2>\n<table id=\"summary\">\n<tr><th>Part</th><th>Relay</th><th>Baseline (same run)</th>")
      .append("<th>Figure</th><th>Goal</th><th>Met</th></tr>\n");
    JsonObject e2e = part(r, "e2e");
    if (e2e != null) {
      JsonObject g = e2e.getJsonObject("gateway");
      JsonObject b = e2e.getJsonObject("baseline");
      row(h, "End to end (POST to the sink's receipt)",
        num(g.getDouble("messages_per_second"), 1) + " messages/s (" + g.getLong("delivered") + " messages, "
          + num(g.getDouble("seconds"), 3) + " s)",
        "bare Vert.x client to the same sink: " + num(b.getDouble("messages_per_second"), 1) + " messages/s",
        "ratio " + num(e2e.getDouble("ratio"), 4), ">= " + E2eBench.GOAL_RATIO, e2e.getBoolean("goal_met"));
    } else {
      errorRow(h, "End to end", r.getJsonObject("e2e"));
    }
    JsonObject intake = part(r, "intake");
    if (intake != null) {
      JsonObject in = intake.getJsonObject("intake");
      JsonObject lat = in.getJsonObject("latency_ms");
      row(h, "Intake maximum (closed loop, " + intake.getJsonObject("parameters").getInteger("clients") + " clients)",
        num(in.getDouble("recipients_per_second"), 1) + " recipients/s; POST p50 " + num(lat.getDouble("p50"), 2)
          + " ms, p99 " + num(lat.getDouble("p99"), 2) + " ms"
          + (in.getBoolean("payloads_exhausted", false) ? " (the pre-generated batches ran out after "
          + num(in.getDouble("seconds"), 2) + " s; raise --max-batches)" : ""),
        "COPY of the same rows into the same tables: " + num(intake.getJsonObject("copy").getDouble("rows_per_second"), 1)
          + " rows/s",
        "ratio " + num(intake.getDouble("ratio"), 4), ">= " + IntakeBench.GOAL_RATIO, intake.getBoolean("goal_met"));
    } else {
      errorRow(h, "Intake maximum", r.getJsonObject("intake"));
    }
    JsonObject latency = part(r, "intake_latency");
    if (latency != null) {
      JsonObject lat = latency.getJsonObject("latency_ms");
      row(h, "Intake latency at " + Math.round(latency.getDouble("load_fraction") * 100) + "% of the maximum (open model)",
        num(latency.getDouble("offered_recipients_per_second"), 1) + " recipients/s offered, "
          + num(latency.getDouble("recipients_per_second"), 1) + " accepted; " + latency.getLong("dropped")
          + " batches not sent (too many unanswered)",
        "p50 " + num(lat.getDouble("p50"), 2) + " ms, p90 " + num(lat.getDouble("p90"), 2) + " ms, max "
          + num(lat.getDouble("max"), 2) + " ms",
        "p99 " + num(lat.getDouble("p99"), 2) + " ms", "< " + Math.round(ReportCommand.P99_GOAL_MS) + " ms",
        latency.getBoolean("goal_met"));
    } else {
      errorRow(h, "Intake latency at 80%", r.getJsonObject("intake_latency"));
    }
    JsonObject scale = part(r, "scale_out");
    if (scale != null) {
      row(h, "Scale-out: two instances on one database against one",
        "two: " + num(scale.getDouble("two_instances_messages_per_second"), 1) + " messages/s",
        "one: " + num(scale.getDouble("one_instance_messages_per_second"), 1) + " messages/s",
        "ratio " + num(scale.getDouble("ratio"), 4) + "; duplicates " + scale.getLong("duplicates") + ", lost "
          + scale.getLong("lost"), ">= " + ReportCommand.SCALE_GOAL_RATIO,
        scale.getBoolean("goal_met"));
    } else {
      errorRow(h, "Scale-out", r.getJsonObject("scale_out"));
    }
    JsonObject peer = part(r, "peer");
    if (peer != null) {
      JsonObject warm = peer.getJsonObject("warm");
      JsonObject relay = warm.getJsonObject("relay");
      JsonObject other = warm.getJsonObject("peer");
      JsonObject ratios = warm.getJsonObject("ratios");
      row(h, "Against graphile-worker doing the same work (warm, " + relay.getInteger("runs")
          + (relay.getInteger("runs") == 1 ? " round)" : " alternating rounds)"),
        num(relay.getDouble("messages_per_second"), 1) + " messages/s, " + num(relay.getDouble("cpu_ms_per_message"), 4)
          + " ms CPU and " + num(relay.getDouble("wal_bytes_per_message"), 1) + " B WAL per message",
        "graphile-worker: " + num(other.getDouble("messages_per_second"), 1) + " messages/s, "
          + num(other.getDouble("cpu_ms_per_message"), 4) + " ms CPU and "
          + num(other.getDouble("wal_bytes_per_message"), 1) + " B WAL per message",
        "throughput " + num(ratios.getDouble("throughput"), 4) + ", CPU " + num(ratios.getDouble("cpu_per_message"), 4)
          + ", WAL " + num(ratios.getDouble("wal_per_message"), 4),
        ">= " + PeerBench.GOAL_THROUGHPUT_RATIO + ", <= " + PeerBench.GOAL_CPU_RATIO + ", Relay WAL <= "
          + Math.round(PeerBench.GOAL_WAL_BYTES) + " B", peer.getBoolean("goals_met"));
    } else if (r.containsKey("peer")) {
      errorRow(h, "Against graphile-worker", r.getJsonObject("peer"));
    }
    JsonObject tx = part(r, "transactional");
    if (tx != null) {
      JsonObject b = tx.getJsonObject("backlog");
      JsonObject t = tx.getJsonObject("transactional");
      JsonObject lat = t.getJsonObject("latency_ms");
      row(h, "Transactional under a marketing backlog (one-recipient batches, POST to the sink)",
        t.getLong("accepted") + " batches at " + t.getDouble("rate_per_second") + "/s: p50 " + num(lat.getDouble("p50"), 2)
          + " ms, p90 " + num(lat.getDouble("p90"), 2) + " ms, max " + num(lat.getDouble("max"), 2) + " ms; lost "
          + t.getLong("lost") + ", duplicates " + t.getLong("duplicates"),
        b.getLong("messages") + " marketing messages enqueued first; " + b.getLong("pending_at_window_start")
          + " pending at the window's start, " + b.getLong("pending_at_window_end") + " at its end ("
          + num(b.getDouble("drained_share_during_window") * 100, 1) + "% drained during it)"
          + (tx.getBoolean("under_backlog_whole_window") ? "" : "; the backlog ran out before the window ended"),
        "p99 " + num(lat.getDouble("p99"), 2) + " ms", "< " + Math.round(TransactionalBench.GOAL_P99_MS) + " ms",
        tx.getBoolean("goal_met"));
    } else if (r.containsKey("transactional")) {
      errorRow(h, "Transactional under a marketing backlog", r.getJsonObject("transactional"));
    }
    h.append("</table>\n");
    goalsTable(h, "goals", r.getJsonArray("goals", new JsonArray()));
  }

  /** A table of goals, each with its figure ("not measured" when null), what is wanted and whether it is met. */
  static void goalsTable(StringBuilder h, String id, JsonArray goals) {
    h.append("<table id=\"").append(id).append("\">\n<tr><th>Goal</th><th>Figure</th><th>Wanted</th><th>Met</th></tr>\n");
    for (Object o : goals) {
      JsonObject g = (JsonObject) o;
      Object figure = g.getValue("figure");
      h.append("<tr><td>").append(esc(g.getString("what"))).append("</td><td class=\"n\">")
        .append(figure == null ? "not measured" : esc(String.valueOf(figure))).append("</td><td>")
        .append(esc(g.getString("goal"))).append("</td>").append(metCell(g.getBoolean("met"))).append("</tr>\n");
    }
    h.append("</table>\n");
  }

  private static void ceilingSection(StringBuilder h, JsonObject r) {
    JsonObject c = r.getJsonObject("e2e_ceiling");
    if (c == null) {
      return;
    }
    JsonObject us = c.getJsonObject("cpu_us_per_message");
    JsonObject run = us.getJsonObject("gateway_run");
    JsonObject ceiling = c.getJsonObject("ceiling_ratio");
    h.append("<h2>How far the end-to-end goal is</h2>\n<p>CPU per message in each phase of this run: all processes but ")
      .append("other work, divided by the phase's rate. From them, two ceilings of the end-to-end ratio (goal ")
      .append(c.getDouble("goal_ratio")).append("), both with all ").append(c.getInteger("machine_cores"))
      .append(" cores busy and no poster:</p>\n<ul>\n<li>a gateway that did only what the bare client does and stored ")
      .append("each message once at the COPY's cost (no intake request, no outcome update, no event row): <strong>")
      .append(num(ceiling.getDouble("copy_only"), 4)).append("</strong>;</li>\n<li>a gateway process that cost ")
      .append("nothing, with PostgreSQL doing per message what it did in this run: <strong>")
      .append(num(ceiling.getDouble("free_gateway"), 4)).append("</strong>.</li>\n</ul>\n")
      .append("<table id=\"ceiling\">\n<tr><th>Phase</th><th>CPU per message</th></tr>\n");
    h.append("<tr><td>End to end through the gateway: gateway ").append(num(run.getDouble("gateway"), 1)).append(" µs")
      .append(run.getDouble("gateway_jit_compiler") == null ? "" : " (of which JIT compiler "
        + num(run.getDouble("gateway_jit_compiler"), 1) + " µs, GC " + num(run.getDouble("gateway_gc"), 1) + " µs)")
      .append(", PostgreSQL ").append(num(run.getDouble("postgresql"), 1)).append(" µs, poster and sink ")
      .append(num(run.getDouble("load_generator"), 1)).append(" µs</td><td class=\"n\">")
      .append(num(run.getDouble("total"), 1)).append(" µs</td></tr>\n");
    h.append("<tr><td>Bare client and sink</td><td class=\"n\">").append(num(us.getDouble("bare_client"), 1))
      .append(" µs</td></tr>\n");
    h.append("<tr><td>COPY of one message row (PostgreSQL and the copying client)</td><td class=\"n\">")
      .append(num(us.getDouble("copy_row"), 1)).append(" µs</td></tr>\n</table>\n");
    JsonObject wal = c.getJsonObject("wal_bytes_per_message");
    if (wal.getDouble("gateway_run") != null && wal.getDouble("copy_row") != null) {
      h.append("<p>What PostgreSQL wrote to its WAL per message: through the gateway <strong>")
        .append(num(wal.getDouble("gateway_run"), 1)).append(" bytes</strong> (the intake insert, the outcome ")
        .append("update and the event row, each with its index entries, and the claims); by COPY ")
        .append(num(wal.getDouble("copy_row"), 1)).append(" bytes per row.</p>\n");
    }
  }

  private static void row(StringBuilder h, String part, String relay, String baseline, String figure, String goal,
                          boolean met) {
    h.append("<tr><td>").append(esc(part)).append("</td><td>").append(esc(relay)).append("</td><td>")
      .append(esc(baseline)).append("</td><td class=\"n\">").append(esc(figure)).append("</td><td>")
      .append(esc(goal)).append("</td>").append(metCell(met)).append("</tr>\n");
  }

  private static void errorRow(StringBuilder h, String part, JsonObject error) {
    h.append("<tr><td>").append(esc(part)).append("</td><td colspan=\"5\" class=\"err\">not measured: ")
      .append(esc(error.getString("error"))).append("</td></tr>\n");
  }

  private static String metCell(boolean met) {
    return met ? "<td class=\"met\">yes</td>" : "<td class=\"not\">no</td>";
  }

  private static void cpuTable(StringBuilder h, JsonObject r) {
    h.append("<h2>Where the CPU went</h2>\n<p>Cores used on average during each timed phase, read from ")
      .append("<code>/proc</code>. The load generator is this benchmark's JVM, which also runs the sink. ")
      .append("<code>other</code> is everything else on the machine: when it is not near 0, something outside the ")
      .append("run took CPU and the phase's figures are low. In brackets, what of a JVM's share its JIT compiler ")
      .append("and garbage collector threads took: a JVM that is still compiling is not yet at its warm speed.</p>\n");
    JsonArray noisy = r.getJsonArray("noisy_phases", new JsonArray());
    if (!noisy.isEmpty()) {
      h.append("<p class=\"err\">Other work took more than ").append(OTHER_NOISE_CORES)
        .append(" core during: ");
      for (int i = 0; i < noisy.size(); i++) {
        JsonObject n = noisy.getJsonObject(i);
        h.append(i == 0 ? "" : ", ").append(esc(n.getString("phase"))).append(" (")
          .append(num(n.getDouble("other"), 2)).append(")");
      }
      h.append(". Their figures are lower than the machine alone would give.</p>\n");
    }
    h.append("<table id=\"cpu\">\n<tr><th>Phase</th><th>Gateway (or the peer's processes)</th>")
      .append("<th>PostgreSQL</th><th>Load generator</th><th>Other</th><th>Machine busy</th></tr>\n");
    phaseCpu(r).forEach((phase, cpu) -> cpuRow(h, phase, cpu));
    h.append("</table>\n");
  }

  /** Every timed phase's CPU split, by the phase's name, in the order of the page. */
  private static Map<String, JsonObject> phaseCpu(JsonObject r) {
    Map<String, JsonObject> phases = new LinkedHashMap<>();
    JsonObject e2e = part(r, "e2e");
    if (e2e != null) {
      phases.put("End to end: gateway", e2e.getJsonObject("gateway").getJsonObject("cpu_cores"));
      phases.put("End to end: bare client", e2e.getJsonObject("baseline").getJsonObject("cpu_cores"));
    }
    JsonObject peer = part(r, "peer");
    if (peer != null) {
      for (Object o : peer.getJsonArray("phases")) {
        JsonObject run = (JsonObject) o;
        if (!"warmup".equals(run.getString("phase"))) {
          phases.put("Against graphile-worker: " + PeerReport.runLabel(run), run.getJsonObject("cpu_cores"));
        }
      }
    }
    JsonObject tx = part(r, "transactional");
    if (tx != null) {
      phases.put("Transactional under a marketing backlog", tx.getJsonObject("window").getJsonObject("cpu_cores"));
    }
    JsonObject intake = part(r, "intake");
    if (intake != null) {
      phases.put("Intake maximum", intake.getJsonObject("intake").getJsonObject("cpu_cores"));
      phases.put("COPY baseline", intake.getJsonObject("copy").getJsonObject("cpu_cores"));
    }
    JsonObject latency = part(r, "intake_latency");
    if (latency != null) {
      phases.put("Intake at 80%", latency.getJsonObject("cpu_cores"));
    }
    JsonObject scale = part(r, "scale_out");
    if (scale != null) {
      for (Object o : scale.getJsonArray("runs")) {
        JsonObject run = (JsonObject) o;
        phases.put("Scale-out: " + runLabel(run), run.getJsonObject("cpu_cores"));
      }
    }
    return phases;
  }

  /** The phases during which other work on the machine took more than {@value #OTHER_NOISE_CORES} core. */
  static JsonArray noisyPhases(JsonObject result) {
    JsonArray noisy = new JsonArray();
    phaseCpu(result).forEach((phase, cpu) -> {
      Double other = cpu == null ? null : cpu.getDouble("other");
      if (other != null && other > OTHER_NOISE_CORES) {
        noisy.add(new JsonObject().put("phase", phase).put("other", other));
      }
    });
    return noisy;
  }

  private static void cpuRow(StringBuilder h, String phase, JsonObject cpu) {
    h.append("<tr><td>").append(esc(phase)).append("</td>");
    if (cpu == null || cpu.isEmpty()) {
      h.append("<td colspan=\"5\">not read (no /proc)</td></tr>\n");
      return;
    }
    JsonObject jvm = cpu.getJsonObject("jvm_threads", new JsonObject());
    for (String name : List.of("gateway", "postgresql", "load_generator", "other")) {
      String key = "gateway".equals(name) && cpu.containsKey("own_processes") ? "own_processes" : name;
      h.append("<td class=\"n\">").append(cpu.containsKey(key) ? num(cpu.getDouble(key), 2) : "-")
        .append(cpu.containsKey(key) ? esc(Reports.jvmWork(jvm.getJsonObject(key))) : "").append("</td>");
    }
    h.append("<td class=\"n\">").append(num(cpu.getDouble("machine_busy"), 2)).append(" of ")
      .append(cpu.getInteger("machine_cores")).append("</td></tr>\n");
  }

  private static void machineTable(StringBuilder h, JsonObject r) {
    JsonObject m = r.getJsonObject("machine", new JsonObject());
    JsonObject pg = m.getJsonObject("postgresql", new JsonObject());
    h.append("<h2>Machine</h2>\n<table id=\"machine\">\n");
    machineRow(h, "Cores", String.valueOf(m.getValue("cores")));
    machineRow(h, "CPU", m.getString("cpu_model"));
    machineRow(h, "Memory", m.getLong("memory_bytes") == null ? "unknown"
      : num(m.getLong("memory_bytes") / (double) (1L << 30), 1) + " GiB");
    machineRow(h, "OS", m.getString("os"));
    machineRow(h, "Java", m.getString("java"));
    StringBuilder settings = new StringBuilder();
    pg.getJsonObject("settings", new JsonObject()).forEach(e -> settings.append(settings.length() == 0 ? "" : ", ")
      .append(e.getKey()).append(' ').append(e.getValue()));
    machineRow(h, "PostgreSQL", pg.getString("version") + (settings.length() == 0 ? "" : "; " + settings));
    JsonObject load = r.getJsonObject("load_average");
    if (load != null) {
      machineRow(h, "Load average (1, 5, 15 min)", "at the start " + load.getString("start") + "; at the end "
        + load.getString("end"));
    }
    h.append("</table>\n");
  }

  private static void machineRow(StringBuilder h, String name, String value) {
    h.append("<tr><th>").append(esc(name)).append("</th><td>").append(esc(value)).append("</td></tr>\n");
  }

  // --------------------------------------------------------------------------------------------- the plots

  /**
   * One line of a plot: a series of a part's time series, under a legend; lines of one {@code color} (an
   * index into the palette) belong together, such as a p50 and its p99 (dashed).
   */
  private record Line(String legend, JsonObject series, String key, int color, boolean dashed) {
  }

  private static final Color[] PALETTE = {
    new Color(0x1f, 0x77, 0xb4), new Color(0xff, 0x7f, 0x0e), new Color(0x2c, 0xa0, 0x2c),
    new Color(0x94, 0x67, 0xbd), new Color(0x8c, 0x56, 0x4b), new Color(0x17, 0xbe, 0xcf)};

  private static void e2ePlots(StringBuilder h, JsonObject e2e, int[] figure) {
    h.append("<h3>End to end</h3>\n");
    if (e2e.containsKey("error")) {
      notMeasured(h, e2e);
      return;
    }
    JsonObject gateway = series(e2e, "gateway");
    JsonObject baseline = series(e2e, "baseline");
    plot(h, figure, "e2e-throughput", "End to end: throughput", "per second", false, List.of(
        new Line("gateway: messages arriving at the sink", gateway, "arrivals_per_second", 0, false),
        new Line("gateway: recipients accepted by POST /v1/batches", gateway, "recipients_accepted_per_second", 1, false),
        new Line("bare client: messages accepted by the same sink", baseline, "messages_accepted_per_second", 2, false)),
      null, "The gateway phase runs from the first POST to the last message's arrival; the bare client's from its "
        + "first request to its last answer; the bare client's line is its median pass"
        + passes(e2e.getJsonObject("baseline")) + ".");
    plot(h, figure, "e2e-latency", "End to end: latency", "milliseconds (log)", true, List.of(
        new Line("gateway: POST p50", gateway, "post_p50_ms", 1, false),
        new Line("gateway: POST p99", gateway, "post_p99_ms", 1, true),
        new Line("gateway: delivery p50 (arrival - start of its batch's POST)", gateway, "delivery_p50_ms", 0, false),
        new Line("gateway: delivery p99", gateway, "delivery_p99_ms", 0, true),
        new Line("bare client: request p50", baseline, "request_p50_ms", 2, false),
        new Line("bare client: request p99", baseline, "request_p99_ms", 2, true)),
      null, "A delivery latency point is the p50/p99 of the messages that arrived in that interval.");
  }

  /** The bare client's pass rates, as " (passes: a, b, c messages/s)", or nothing when there is one. */
  private static String passes(JsonObject baseline) {
    JsonArray rates = baseline == null ? null : baseline.getJsonArray("passes_messages_per_second");
    if (rates == null || rates.size() < 2) {
      return "";
    }
    StringBuilder text = new StringBuilder(" (passes: ");
    for (int i = 0; i < rates.size(); i++) {
      text.append(i == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%,.0f", rates.getDouble(i)));
    }
    return text.append(" messages/s)").toString();
  }

  private static void intakePlots(StringBuilder h, JsonObject intake, int[] figure) {
    h.append("<h3>Intake maximum and its COPY baseline</h3>\n");
    if (intake.containsKey("error")) {
      notMeasured(h, intake);
      return;
    }
    JsonObject posts = series(intake, "intake");
    JsonObject copy = series(intake, "copy");
    plot(h, figure, "intake-throughput", "Intake maximum: throughput", "per second", false, List.of(
        new Line("intake: recipients accepted (closed loop)", posts, "recipients_accepted_per_second", 0, false),
        new Line("COPY: rows committed (same rows, same table)", copy, "rows_per_second", 1, false)),
      null, "Both phases from their own start: intake for its duration, COPY until the last of the same rows committed.");
    plot(h, figure, "intake-latency", "Intake maximum: latency", "milliseconds", false, List.of(
        new Line("intake: POST p50", posts, "post_p50_ms", 0, false),
        new Line("intake: POST p99", posts, "post_p99_ms", 0, true),
        new Line("COPY: one batch's COPY and commit p50", copy, "copy_p50_ms", 1, false),
        new Line("COPY: p99", copy, "copy_p99_ms", 1, true)),
      null, "");
  }

  private static void latencyPlots(StringBuilder h, JsonObject latency, int[] figure) {
    h.append("<h3>Intake at 80% of the maximum (open model)</h3>\n");
    if (latency.containsKey("error")) {
      notMeasured(h, latency);
      return;
    }
    JsonObject s = series(latency, null);
    plot(h, figure, "intake-latency-80-throughput", "Intake at 80% of the maximum: throughput", "recipients per second",
      false, List.of(
        new Line("offered (batches due at a fixed rate)", s, "offered_recipients_per_second", 1, true),
        new Line("accepted (202 answers)", s, "recipients_accepted_per_second", 0, false)),
      null, "Batches are sent when due, whatever the earlier ones' answers.");
    plot(h, figure, "intake-latency-80-latency", "Intake at 80% of the maximum: POST latency", "milliseconds",
      false, List.of(
        new Line("POST p50 (from the moment it was due)", s, "post_p50_ms", 0, false),
        new Line("POST p99", s, "post_p99_ms", 0, true)),
      ReportCommand.P99_GOAL_MS, "The dashed line is the goal for the p99 over the whole phase.");
  }

  private static void scalePlots(StringBuilder h, JsonObject scale, int[] figure) {
    h.append("<h3>Scale-out: one instance against two</h3>\n");
    if (scale.containsKey("error")) {
      notMeasured(h, scale);
      return;
    }
    List<Line> throughput = new ArrayList<>();
    List<Line> latency = new ArrayList<>();
    JsonArray runs = scale.getJsonArray("runs");
    if (runs == null || runs.isEmpty()) {
      throw new IllegalArgumentException("the result's scale_out has no runs to plot");
    }
    for (Object o : runs) {
      JsonObject run = (JsonObject) o;
      JsonObject s = series(run, null);
      String label = runLabel(run);
      int color = (throughput.size()) % PALETTE.length;
      throughput.add(new Line(label + ": messages arriving at the sink", s, "arrivals_per_second", color, false));
      latency.add(new Line(label + ": delivery p50", s, "delivery_p50_ms", color, false));
      latency.add(new Line(label + ": delivery p99", s, "delivery_p99_ms", color, true));
    }
    plot(h, figure, "scale-out-throughput", "Scale-out: throughput", "messages per second", false, throughput, null,
      "The same number of messages posted by the same clients, spread over the instances.");
    plot(h, figure, "scale-out-latency", "Scale-out: delivery latency", "milliseconds", false, latency, null, "");
  }

  private static void transactionalPlots(StringBuilder h, JsonObject tx, int[] figure) {
    h.append("<h3>Transactional messages under a marketing backlog</h3>\n");
    if (tx.containsKey("error")) {
      notMeasured(h, tx);
      return;
    }
    JsonObject s = series(tx, null);
    plot(h, figure, "transactional-throughput", "Transactional under a backlog: arrivals at the sink", "per second",
      false, List.of(
        new Line("marketing backlog: messages arriving", s, "backlog_arrivals_per_second", 0, false),
        new Line("transactional: messages arriving", s, "transactional_arrivals_per_second", 1, false)),
      null, "From the first transactional POST to the last transactional arrival.");
    plot(h, figure, "transactional-latency", "Transactional under a backlog: latency from the POST to the sink",
      "milliseconds", false, List.of(
        new Line("transactional p50 (by arrival)", s, "transactional_p50_ms", 1, false),
        new Line("transactional p99", s, "transactional_p99_ms", 1, true)),
      TransactionalBench.GOAL_P99_MS, "The dashed red line is the goal for the p99 over the whole run.");
  }

  private static String runLabel(JsonObject run) {
    int instances = run.getInteger("instances");
    String label = instances == 1 ? "one instance" : instances == 2 ? "two instances" : instances + " instances";
    Integer round = run.getInteger("round");
    return round == null || round == 1 ? label : label + ", round " + round;
  }

  private static void notMeasured(StringBuilder h, JsonObject part) {
    h.append("<p class=\"err\">Not measured: ").append(esc(part.getString("error"))).append("</p>\n");
  }

  /** The time series of {@code part.<phase>.series} (or {@code part.series}); an error when there is none. */
  private static JsonObject series(JsonObject part, String phase) {
    JsonObject holder = phase == null ? part : part.getJsonObject(phase);
    JsonObject series = holder == null ? null : holder.getJsonObject("series");
    if (series == null) {
      throw new IllegalArgumentException("the result has no time series for " + (phase == null ? "a part" : phase));
    }
    return series;
  }

  /** Draws one plot and appends it as a figure; every line's series must be there. */
  private static void plot(StringBuilder h, int[] figure, String id, String title, String yAxis, boolean log,
                           List<Line> lines, Double goal, String caption) {
    int legendLines = lines.size() + (goal == null ? 0 : 1);
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT + LEGEND_LINE * legendLines).title(title)
      .xAxisTitle("seconds since the phase started").yAxisTitle(yAxis).build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
    chart.getStyler().setYAxisDecimalPattern("#,##0.##");
    chart.getStyler().setMarkerSize(3);
    chart.getStyler().setYAxisLogarithmic(log);
    if (!log) {
      chart.getStyler().setYAxisMin(0.0);
    }
    double maxX = 0;
    int drawn = 0;
    for (Line line : lines) {
      JsonArray t = line.series().getJsonArray("t_seconds");
      JsonArray values = line.series().getJsonArray(line.key());
      if (t == null || values == null) {
        throw new IllegalArgumentException("plot " + id + ": the result has no series '" + line.key() + "'");
      }
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (int i = 0; i < Math.min(t.size(), values.size()); i++) {
        Double y = values.getDouble(i);
        if (y != null && (!log || y > 0)) {
          xs.add(t.getDouble(i));
          ys.add(y);
        }
        maxX = Math.max(maxX, t.getDouble(i));
      }
      if (xs.isEmpty()) {
        continue;
      }
      XYSeries series = chart.addSeries(line.legend(), xs, ys);
      series.setMarker(SeriesMarkers.CIRCLE);
      series.setLineColor(PALETTE[line.color() % PALETTE.length]);
      series.setMarkerColor(PALETTE[line.color() % PALETTE.length]);
      if (line.dashed()) {
        series.setLineStyle(SeriesLines.DASH_DASH);
      }
      drawn++;
    }
    if (goal != null) {
      XYSeries series = chart.addSeries("goal", List.of(0.0, Math.max(1.0, maxX)), List.of(goal, goal));
      series.setMarker(SeriesMarkers.NONE);
      series.setLineStyle(SeriesLines.DASH_DASH);
      series.setLineColor(Color.RED);
      drawn++;
    }
    if (drawn == 0) {
      // Nothing to draw (a phase too short to hold a sample): XChart needs a series, so one empty point at 0.
      chart.getStyler().setYAxisLogarithmic(false);
      chart.addSeries("no samples", List.of(0.0), List.of(0.0)).setMarker(SeriesMarkers.NONE);
    }
    figure[0]++;
    h.append("<figure id=\"").append(id).append("\">\n").append(svg(chart, "f" + figure[0]))
      .append("\n<figcaption>").append(esc(title)).append(caption.isEmpty() ? "" : ". " + esc(caption))
      .append("</figcaption>\n</figure>\n");
  }

  /**
   * The chart as an SVG element to inline: XChart's SVG document without its XML declaration and doctype,
   * its coordinates cut to hundredths, its element ids (clip paths) prefixed so that several charts on one
   * page never share one.
   */
  static String svg(XYChart chart, String idPrefix) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    } catch (IOException e) {
      throw new IllegalStateException("XChart could not write an SVG: " + e.getMessage(), e);
    }
    String document = out.toString(StandardCharsets.UTF_8);
    int start = document.indexOf("<svg");
    if (start < 0) {
      throw new IllegalStateException("XChart wrote no <svg> element");
    }
    // Hundredths of a pixel are as sharp as the screen gets, and the page is half the size.
    String svg = LONG_DECIMAL.matcher(document.substring(start).strip()).replaceAll("$1");
    Matcher ids = SVG_ID.matcher(svg);
    List<String> names = new ArrayList<>();
    while (ids.find()) {
      names.add(ids.group(1));
    }
    for (String name : names) {
      svg = svg.replace("id=\"" + name + "\"", "id=\"" + idPrefix + "-" + name + "\"")
        .replace("url(#" + name + ")", "url(#" + idPrefix + "-" + name + ")")
        .replace("href=\"#" + name + "\"", "href=\"#" + idPrefix + "-" + name + "\"");
    }
    return svg;
  }

  // -------------------------------------------------------------------------------------------- the text

  /** The summary printed on standard output: the goals, and where the files are. */
  static String summary(JsonObject r) {
    StringBuilder s = new StringBuilder();
    s.append(Reports.header("Relay performance report", r));
    for (Object o : r.getJsonArray("goals")) {
      s.append(Reports.goalLine((JsonObject) o));
    }
    JsonObject c = r.getJsonObject("e2e_ceiling");
    if (c != null) {
      JsonObject us = c.getJsonObject("cpu_us_per_message");
      JsonObject run = us.getJsonObject("gateway_run");
      JsonObject ceiling = c.getJsonObject("ceiling_ratio");
      s.append(String.format(Locale.ROOT, "  e2e ceilings, all %d cores busy: the bare client's work plus one COPY row "
          + "per message %.4f; a gateway process that cost nothing, with this run's database work %.4f%n",
          c.getInteger("machine_cores"), ceiling.getDouble("copy_only"), ceiling.getDouble("free_gateway")))
        .append(String.format(Locale.ROOT, "    CPU per message: bare client and sink %.1f µs, COPY row %.1f µs; "
          + "through the gateway %.1f µs (gateway %.1f%s, PostgreSQL %.1f, poster and sink %.1f)%n",
          us.getDouble("bare_client"), us.getDouble("copy_row"), run.getDouble("total"), run.getDouble("gateway"),
          run.getDouble("gateway_jit_compiler") == null ? ""
            : String.format(Locale.ROOT, " of which JIT compiler %.1f and GC %.1f", run.getDouble("gateway_jit_compiler"),
              run.getDouble("gateway_gc")),
          run.getDouble("postgresql"), run.getDouble("load_generator")));
      JsonObject wal = c.getJsonObject("wal_bytes_per_message");
      if (wal.getDouble("gateway_run") != null && wal.getDouble("copy_row") != null) {
        s.append(String.format(Locale.ROOT, "    PostgreSQL's WAL per message: through the gateway %.1f bytes, "
          + "COPY row %.1f bytes%n", wal.getDouble("gateway_run"), wal.getDouble("copy_row")));
      }
    }
    JsonObject peer = part(r, "peer");
    if (peer != null) {
      s.append("  ").append(PeerReport.summary(peer, false).replace("\n", "\n  ").stripTrailing()).append('\n');
    }
    JsonObject tx = part(r, "transactional");
    if (tx != null) {
      s.append("  Transactional under a marketing backlog:\n")
        .append(TransactionalBench.summary(tx).replace("\n  ", "\n    ").replaceFirst("^  ", "    "));
    }
    for (Object o : r.getJsonArray("noisy_phases", new JsonArray())) {
      JsonObject n = (JsonObject) o;
      s.append(String.format(Locale.ROOT, "  noise: other work took %.2f cores during %s%n", n.getDouble("other"),
        n.getString("phase")));
    }
    JsonArray failures = r.getJsonArray("failures", new JsonArray());
    if (failures.isEmpty()) {
      s.append("Completed: every message arrived once, every request was answered.\n");
    } else {
      failures.forEach(f -> s.append("FAILED: ").append(f).append('\n'));
    }
    return s.toString();
  }

  private static String num(Double value, int digits) {
    return value == null ? "-" : String.format(Locale.ROOT, "%." + digits + "f", value);
  }

  /** Text for HTML: the five characters that could end an element or an attribute, escaped. */
  static String esc(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
