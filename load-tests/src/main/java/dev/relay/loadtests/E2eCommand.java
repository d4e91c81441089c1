package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code relay-bench e2e}: messages per second end to end, from the first {@code POST /v1/batches} to
 * the moment the sink (the sandbox provider, run in this JVM) has received every message, against the
 * messages per second a bare Vert.x HTTP client reaches sending the same messages to the same sink,
 * both in one run.
 *
 * <p>The steps: start the sink; create the database {@code relay_bench_<timestamp>} and an API key;
 * write a config file with one {@code sandbox-email} account pointing at the sink and start the gateway
 * with it (dispatch on); post the messages from closed-loop clients and wait until all have arrived;
 * stop the gateway; read the sent messages back from the database and send them again, straight to the
 * emptied sink, from the bare client; report and drop the database.
 */
@Command(name = "e2e", mixinStandardHelpOptions = true, sortOptions = false,
  description = {
    "Measures delivery end to end (messages/s from the first POST /v1/batches until the sink has received every "
      + "message, through PostgreSQL, the dispatcher and the sandbox-email adapter) against a bare Vert.x HTTP "
      + "client sending the same messages to the same sink, in one run. Run it from the repository root."})
final class E2eCommand implements Callable<Integer> {

  /** The project's goal: end to end through the gateway at least half of the bare client. */
  static final double GOAL_RATIO = E2eBench.GOAL_RATIO;
  /** The one account of the gateway's config file, and its adapter. */
  static final String ACCOUNT = "sandbox-email";
  static final String CHANNEL = "email";
  /** The gateway's tracking key and public URL, so that the baseline renders the very same links. */
  static final String TRACKING_KEYS = "e2e:" + Base64.getEncoder().encodeToString(
    "relay e2e benchmark tracking key".getBytes(StandardCharsets.UTF_8));
  static final String PUBLIC_BASE_URL = "http://127.0.0.1:8080";
  private static final int MAX_MESSAGES = 1_000_000;

  @Spec
  CommandSpec spec;

  @Option(names = "--messages", defaultValue = "50000",
    description = "Messages sent through the gateway, and then by the bare client; a multiple of --batch-size "
      + "(default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--batch-size", defaultValue = "1000",
    description = "Recipients per POST /v1/batches (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--clients", defaultValue = "4",
    description = "Concurrent clients posting batches, each with one request in flight (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--send-batch", defaultValue = "50",
    description = "Messages per request to the sink: the bare client's, and the gateway's dispatch.send-batch "
      + "(RELAY_DISPATCH_SEND_BATCH) (default: ${DEFAULT-VALUE}).")
  int sendBatch;

  @Option(names = "--baseline-concurrency", defaultValue = "4",
    description = "Requests the bare client keeps in flight (default: ${DEFAULT-VALUE}).")
  int baselineConcurrency;

