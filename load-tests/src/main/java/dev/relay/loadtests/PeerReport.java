package dev.relay.loadtests;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Locale;

/**
 * The comparison with graphile-worker ({@link PeerBench}) as summary lines and as a section of the HTML report:
 * both sides warm and cold, the ratios, the goals, every run, and the peer's configuration.
 */
final class PeerReport {

  private PeerReport() {
  }

  /**
   * The summary lines of a measured comparison (the {@code peer} part of a result); with its goals, unless the
   * caller lists them with others.
   */
  static String summary(JsonObject peer, boolean withGoals) {
    StringBuilder s = new StringBuilder();
    JsonObject p = peer.getJsonObject("peer");
    JsonObject conf = p.getJsonObject("configuration");
    s.append(String.format(Locale.ROOT, "Relay against %s %s (Node %s): %d worker processes, concurrentJobs %d, "
        + "localQueue %d, maxPoolSize %d, completeJobBatchDelay %d ms, requests of %d to the sink%n",
      p.getString("name"), p.getString("version"), p.getString("node"), conf.getInteger("worker_processes"),
      conf.getInteger("concurrent_jobs"), conf.getInteger("local_queue_size"), conf.getInteger("max_pool_size"),
      conf.getInteger("complete_job_batch_delay_ms"), conf.getInteger("send_batch")));
    for (String kind : kinds(peer)) {
      JsonObject k = peer.getJsonObject(kind);
      JsonObject r = k.getJsonObject("relay");
      JsonObject g = k.getJsonObject("peer");
      JsonObject x = k.getJsonObject("ratios");
      s.append(String.format(Locale.ROOT, "  %-5s Relay %.1f messages/s, %s ms CPU/message (JIT compiler %s), %s B "
          + "WAL/message | peer %.1f messages/s, %s ms CPU/message, %s B WAL/message | Relay/peer: throughput %s, "
          + "CPU %s, WAL %s (%s)%n",
        label(kind), r.getDouble("messages_per_second"), num(r.getDouble("cpu_ms_per_message"), 4),
        num(r.getDouble("jit_ms_per_message"), 4), num(r.getDouble("wal_bytes_per_message"), 1),
        g.getDouble("messages_per_second"),
        num(g.getDouble("cpu_ms_per_message"), 4), num(g.getDouble("wal_bytes_per_message"), 1),
        num(x.getDouble("throughput"), 4), num(x.getDouble("cpu_per_message"), 4), num(x.getDouble("wal_per_message"), 4),
        runs(r.getInteger("runs"), g.getInteger("runs"))));
    }
    for (Object o : withGoals ? peer.getJsonArray("goals") : new JsonArray()) {
      s.append(Reports.goalLine((JsonObject) o));
    }
    JsonObject idle = peer.getJsonObject("idle");
    if (idle != null) {
      s.append(String.format(Locale.ROOT, "  idle floor (both sides up, nothing to do): gateway %s, peer %s, PostgreSQL "
          + "%s cores, %s B WAL/s%n", idle.getValue("gateway_cores"), idle.getValue("peer_cores"),
        idle.getValue("postgresql_cores"), idle.getValue("wal_bytes_per_second")));
    }
    JsonObject size = peer.getJsonObject("content_bytes_per_message");
    s.append(String.format(Locale.ROOT, "  exactly once: %d duplicates, %d lost over all runs of both sides; content "
        + "per message: Relay %s B, peer %s B (%s)%n", peer.getLong("duplicates"), peer.getLong("lost"),
      num(size.getDouble("relay"), 1), num(size.getDouble("peer"), 1), size.getBoolean("same_size") ? "same size"
        : "NOT the same size"));
    return s.toString();
  }