  @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
    description = "Longest the gateway phase may take from its first POST; after it, what arrived is reported "
      + "and the run fails (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = "--warmup-messages", defaultValue = "0",
    description = "Messages sent end to end (and by the bare client) before the measured phases, not measured; "
      + "a multiple of --batch-size; 0 for none (default: ${DEFAULT-VALUE}).")
  int warmupMessages;

  @Mixin
  GatewayOptions gateway;

  @Option(names = "--keep-db", description = "Keep the benchmark database instead of dropping it at the end.")
  boolean keepDb;

  @Option(names = "--out", defaultValue = "load-tests/results/e2e.json", paramLabel = "FILE",
    description = "JSON result; the gateway's log and config file go next to it as <name>-gateway.log and "
      + "<name>-gateway.yaml (default: ${DEFAULT-VALUE}).")
  Path out;

  private final Progress progress = new Progress();

  @Override
  public Integer call() throws Exception {
    validate();
    E2eBench bench = new E2eBench(new E2eBench.Settings(messages, batchSize, clients, sendBatch, baselineConcurrency,
      timeoutSeconds, warmupMessages), gateway, progress);
    try (BenchSession session = BenchSession.open(out, gateway.database(), keepDb)) {
      Vertx vertx = Vertx.vertx();
      SandboxServer sink = null;
      GatewayProcess child = null;
      try {
        sink = SandboxServer.start(vertx, "127.0.0.1", 0).await();
        progress.say("sink (the sandbox provider) listening at %s", sink.url());
        Path config = session.sibling("-gateway.yaml");
        writeConfig(config, sink.url());
        Map<String, String> env = bench.gatewayEnvironment(session.database(), config);
        Path gatewayLog = session.gatewayLog();
        progress.say("creating database %s and an API key with %s", session.database(), gateway.jar);
        String apiKey = GatewayProcess.createApiKey(gateway.jar, env, gatewayLog, Recipients.TENANT);
        child = GatewayProcess.start(gateway.jar, gateway.jvmArgs(), env, gatewayLog);
        progress.say("started the gateway (pid %d) on 127.0.0.1:%d, config %s, log %s", child.pid(), child.port(),
          config, gatewayLog);
        E2eBench.awaitReady(vertx, child);

        E2eBench.GatewayRun run = bench.measureGateway(vertx, sink, List.of(child), apiKey, session,
          new Recipients(batchSize), new AtomicLong());
        E2eBench.AfterGateway after = bench.stop(List.of(child), sink, session);
        E2eBench.BaselineRun baseline = bench.measureBaseline(vertx, sink, session, run);

        JsonObject result = bench.report(session, keepDb, config, env, run, after, baseline);
        Files.writeString(out, result.encodePrettily() + "\n", StandardCharsets.UTF_8);
        System.out.print(summary(result));
        System.out.println("Result written to " + out);
        return bench.failed(run, after, baseline) ? 1 : 0;
      } finally {
        if (child != null) {
          child.close();
        }
        if (sink != null) {
          sink.close().await();
        }
        vertx.close().await();
      }
    }
  }

  private void validate() {
    if (batchSize < 1 || batchSize > 10_000) {
      throw new ParameterException(spec.commandLine(), "--batch-size must be 1 to 10000 (the gateway's default limit)");
    }
    if (messages < batchSize || messages > MAX_MESSAGES || messages % batchSize != 0) {
      throw new ParameterException(spec.commandLine(),
        "--messages must be a multiple of --batch-size from --batch-size to " + MAX_MESSAGES);
    }
    if (warmupMessages < 0 || warmupMessages > MAX_MESSAGES || warmupMessages % batchSize != 0) {
      throw new ParameterException(spec.commandLine(),
        "--warmup-messages must be 0 or a multiple of --batch-size up to " + MAX_MESSAGES);
    }
    if (clients < 1 || clients > 256 || baselineConcurrency < 1 || baselineConcurrency > 256) {
      throw new ParameterException(spec.commandLine(), "--clients and --baseline-concurrency must be 1 to 256");
    }
    if (sendBatch < 1 || sendBatch > 10_000) {
      throw new ParameterException(spec.commandLine(), "--send-batch must be 1 to 10000");
    }
    if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
      throw new ParameterException(spec.commandLine(), "--timeout must be 1 to 3600 seconds");
    }
    gateway.requireJar();
  }

  /** One account, {@code sandbox-email}, sending to the sink. */
  static void writeConfig(Path config, String sinkUrl) throws java.io.IOException {
    Files.writeString(config, String.join("\n",
      "# Written by relay-bench e2e: the gateway sends email to the benchmark's sink.",
      "accounts:",
      "  - name: " + ACCOUNT,
      "    adapter: " + ACCOUNT,
      "    settings:",
      "      url: \"" + sinkUrl + "\"",
      ""), StandardCharsets.UTF_8);
  }

  private static String summary(JsonObject r) {
    JsonObject p = r.getJsonObject("parameters");
    JsonObject g = r.getJsonObject("gateway");
    JsonObject posts = g.getJsonObject("posts");
    JsonObject postLat = posts.getJsonObject("latency_ms");
    JsonObject del = g.getJsonObject("delivery_latency_ms");
    JsonObject b = r.getJsonObject("baseline");
    JsonObject bLat = b.getJsonObject("latency_ms");
    JsonObject checks = r.getJsonObject("checks");
    StringBuilder s = new StringBuilder();
    s.append(Reports.header("Relay e2e benchmark", r));
    s.append(String.format(Locale.ROOT,
      "  parameters %d messages in batches of %d from %d clients; %d messages per provider request; "
        + "bare client %d requests in flight; warm-up %d messages; timeout %d s%n",
      p.getInteger("messages"), p.getInteger("batch_size"), p.getInteger("clients"), p.getInteger("send_batch"),
      p.getInteger("baseline_concurrency"), p.getInteger("warmup_messages"), p.getInteger("timeout_seconds")));
    s.append(String.format(Locale.ROOT, "  database   %s (%s)%n", p.getString("database"),
      p.getBoolean("database_kept") ? "kept" : "dropped"));
    s.append(String.format(Locale.ROOT,
      "Gateway: POST /v1/batches -> PostgreSQL -> dispatcher -> %s adapter -> sink%n", ACCOUNT));
    s.append(String.format(Locale.ROOT, "  delivered  %d of %d in %.3f s = %.1f messages/s, duplicates %d%n",
      g.getLong("delivered"), g.getLong("messages"), g.getDouble("seconds"), g.getDouble("messages_per_second"),
      g.getLong("duplicates")));
    s.append(String.format(Locale.ROOT,
      "  posts      %d requests, %d recipients accepted in %.3f s = %.1f recipients/s, errors %d; "
        + "latency p50 %.2f ms, p99 %.2f ms%n",
      posts.getLong("requests"), posts.getLong("recipients_accepted"), posts.getDouble("seconds"),
      posts.getDouble("recipients_per_second"), posts.getLong("errors"), postLat.getDouble("p50"), postLat.getDouble("p99")));
    JsonObject whilePosting = g.getJsonObject("while_posting");
    JsonObject afterPosting = g.getJsonObject("after_posting");
    s.append(String.format(Locale.ROOT,
      "  arrivals   %d while the POSTs ran (%.3f s, %.1f messages/s), %d after them (%.3f s, %.1f messages/s)%n",
      whilePosting.getLong("delivered"), whilePosting.getDouble("seconds"), whilePosting.getDouble("messages_per_second"),
      afterPosting.getLong("delivered"), afterPosting.getDouble("seconds"), afterPosting.getDouble("messages_per_second")));
    s.append(String.format(Locale.ROOT,
      "  delivery   latency (receipt - start of its batch's POST) p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
      del.getDouble("p50"), del.getDouble("p99"), del.getDouble("max")));
    s.append(Reports.cpuLine(g.getJsonObject("cpu_cores")));
    s.append(Reports.writesLine(g.getJsonObject("postgresql_writes"), "message"));
    s.append(String.format(Locale.ROOT, "  states     %s after the gateway stopped (exit code %d)%n",
      g.getJsonObject("message_states").encode(), g.getInteger("gateway_exit_code")));
    for (Object sample : posts.getJsonArray("error_samples")) {
      s.append("  error      ").append(sample).append('\n');
    }
    if (g.getString("aborted") != null) {
      s.append("  INCOMPLETE ").append(g.getString("aborted")).append('\n');
    }
    s.append(String.format(Locale.ROOT,
      "Baseline: bare Vert.x HttpClient -> the same sink, same messages, requests of %d, %d in flight%n",
      b.getInteger("send_batch"), b.getInteger("concurrency")));
    s.append(String.format(Locale.ROOT,
      "  delivered  %d of %d in %.3f s = %.1f messages/s, duplicates %d, errors %d; request latency p50 %.2f ms, p99 %.2f ms%n",
      b.getLong("delivered"), b.getLong("messages"), b.getDouble("seconds"), b.getDouble("messages_per_second"),
      b.getLong("duplicates"), b.getLong("errors"), bLat.getDouble("p50"), bLat.getDouble("p99")));
    s.append(Reports.cpuLine(b.getJsonObject("cpu_cores")));
    for (Object sample : b.getJsonArray("error_samples")) {
      s.append("  error      ").append(sample).append('\n');
    }
    s.append(String.format(Locale.ROOT,
      "Check: the bare client's messages are the gateway's (key, attempt, address, content, ...): %s "
        + "(%d of %d compared, %d different)%n",
      checks.getBoolean("payloads_identical") ? "yes" : "NO", checks.getLong("payloads_compared"),
      checks.getLong("baseline_messages"), checks.getLong("payloads_different")));
    s.append(String.format(Locale.ROOT, "Ratio gateway/bare client: %.4f (goal >= %.1f: %s)%n", r.getDouble("ratio"),
      r.getDouble("goal_ratio"), r.getBoolean("goal_met") ? "met" : "NOT met"));
    return s.toString();
  }
}