  /** The page's section: the comparison table, the goals, every run, the configuration; or the error. */
  static void html(StringBuilder h, JsonObject peer) {
    h.append("<h2 id=\"peer\">Relay against graphile-worker</h2>\n");
    if (peer == null) {
      return;
    }
    if (peer.containsKey("error")) {
      h.append("<p class=\"err\">Not measured: ").append(ReportWriter.esc(peer.getString("error"))).append("</p>\n");
      return;
    }
    JsonObject p = peer.getJsonObject("peer");
    JsonObject conf = p.getJsonObject("configuration");
    JsonObject params = peer.getJsonObject("parameters");
    h.append("<p>The same durable work on the same machine in the same run: bulk-enqueue the same recipients (Relay: ")
      .append("<code>POST /v1/batches</code> of ").append(params.getInteger("batch_size")).append("; the peer: ")
      .append("<code>addJobs</code> of the same bodies, one job per recipient, one transaction per body), render the ")
      .append("shipped <code>welcome</code> email of the same size, POST it to the same sink in requests of ")
      .append(params.getInteger("send_batch")).append(", record the outcome. ")
      .append(ReportWriter.esc(p.getString("name") + " " + p.getString("version") + " on Node " + p.getString("node")))
      .append(": ").append(conf.getInteger("worker_processes")).append(" worker processes, concurrentJobs ")
      .append(conf.getInteger("concurrent_jobs")).append(", localQueue.size ").append(conf.getInteger("local_queue_size"))
      .append(", maxPoolSize ").append(conf.getInteger("max_pool_size")).append(", completeJobBatchDelay ")
      .append(conf.getInteger("complete_job_batch_delay_ms")).append(" ms. Warm: ").append(params.getInteger("rounds"))
      .append(params.getInteger("rounds") == 1 ? " round of " : " alternating rounds of ").append(params.getInteger("messages")).append(" messages per side after ")
      .append(params.getInteger("warmup_messages")).append(" unmeasured; cold: each side's first ")
      .append(params.getInteger("messages")).append(" messages after start")
      .append(peer.containsKey(PeerBench.COLD_WITHOUT_AOT_CACHE) ? " (Relay's gateways run with an AOT cache; after "
        + "the warm rounds, pairs of fresh gateways with and without it run cold, the order alternating: \"cold\" "
        + "is every cold run with the cache, \"cold, no AOT cache\" every one without)" : "")
      .append(". CPU is the side's own processes and ")
      .append("PostgreSQL's; WAL is all PostgreSQL wrote until every outcome was recorded.</p>\n");
    h.append("<table id=\"peer-comparison\">\n<tr><th></th><th>Relay</th><th>graphile-worker</th>")
      .append("<th>Relay ÷ graphile-worker</th></tr>\n");
    for (String kind : kinds(peer)) {
      JsonObject k = peer.getJsonObject(kind);
      JsonObject r = k.getJsonObject("relay");
      JsonObject g = k.getJsonObject("peer");
      JsonObject x = k.getJsonObject("ratios");
      comparisonRow(h, label(kind) + ": messages/s", num(r.getDouble("messages_per_second"), 1),
        num(g.getDouble("messages_per_second"), 1), num(x.getDouble("throughput"), 4));
      comparisonRow(h, label(kind) + ": CPU ms per message", num(r.getDouble("cpu_ms_per_message"), 4),
        num(g.getDouble("cpu_ms_per_message"), 4), num(x.getDouble("cpu_per_message"), 4));
      comparisonRow(h, label(kind) + ": … of it, the JIT compiler", num(r.getDouble("jit_ms_per_message"), 4),
        "-", "-");
      comparisonRow(h, label(kind) + ": WAL bytes per message", num(r.getDouble("wal_bytes_per_message"), 1),
        num(g.getDouble("wal_bytes_per_message"), 1), num(x.getDouble("wal_per_message"), 4));
    }
    h.append("</table>\n");
    JsonObject idle = peer.getJsonObject("idle");
    if (idle != null) {
      h.append("<p>With both sides up and nothing to do (").append(idle.getValue("seconds")).append(" s), their idle ")
        .append("polling took: the gateway ").append(ReportWriter.esc(String.valueOf(idle.getValue("gateway_cores"))))
        .append(", the peer ").append(ReportWriter.esc(String.valueOf(idle.getValue("peer_cores"))))
        .append(", PostgreSQL ").append(ReportWriter.esc(String.valueOf(idle.getValue("postgresql_cores"))))
        .append(" cores, and ").append(ReportWriter.esc(String.valueOf(idle.getValue("wal_bytes_per_second"))))
        .append(" bytes of WAL per second: the floor under each run's PostgreSQL and WAL figures that is the other ")
        .append("side's, not the run's.</p>\n");
    }
    ReportWriter.goalsTable(h, "peer-goals", peer.getJsonArray("goals"));
    h.append("<table id=\"peer-runs\">\n<tr><th>Run</th><th>Messages/s</th><th>CPU ms/message</th>")
      .append("<th>Own processes, PostgreSQL, other (cores)</th><th>WAL B/message</th><th>Messages per request</th>")
      .append("<th>Content bytes</th><th>Duplicates</th></tr>\n");
    for (Object o : peer.getJsonArray("phases", new JsonArray())) {
      JsonObject run = (JsonObject) o;
      JsonObject cpu = run.getJsonObject("cpu_cores", new JsonObject());
      Double own = cpu.containsKey("gateway") ? cpu.getDouble("gateway") : cpu.getDouble("own_processes");
      h.append("<tr><td>").append(ReportWriter.esc(runLabel(run))).append("</td><td class=\"n\">")
        .append(num(run.getDouble("messages_per_second"), 1)).append("</td><td class=\"n\">")
        .append(num(run.getDouble("cpu_ms_per_message"), 4)).append("</td><td class=\"n\">")
        .append(num(own, 2)).append(", ").append(num(cpu.getDouble("postgresql"), 2)).append(", ")
        .append(num(cpu.getDouble("other"), 2)).append("</td><td class=\"n\">")
        .append(num(run.getDouble("wal_bytes_per_message"), 1)).append("</td><td class=\"n\">")
        .append(num(run.getDouble("messages_per_request"), 2)).append("</td><td class=\"n\">")
        .append(num(run.getDouble("content_bytes_per_message"), 1)).append("</td><td class=\"n\">")
        .append(run.getLong("duplicates")).append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  /** A run's name: side, kind and round, such as "graphile-worker, round 2". */
  static String runLabel(JsonObject run) {
    String side = "relay".equals(run.getString("side")) ? "Relay" : PeerBench.PEER_NAME;
    String phase = run.getString("phase");
    int round = run.getInteger("round", 0);
    return side + ", " + ("round".equals(phase) ? "round " + round
      : "warmup".equals(phase) ? "warm-up (not measured)"
      : label(phase) + (round > 0 ? " (fresh gateway, pair " + round + ")" : ""));
  }

  /** The comparison's kinds of run in a result: warm, cold, and cold without the AOT cache when it was measured. */
  static List<String> kinds(JsonObject peer) {
    return peer.containsKey(PeerBench.COLD_WITHOUT_AOT_CACHE)
      ? List.of("warm", "cold", PeerBench.COLD_WITHOUT_AOT_CACHE) : List.of("warm", "cold");
  }

  /** How many runs each side's figures are of: "3 runs each", or "Relay 3 runs, peer 1" when they differ. */
  static String runs(int relay, int peer) {
    return relay == peer ? relay + (relay == 1 ? " run each" : " runs each")
      : "Relay " + relay + (relay == 1 ? " run" : " runs") + ", peer " + peer;
  }

  /** A kind of run as the report names it. */
  static String label(String kind) {
    return PeerBench.COLD_WITHOUT_AOT_CACHE.equals(kind) ? "cold, no AOT cache" : kind;
  }

  private static void comparisonRow(StringBuilder h, String what, String relay, String peer, String ratio) {
    h.append("<tr><th>").append(ReportWriter.esc(what)).append("</th><td class=\"n\">").append(relay)
      .append("</td><td class=\"n\">").append(peer).append("</td><td class=\"n\">").append(ratio).append("</td></tr>\n");
  }

  private static String num(Double value, int digits) {
    return value == null ? "-" : String.format(Locale.ROOT, "%." + digits + "f", value);
  }
}
