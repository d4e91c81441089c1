package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code relay-bench report}: the project's performance report in one run. It measures, each against its
 * baseline taken in the same run: delivery end to end against a bare HTTP client to the same sink (as
 * {@code e2e}); one gateway against two on the same database, end to end; Relay end to end against
 * graphile-worker doing the same durable work (as {@code peer}); one-recipient transactional batches from the POST to
 * the sink while a marketing backlog drains (as {@code transactional}); the most recipients per second
 * intake accepts against a COPY of the same rows (as {@code intake}); and intake's latency under an open
 * load of 80% of that maximum. It writes a JSON result and a self-contained HTML page with plots of
 * throughput and latency over time ({@link ReportWriter}).
 *
 * <p>Four databases: one for the end-to-end runs (e2e, then the scale-out runs, then Relay's side of the peer
 * comparison, each after the other on the same tables), the peer's own, the transactional part's, one for intake (whose COPY baseline empties {@code messages}, so no dispatcher may ever see
 * it). All are dropped at the end unless {@code --keep-db}.
 */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
  description = {
    "Runs the performance report in one go: end to end against a bare HTTP client, one gateway against two on "
      + "one database, Relay against graphile-worker doing the same work, the latency of transactional messages while a "
      + "marketing backlog drains, the intake maximum against COPY, and intake latency at 80%% of that maximum; writes a JSON "
      + "result and an HTML report with plots. Run it from the repository root."})
final class ReportCommand implements Callable<Integer> {

  /** The load for the latency goal: 80% of the maximum throughput just measured. */
  static final double LOAD_FRACTION = 0.8;
  /** The goal: p99 intake latency under 100 ms at that load. */
  static final double P99_GOAL_MS = 100.0;
  /** The goal for scale-out: two instances must not deliver less than one. */
  static final double SCALE_GOAL_RATIO = 1.0;
  /** POSTs unanswered at once in the open-model phase beyond which a due batch is dropped (and counted). */
  static final int MAX_OUTSTANDING = 64;
  private static final int MAX_MESSAGES = 1_000_000;
  /**
   * The fewest batches pre-generated for the intake maximum per client and second: 15 (60,000 recipients/s
   * with 4 clients of 1,000), above the 47,000 the fastest gateway reached here. A warm-up of a few seconds
   * on a cold JIT runs at a fraction of the phase's pace, so the {@code intake} command's rule (three times
   * the warm-up's pace) ran short here.
   */
  private static final int MIN_BATCHES_PER_CLIENT_SECOND = 15;

  @Spec
  CommandSpec spec;

  @Option(names = "--messages", defaultValue = "50000",
    description = "Messages of the e2e part's measured run; a multiple of --batch-size (default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--scale-messages", defaultValue = "100000",
    description = "Messages of each measured scale-out run; a multiple of --batch-size. With 50,000 (4 s on a fast "
      + "2-core machine) the same configuration moved by a fifth between rounds (default: ${DEFAULT-VALUE}).")
  int scaleMessages;

  @Option(names = "--batch-size", defaultValue = "1000",
    description = "Recipients per POST /v1/batches, and rows per COPY (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--clients", defaultValue = "4",
    description = "Closed-loop posting clients of the end-to-end runs and of the intake maximum; also the COPY "
      + "connections (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--send-batch", defaultValue = "50",
    description = "Messages per request to the sink, the bare client's and the gateway's (default: ${DEFAULT-VALUE}).")
  int sendBatch;

  @Option(names = "--baseline-concurrency", defaultValue = "4",
    description = "Requests the bare client keeps in flight (default: ${DEFAULT-VALUE}).")
  int baselineConcurrency;

  @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
    description = "Longest one end-to-end run may take from its first POST (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = "--intake-duration", defaultValue = "20", paramLabel = "SECONDS",
    description = "Length of the measured intake maximum phase (default: ${DEFAULT-VALUE}).")
  int intakeDurationSeconds;

  @Option(names = "--intake-warmup", defaultValue = "5", paramLabel = "SECONDS",
    description = "Unmeasured warm-up before it (default: ${DEFAULT-VALUE}).")
  int intakeWarmupSeconds;

  @Option(names = "--latency-duration", defaultValue = "20", paramLabel = "SECONDS",
    description = "Length of the open-model intake phase at 80%% of the maximum (default: ${DEFAULT-VALUE}).")
  int latencyDurationSeconds;

  @Option(names = "--latency-warmup", defaultValue = "5", paramLabel = "SECONDS",
    description = "Untimed seconds at the same rate before the phase at 80%%, so that the load generator's code for "
      + "it is compiled before it is timed; 0 for none (default: ${DEFAULT-VALUE}).")
  int latencyWarmupSeconds;

  @Option(names = "--max-batches", defaultValue = "5000",
    description = "Most batches pre-generated for one intake phase (about 190 KB each in memory) "
      + "(default: ${DEFAULT-VALUE}).")
  int maxBatches;

  @Option(names = "--scale-rounds", defaultValue = "2",
    description = "Pairs of scale-out runs (one instance, two instances); even rounds run two first, so that drift "
      + "of a shared machine favours neither (default: ${DEFAULT-VALUE}).")
  int scaleRounds;

  @Option(names = "--e2e-warmup-messages", defaultValue = "200000",
    description = "Messages sent end to end through the e2e part's gateway, then through the bare client, before "
      + "either is measured, so that both are measured warm, as a long-running gateway runs; 0 for a cold start "
      + "(default: ${DEFAULT-VALUE}).")
  int e2eWarmupMessages;

  @Option(names = "--scale-warmup-messages", defaultValue = "40000",
    description = "Messages per gateway instance each scale-out run sends end to end through its fresh gateways "
      + "before it measures (spread over them as the measured ones), so that it compares warm instances rather than "
      + "their JIT compilers; a multiple of --batch-size, 0 for none (default: ${DEFAULT-VALUE}).")
  int scaleWarmupMessages;

  @Option(names = "--scale-share-cores", defaultValue = "true", arity = "1", paramLabel = "BOOLEAN",
    description = "In the scale-out runs with two instances, size each to its share of the cores "
      + "(-XX:ActiveProcessorCount), as one instance per core is deployed (default: ${DEFAULT-VALUE}).")
  boolean scaleShareCores;

  /** The parts of the report that {@code --parts} can name. */
  enum ReportPart { e2e, scale_out, peer, transactional, intake }

  @Option(names = "--parts", split = ",", paramLabel = "PART",
    defaultValue = "e2e,scale_out,peer,transactional,intake",
    description = "The parts to run, comma-separated, of: ${COMPLETION-CANDIDATES} (intake includes the latency "
      + "phase at 80%%); the others are reported as not run (default: ${DEFAULT-VALUE}).")
  Set<ReportPart> parts;

  @Mixin
  PeerOptions peer;

  @Mixin
  TransactionalOptions transactional;

  @Mixin
  GatewayOptions gateway;

  @Option(names = "--keep-db", description = "Keep the benchmark databases instead of dropping them at the end.")
  boolean keepDb;

  @Option(names = "--out", defaultValue = "load-tests/results/report.json", paramLabel = "FILE",
    description = "JSON result; the HTML report goes next to it with the extension .html, the gateways' logs and "
      + "config as <name>-*.log and <name>-gateway.yaml (default: ${DEFAULT-VALUE}).")
  Path out;

  private final Progress progress = new Progress();

  /** One part of the report: its JSON, and what went wrong in it (empty when nothing did). */
  private record Part(JsonObject json, List<String> problems) {
  }

  /** A part's measurement, which may fail as a whole. */
  @FunctionalInterface
  private interface Measurement {
    Part run() throws Exception;
  }

  /** What the end-to-end runs share: the database, the gateway's config and environment, the key, the recipients. */
  private record EndToEnd(BenchSession session, Path config, Map<String, String> env, String apiKey,
                          Recipients recipients, AtomicLong nextBatch) {
  }

  @Override
  public Integer call() throws Exception {
    validate();
    Path html = htmlPath(out);
    Instant started = Instant.now();
    long startNanos = System.nanoTime();
    JsonObject result = new JsonObject()
      .put("benchmark", "report")
      .put("started_at", started.toString());
    JsonObject load = new JsonObject().put("start", loadAverage());
    JsonArray failures = new JsonArray();
    JsonArray databases = new JsonArray();
    BenchDatabase pg = gateway.database();
    E2eBench e2e = new E2eBench(new E2eBench.Settings(messages, batchSize, clients, sendBatch, baselineConcurrency,
      timeoutSeconds, e2eWarmupMessages), gateway, progress);
    IntakeBench intake = new IntakeBench(new IntakeBench.Settings(clients, batchSize, intakeDurationSeconds,
      intakeWarmupSeconds, false, maxBatches, MIN_BATCHES_PER_CLIENT_SECOND), progress);
    Vertx vertx = Vertx.vertx();
    try {
      SandboxServer sink = SandboxServer.start(vertx, "127.0.0.1", 0).await();
      progress.say("sink (the sandbox provider) listening at %s", sink.url());
      try (BenchSession session = BenchSession.open(out, pg, keepDb)) {
        result.put("machine", session.machine());
        databases.add(session.database());
        EndToEnd[] setup = new EndToEnd[1];
        measure(result, failures, "e2e", () -> {
          setup[0] = setUpEndToEnd(session, sink, e2e);
          return measureE2e(vertx, sink, e2e, setup[0]);
        });
        measure(result, failures, "scale_out", () -> {
          if (setup[0] == null && !parts.contains(ReportPart.e2e)) {
            setup[0] = setUpEndToEnd(session, sink, e2e);
          }
          if (setup[0] == null) {
            throw new IllegalStateException("not run: the end-to-end database could not be set up");
          }
          return measureScaleOut(vertx, sink, setup[0]);
        });
        measure(result, failures, "peer", () -> measurePeer(vertx, sink, session, setup[0]));
        measure(result, failures, "transactional", () -> measureTransactional(vertx, sink, pg, databases));
      } finally {
        sink.close().await();
      }
      measureIntake(vertx, pg, intake, result, failures, databases);
    } finally {
      vertx.close().await();
    }
    result.put("finished_at", Instant.now().toString())
      .put("seconds", Reports.round((System.nanoTime() - startNanos) / 1e9, 1))
      .put("load_average", load.put("end", loadAverage()))
      .put("parameters", parameters(databases))
      .put("failures", failures)
      .put("completed", failures.isEmpty())
      .put("json", out.toAbsolutePath().toString())
      .put("html", html.toAbsolutePath().toString());
    ReportWriter.write(result, out, html);
    System.out.print(ReportWriter.summary(result));
    System.out.println("Result written to " + out + " and " + html);
    return failures.isEmpty() ? 0 : 1;
  }

  private void validate() {
    if (batchSize < 1 || batchSize > 10_000) {
      throw new ParameterException(spec.commandLine(), "--batch-size must be 1 to 10000 (the gateway's default limit)");
    }
    if (messages < batchSize || messages > MAX_MESSAGES || messages % batchSize != 0
      || scaleMessages < batchSize || scaleMessages > MAX_MESSAGES || scaleMessages % batchSize != 0) {
      throw new ParameterException(spec.commandLine(),
        "--messages and --scale-messages must be multiples of --batch-size from --batch-size to " + MAX_MESSAGES);
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
    if (intakeDurationSeconds < 1 || intakeDurationSeconds > 3600 || intakeWarmupSeconds < 0
      || intakeWarmupSeconds > 600 || latencyDurationSeconds < 1 || latencyDurationSeconds > 3600
      || latencyWarmupSeconds < 0 || latencyWarmupSeconds > 600) {
      throw new ParameterException(spec.commandLine(),
        "--intake-duration and --latency-duration must be 1 to 3600 seconds, --intake-warmup and --latency-warmup 0 to 600");
    }
    if (maxBatches < clients) {
      throw new ParameterException(spec.commandLine(), "--max-batches must be at least --clients");
    }
    if (e2eWarmupMessages < 0 || e2eWarmupMessages > MAX_MESSAGES || e2eWarmupMessages % batchSize != 0) {
      throw new ParameterException(spec.commandLine(),
        "--e2e-warmup-messages must be 0 or a multiple of --batch-size up to " + MAX_MESSAGES);
    }
    if (scaleWarmupMessages < 0 || scaleWarmupMessages > MAX_MESSAGES / 2 || scaleWarmupMessages % batchSize != 0) {
      throw new ParameterException(spec.commandLine(),
        "--scale-warmup-messages must be 0 or a multiple of --batch-size up to " + MAX_MESSAGES / 2);
    }
    String peerProblem = peer.problem(batchSize);
    if (peerProblem != null) {
      throw new ParameterException(spec.commandLine(), peerProblem);
    }
    String transactionalProblem = transactional.problem();
    if (transactionalProblem != null) {
      throw new ParameterException(spec.commandLine(), transactionalProblem);
    }
    if (scaleRounds < 1 || scaleRounds > 10) {
      throw new ParameterException(spec.commandLine(), "--scale-rounds must be 1 to 10");
    }
    if (!out.getFileName().toString().endsWith(".json")) {
      throw new ParameterException(spec.commandLine(), "--out must name a .json file (the HTML goes next to it)");
    }
    gateway.requireJar();
  }

  /** {@code report.json} → {@code report.html}. */
  static Path htmlPath(Path json) {
    String name = json.getFileName().toString().replaceFirst("\\.json$", "") + ".html";
    return json.resolveSibling(name);
  }

  /**
   * Runs one part; a part that throws is recorded as {@code {"error": ...}} and as a failure, and the
   * report goes on with the next part.
   */
  private void measure(JsonObject result, JsonArray failures, String name, Measurement measurement) {
    if (!parts.contains(ReportPart.valueOf(name))) {
      result.put(name, new JsonObject().put("error", "not run: left out by --parts"));
      return;
    }
    try {
      Part part = measurement.run();
      result.put(name, part.json());
      part.problems().forEach(p -> failures.add(name + ": " + p));
    } catch (Exception e) {
      String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
      progress.say("%s not measured: %s", name, reason);
      if (!(e instanceof IllegalStateException || e instanceof SQLException)) {
        e.printStackTrace();
      }
      result.put(name, new JsonObject().put("error", reason));
      failures.add(name + ": not measured: " + reason);
    }
  }

  // ------------------------------------------------------------------------------------------ end to end

  private EndToEnd setUpEndToEnd(BenchSession session, SandboxServer sink, E2eBench e2e) throws IOException {
    Path config = session.sibling("-gateway.yaml");
    E2eCommand.writeConfig(config, sink.url());
    Map<String, String> env = e2e.gatewayEnvironment(session.database(), config);
    Path log = freshLog(session, "-e2e-gateway.log");
    progress.say("creating database %s and an API key with %s", session.database(), gateway.jar);
    String apiKey = GatewayProcess.createApiKey(gateway.jar, env, log, Recipients.TENANT);
    return new EndToEnd(session, config, env, apiKey, new Recipients(batchSize), new AtomicLong());
  }

  /** As {@code relay-bench e2e}: one gateway, then the bare client with the same messages to the same sink. */
  private Part measureE2e(Vertx vertx, SandboxServer sink, E2eBench e2e, EndToEnd setup) throws Exception {
    BenchSession session = setup.session();
    Path log = session.sibling("-e2e-gateway.log");
    try (GatewayProcess child = GatewayProcess.start(gateway.jar, gateway.jvmArgs(), setup.env(), log)) {
      progress.say("e2e: started the gateway (pid %d) on 127.0.0.1:%d, log %s", child.pid(), child.port(), log);
      E2eBench.awaitReady(vertx, child);
      E2eBench.GatewayRun run = e2e.measureGateway(vertx, sink, List.of(child), setup.apiKey(), session,
        setup.recipients(), setup.nextBatch());
      E2eBench.AfterGateway after = e2e.stop(List.of(child), sink, session);
      E2eBench.BaselineRun baseline = e2e.measureBaseline(vertx, sink, session, run);
      JsonObject json = e2e.report(session, keepDb, setup.config(), setup.env(), run, after, baseline);
      json.remove("benchmark");
      json.remove("started_at");
      json.remove("machine");
      json.put("gateway_log", log.toString());
      json.getJsonObject("gateway").put("series", e2e.gatewaySeries(run));
      json.getJsonObject("baseline").put("series", E2eBench.baselineSeries(baseline));
      List<String> problems = gatewayProblems(json.getJsonObject("gateway"));
      problems.addAll(baselineProblems(json));
      if (e2e.failed(run, after, baseline) && problems.isEmpty()) {
        problems.add("the run failed; see " + out);
      }
      progress.say("e2e: gateway %.1f messages/s, bare client %.1f messages/s, ratio %.4f",
        json.getJsonObject("gateway").getDouble("messages_per_second"),
        json.getJsonObject("baseline").getDouble("messages_per_second"), json.getDouble("ratio"));
      return new Part(json, problems);
    }
  }

  /**
   * Relay end to end against graphile-worker doing the same work ({@link PeerBench}), on the end-to-end database
   * (set up here when the other end-to-end parts did not run) with a fresh gateway.
   */
  private Part measurePeer(Vertx vertx, SandboxServer sink, BenchSession session, EndToEnd setup) throws Exception {
    E2eBench.Settings base = new E2eBench.Settings(peer.messages, batchSize, clients, sendBatch, baselineConcurrency,
      timeoutSeconds, 0);
    PeerBench.Outcome outcome;
    if (setup == null) {
      outcome = PeerCommand.measure(vertx, sink, session, gateway, peer, batchSize, clients, sendBatch, timeoutSeconds,
        out, keepDb, progress);
    } else {
      Path log = freshLog(session, "-peer-gateway.log");
      outcome = new PeerBench(base, peer, gateway, progress).run(vertx, sink, new PeerBench.RelaySide(session,
        setup.env(), setup.apiKey(), setup.recipients(), setup.nextBatch(), log), out, keepDb);
    }
    JsonObject warm = outcome.json().getJsonObject("warm");
    progress.say("peer: Relay %.1f messages/s, graphile-worker %.1f messages/s, throughput ratio %s, CPU ratio %s",
      warm.getJsonObject("relay").getDouble("messages_per_second"),
      warm.getJsonObject("peer").getDouble("messages_per_second"),
      warm.getJsonObject("ratios").getValue("throughput"), warm.getJsonObject("ratios").getValue("cpu_per_message"));
    return new Part(outcome.json(), outcome.problems());
  }

  /**
   * One instance against two on the same database and sink: the same number of messages, the same clients
   * (spread over the instances), each run from fresh gateway processes warmed up by
   * {@code --scale-warmup-messages} per instance end to end (also spread); {@code --scale-rounds} pairs, the
   * order alternating. Any duplicate or lost message, in the warm-up too, is a failure.
   */
  private Part measureScaleOut(Vertx vertx, SandboxServer sink, EndToEnd setup) throws Exception {
    BenchSession session = setup.session();
    JsonArray runs = new JsonArray();
    List<String> problems = new ArrayList<>();
    double[] seconds = new double[3];
    long[] delivered = new long[3];
    long duplicates = 0;
    long lost = 0;
    for (int round = 1; round <= scaleRounds; round++) {
      int[] order = round % 2 == 1 ? new int[] {1, 2} : new int[] {2, 1};
      for (int instances : order) {
        // Each instance gets the same warm-up, whether it shares the work or not: the warm-up is per instance.
        E2eBench e2e = new E2eBench(new E2eBench.Settings(scaleMessages, batchSize, clients, sendBatch,
          baselineConcurrency, timeoutSeconds, scaleWarmupMessages * instances), gateway, progress);
        JsonObject run = scaleRun(vertx, sink, e2e, setup, instances, round, problems);
        runs.add(run);
        seconds[instances] += run.getDouble("seconds");
        delivered[instances] += run.getLong("delivered");
        duplicates += run.getLong("duplicates");
        lost += run.getLong("messages") - run.getLong("delivered");
      }
    }
    double one = Reports.perSecond(delivered[1], seconds[1]);
    double two = Reports.perSecond(delivered[2], seconds[2]);
    double ratio = one > 0 ? two / one : 0;
    progress.say("scale-out: one instance %.1f messages/s, two instances %.1f messages/s, ratio %.4f; duplicates %d, "
      + "lost %d", one, two, ratio, duplicates, lost);
    JsonObject json = new JsonObject()
      .put("messages", (long) scaleMessages)
      .put("warmup_messages_per_instance", (long) scaleWarmupMessages)
      .put("rounds", scaleRounds)
      .put("one_instance_messages_per_second", Reports.round(one, 1))
      .put("two_instances_messages_per_second", Reports.round(two, 1))
      .put("ratio", Reports.round(ratio, 4))
      .put("goal_ratio", SCALE_GOAL_RATIO)
      .put("goal_met", ratio >= SCALE_GOAL_RATIO)
      .put("duplicates", duplicates)
      .put("lost", lost)
      .put("database", session.database())
      .put("runs", runs);
    return new Part(json, problems);
  }

  private JsonObject scaleRun(Vertx vertx, SandboxServer sink, E2eBench e2e, EndToEnd setup, int instances, int round,
                              List<String> problems) throws Exception {
    BenchSession session = setup.session();
    List<GatewayProcess> children = new ArrayList<>();
    List<String> logs = new ArrayList<>();
    try {
      for (int i = 0; i < instances; i++) {
        Path log = freshLog(session, String.format("-scale-r%d-%dx-%c-gateway.log", round, instances, 'a' + i));
        logs.add(log.toString());
        GatewayProcess child = GatewayProcess.start(gateway.jar, scaleJvmArgs(instances), setup.env(), log);
        children.add(child);
        progress.say("scale-out: started gateway %d of %d (pid %d) on 127.0.0.1:%d, log %s", i + 1, instances,
          child.pid(), child.port(), log);
      }
      for (GatewayProcess child : children) {
        E2eBench.awaitReady(vertx, child);
      }
      E2eBench.GatewayRun run = e2e.measureGateway(vertx, sink, children, setup.apiKey(), session, setup.recipients(),
        setup.nextBatch());
      E2eBench.AfterGateway after = e2e.stop(children, sink, session);
      JsonObject json = new JsonObject().put("instances", instances).put("round", round)
        .mergeIn(e2e.gatewayJson(run, after))
        .put("gateway_logs", new JsonArray(new ArrayList<>(logs)))
        .put("series", e2e.gatewaySeries(run));
      String label = instances + " instance" + (instances == 1 ? "" : "s") + ", round " + round + ": ";
      List<String> found = gatewayProblems(json);
      if (e2e.gatewayFailed(run, after) && found.isEmpty()) {
        found.add("the run failed; see " + out);
      }
      found.forEach(p -> problems.add(label + p));
      progress.say("scale-out: %d instance(s), %.1f messages/s, duplicates %d", instances,
        json.getDouble("messages_per_second"), json.getLong("duplicates"));
      return json;
    } finally {
      children.forEach(GatewayProcess::close);
    }
  }

  /**
   * The JVM options of one of {@code instances} gateways sharing this machine: with more than one, each is
   * sized to its share of the cores ({@code -XX:ActiveProcessorCount}), as an operator runs one instance per
   * core, so that it sizes its event loops, HTTP verticles, GC and compiler threads for that share instead
   * of every instance sizing them for the whole machine; {@code --scale-share-cores=false} leaves them as
   * the one instance runs.
   */
  private List<String> scaleJvmArgs(int instances) {
    List<String> args = new ArrayList<>(gateway.jvmArgs());
    int cores = Runtime.getRuntime().availableProcessors();
    if (scaleShareCores && instances > 1 && args.stream().noneMatch(a -> a.startsWith("-XX:ActiveProcessorCount"))) {
      args.add("-XX:ActiveProcessorCount=" + Math.max(1, cores / instances));
    }
    return args;
  }

  /** What went wrong in a gateway phase, read from its JSON: lost messages, failed POSTs, duplicates. */
  private static List<String> gatewayProblems(JsonObject g) {
    List<String> problems = new ArrayList<>();
    if (!g.getBoolean("complete")) {
      problems.add((g.getLong("messages") - g.getLong("delivered")) + " of " + g.getLong("messages")
        + " messages never arrived (" + g.getString("aborted") + ")");
    } else if (g.getString("aborted") != null) {
      problems.add("the POSTs stopped: " + g.getString("aborted"));
    }
    JsonObject posts = g.getJsonObject("posts");
    if (posts.getLong("errors") > 0) {
      problems.add(posts.getLong("errors") + " POSTs failed: " + posts.getJsonArray("error_samples").encode());
    }
    if (posts.getLong("recipients_rejected") > 0) {
      problems.add(posts.getLong("recipients_rejected") + " recipients were rejected");
    }
    if (g.getLong("duplicates") > 0) {
      problems.add("the sink received " + g.getLong("duplicates") + " duplicates");
    }
    return problems;
  }

  private List<String> baselineProblems(JsonObject e2e) {
    List<String> problems = new ArrayList<>();
    JsonObject b = e2e.getJsonObject("baseline");
    if (b.getLong("errors") > 0) {
      problems.add("the bare client had " + b.getLong("errors") + " errors: " + b.getJsonArray("error_samples").encode());
    }
    if (b.getLong("delivered") != messages || b.getLong("duplicates") > 0) {
      problems.add("the bare client delivered " + b.getLong("delivered") + " of " + messages + " messages, "
        + b.getLong("duplicates") + " duplicates");
    }
    JsonObject checks = e2e.getJsonObject("checks");
    if (!checks.getBoolean("payloads_identical")) {
      problems.add("the bare client's messages are not the gateway's: " + checks.getLong("payloads_different")
        + " of " + checks.getLong("payloads_compared") + " differ (" + checks.getString("difference_sample") + ")");
    }
    return problems;
  }

  // ------------------------------------------------------------------------------------------ transactional

  /**
   * As {@code relay-bench transactional}, on a database of its own and a fresh gateway with the end-to-end set-up:
   * one-recipient transactional batches at a fixed rate while a marketing backlog drains, from the POST to the sink.
   */
  private Part measureTransactional(Vertx vertx, SandboxServer sink, BenchDatabase pg, JsonArray databases)
    throws Exception {
    try (BenchSession session = BenchSession.open(out, pg, keepDb, "_transactional")) {
      databases.add(session.database());
      Path config = session.sibling("-transactional-gateway.yaml");
      E2eCommand.writeConfig(config, sink.url());
      Map<String, String> env = TransactionalCommand.environment(gateway, session.database(), config, sendBatch);
      Path log = freshLog(session, "-transactional-gateway.log");
      progress.say("creating database %s and an API key with %s", session.database(), gateway.jar);
      String apiKey = GatewayProcess.createApiKey(gateway.jar, env, log, Recipients.TENANT);
      TransactionalBench bench = new TransactionalBench(transactional, progress);
      TransactionalBench.Run run;
      TransactionalBench.After after;
      try (GatewayProcess child = GatewayProcess.start(gateway.jar, gateway.jvmArgs(), env, log)) {
        progress.say("transactional: started the gateway (pid %d) on 127.0.0.1:%d, log %s", child.pid(), child.port(),
          log);
        E2eBench.awaitReady(vertx, child);
        run = bench.measure(vertx, sink, child, apiKey, session);
        after = bench.stop(child, sink, session);
      }
      JsonObject json = bench.json(run, after)
        .put("database", session.database())
        .put("gateway_log", log.toString());
      // The backlog's receipts are not needed any more: do not hold them through the intake part.
      sink.reset();
      JsonObject latency = json.getJsonObject("transactional").getJsonObject("latency_ms");
      progress.say("transactional: p50 %s ms, p99 %s ms, max %s ms from the POST to the sink, while %d marketing "
          + "messages drained", latency.getValue("p50"), latency.getValue("p99"), latency.getValue("max"),
        transactional.backlog);
      return new Part(json, TransactionalBench.problems(json));
    }
  }

  // ---------------------------------------------------------------------------------------------- intake

  /**
   * The intake maximum (closed loop) and, on the same warm gateway right after it, the open-model phase at
   * 80% of that maximum; then, with the gateway stopped, the COPY of the maximum phase's rows.
   */
  private void measureIntake(Vertx vertx, BenchDatabase pg, IntakeBench bench, JsonObject result, JsonArray failures,
                             JsonArray databases) {
    JsonObject[] latency = new JsonObject[1];
    List<String> latencyProblems = new ArrayList<>();
    measure(result, failures, "intake", () -> {
      try (BenchSession session = BenchSession.open(out, pg, keepDb, "_intake")) {
        databases.add(session.database());
        Map<String, String> env = IntakeBench.gatewayEnvironment(gateway, session.database());
        Path log = freshLog(session, "-intake-gateway.log");
        progress.say("creating database %s and an API key with %s", session.database(), gateway.jar);
        String apiKey = GatewayProcess.createApiKey(gateway.jar, env, log, Recipients.TENANT);
        Recipients recipients = new Recipients(batchSize);
        AtomicLong nextBatch = new AtomicLong();
        IntakeBench.IntakeRun run;
        IntakeBench.AfterIntake after;
        try (GatewayProcess child = GatewayProcess.start(gateway.jar, gateway.jvmArgs(), env, log)) {
          progress.say("intake: started the gateway (pid %d) on 127.0.0.1:%d, log %s", child.pid(), child.port(), log);
          run = bench.measure(vertx, child, apiKey, recipients, nextBatch, session);
          after = bench.afterIntake(session, recipients, run);
          double max = IntakeBench.recipientsPerSecond(run);
          progress.say("intake maximum: %.1f recipients/s", max);
          if (run.failed() || max <= 0) {
            latency[0] = new JsonObject().put("error", "not run: the intake maximum phase failed");
          } else {
            latency[0] = measureLatency(vertx, child, apiKey, recipients, nextBatch, session, max, latencyProblems);
          }
          progress.say("stopped the gateway (exit code %d)", child.stop());
        }
        IntakeBench.BaselineRun baseline = bench.measureCopy(session, recipients, run, after);
        JsonObject json = bench.report(session, gateway, keepDb, run, baseline);
        json.remove("benchmark");
        json.remove("started_at");
        json.remove("machine");
        json.put("gateway_log", log.toString());
        json.getJsonObject("intake").put("series", intakeSeries(run.measured()));
        json.getJsonObject("copy").put("series", copySeries(baseline.copy()));
        progress.say("intake: %.1f recipients/s, COPY %.1f rows/s, ratio %.4f",
          json.getJsonObject("intake").getDouble("recipients_per_second"),
          json.getJsonObject("copy").getDouble("rows_per_second"), json.getDouble("ratio"));
        return new Part(json, intakeProblems(json));
      }
    });
    if (!parts.contains(ReportPart.intake)) {
      result.put("intake_latency", new JsonObject().put("error", "not run: left out by --parts"));
      return;
    }
    if (latency[0] == null) {
      latency[0] = new JsonObject().put("error", "not run: the intake part failed before it");
    }
    result.put("intake_latency", latency[0]);
    if (latency[0].containsKey("error")) {
      failures.add("intake_latency: " + latency[0].getString("error"));
    }
    latencyProblems.forEach(p -> failures.add("intake_latency: " + p));
  }

  private static List<String> intakeProblems(JsonObject json) {
    List<String> problems = new ArrayList<>();
    JsonObject in = json.getJsonObject("intake");
    long warmErrors = in.containsKey("warmup") ? in.getJsonObject("warmup").getLong("errors") : 0;
    if (in.getLong("errors") > 0 || warmErrors > 0) {
      problems.add((in.getLong("errors") + warmErrors) + " POSTs failed: " + in.getJsonArray("error_samples").encode());
    }
    if (in.getLong("recipients_rejected") > 0) {
      problems.add(in.getLong("recipients_rejected") + " recipients were rejected");
    }
    if (in.getString("aborted") != null) {
      problems.add("the POSTs stopped: " + in.getString("aborted"));
    }
    return problems;
  }

  /**
   * The open-model phase: batches due at {@value #LOAD_FRACTION} of the maximum recipients per second,
   * evenly spaced, for {@code --latency-duration}, pre-generated before it starts, into an emptied
   * {@code messages}; POST latency from the moment each batch was due.
   */
  private JsonObject measureLatency(Vertx vertx, GatewayProcess child, String apiKey, Recipients recipients,
                                    AtomicLong nextBatch, BenchSession session, double maxRecipientsPerSecond,
                                    List<String> problems) throws SQLException {
    double offered = LOAD_FRACTION * maxRecipientsPerSecond;
    double batchesPerSecond = offered / batchSize;
    JsonObject warmup = latencyWarmup(vertx, child, apiKey, recipients, nextBatch, batchesPerSecond, problems);
    int count = openModelBatches(batchesPerSecond, latencyDurationSeconds);
    progress.say("pre-generating %d batches of %d recipients", count, batchSize);
    Supplier<IntakeLoad.Batch> pool = IntakeLoad.pregenerated(recipients, nextBatch, count);
    // The phase starts from the table the maximum phase started from, not from the million rows it left
    // (bigger indexes, and autovacuum working through them during the phase). The COPY baseline, later,
    // writes its rows from the recipients, not from this table, and empties it first too.
    session.pg().execute(session.database(), "TRUNCATE messages");
    session.checkpoint(progress);
    progress.say("intake at %.0f%% of the maximum: %.1f recipients/s (%.2f batches/s) for %d s, open model",
      LOAD_FRACTION * 100, offered, batchesPerSecond, latencyDurationSeconds);
    IntakeLoad.Phase phase;
    JsonObject cpuSplit;
    try (IntakeLoad load = new IntakeLoad(vertx, child.port(), apiKey, MAX_OUTSTANDING, false, child::isAlive)) {
      CpuUsage cpu = new CpuUsage(child.pid());
      CpuUsage.Snapshot before = cpu.snapshot();
      phase = load.runAtRate(pool, batchesPerSecond, Duration.ofSeconds(latencyDurationSeconds), MAX_OUTSTANDING).await();
      cpuSplit = CpuUsage.between(before, cpu.snapshot(), Runtime.getRuntime().availableProcessors());
    }
    double seconds = phase.elapsedSeconds();
    JsonObject latencyMs = IntakeBench.latencyJson(phase.latencyMicros);
    boolean met = latencyMs.getDouble("p99") < P99_GOAL_MS && phase.dropped == 0 && phase.requests > 0;
    progress.say("intake at %.0f%%: %d requests, %d errors, %d dropped; p50 %.2f ms, p99 %.2f ms", LOAD_FRACTION * 100,
      phase.requests, phase.errors, phase.dropped, latencyMs.getDouble("p50"), latencyMs.getDouble("p99"));
    if (phase.errors > 0) {
      problems.add(phase.errors + " POSTs failed: " + new JsonArray(new ArrayList<>(phase.errorSamples)).encode());
    }
    if (phase.recipientsRejected > 0) {
      problems.add(phase.recipientsRejected + " recipients were rejected");
    }
    if (phase.abortReason != null) {
      problems.add("the POSTs stopped: " + phase.abortReason);
    }
    if (phase.sourceExhausted) {
      problems.add("the pre-generated batches ran out before the duration; raise --max-batches");
    }
    return new JsonObject()
      .put("load_fraction", LOAD_FRACTION)
      .put("warmup", warmup)
      .put("max_recipients_per_second", Reports.round(maxRecipientsPerSecond, 1))
      .put("offered_recipients_per_second", Reports.round(offered, 1))
      .put("offered_batches_per_second", Reports.round(batchesPerSecond, 3))
      .put("duration_seconds", latencyDurationSeconds)
      .put("messages_emptied_before", true)
      .put("seconds", Reports.round(seconds, 2))
      .put("batches_due", phase.scheduled.size() + phase.dropped)
      .put("requests", phase.requests)
      .put("recipients_accepted", phase.recipientsAccepted)
      .put("recipients_per_second", Reports.round(Reports.perSecond(phase.recipientsAccepted, seconds), 1))
      .put("recipients_rejected", phase.recipientsRejected)
      .put("dropped", phase.dropped)
      .put("max_outstanding", MAX_OUTSTANDING)
      .put("errors", phase.errors)
      .put("errors_by_kind", new JsonObject(new LinkedHashMap<>(phase.errorsByKind)))
      .put("error_samples", new JsonArray(new ArrayList<>(phase.errorSamples)))
      .put("latency_ms", latencyMs)
      .put("goal_p99_ms", P99_GOAL_MS)
      .put("goal_met", met)
      .put("payloads_exhausted", phase.sourceExhausted)
      .put("aborted", phase.abortReason)
      .put("cpu_cores", cpuSplit)
      .put("series", latencySeries(phase));
  }

  /** The batches an open-model phase at this rate needs for this long (one spare), at most {@code --max-batches}. */
  private int openModelBatches(double batchesPerSecond, int seconds) {
    return (int) Math.min(maxBatches, Math.ceil(batchesPerSecond * seconds) + 1);
  }

  /**
   * The untimed run-up to the phase at 80%: the same open model at the same rate for {@code --latency-warmup}.
   * Without it, the load generator compiled its open-model code during the timed phase: about 300 methods in
   * the phase's first 8 s, on cores the gateway and PostgreSQL share.
   */
  private JsonObject latencyWarmup(Vertx vertx, GatewayProcess child, String apiKey, Recipients recipients,
                                   AtomicLong nextBatch, double batchesPerSecond, List<String> problems) {
    JsonObject json = new JsonObject().put("seconds", latencyWarmupSeconds);
    if (latencyWarmupSeconds == 0) {
      return json.put("requests", 0).put("errors", 0).put("error_samples", new JsonArray());
    }
    Supplier<IntakeLoad.Batch> pool = IntakeLoad.pregenerated(recipients, nextBatch,
      openModelBatches(batchesPerSecond, latencyWarmupSeconds));
    progress.say("warming the open model up for %d s at the same rate, not measured", latencyWarmupSeconds);
    IntakeLoad.Phase phase;
    try (IntakeLoad load = new IntakeLoad(vertx, child.port(), apiKey, MAX_OUTSTANDING, false, child::isAlive)) {
      phase = load.runAtRate(pool, batchesPerSecond, Duration.ofSeconds(latencyWarmupSeconds), MAX_OUTSTANDING).await();
    }
    if (phase.errors > 0) {
      problems.add(phase.errors + " POSTs of the warm-up at 80% failed: "
        + new JsonArray(new ArrayList<>(phase.errorSamples)).encode());
    }
    if (phase.abortReason != null) {
      problems.add("the warm-up at 80% stopped: " + phase.abortReason);
    }
    return json.put("requests", phase.requests).put("errors", phase.errors)
      .put("error_samples", new JsonArray(new ArrayList<>(phase.errorSamples)));
  }

  /** The closed-loop phase over time: recipients accepted per second, POST p50/p99 by answer. */
  private static JsonObject intakeSeries(IntakeLoad.Phase phase) {
    TimeSeries series = TimeSeries.over(phase.endNanos - phase.startNanos)
      .rate("recipients_accepted_per_second").latency("post");
    series.add(phase.completions, phase.startNanos, "recipients_accepted_per_second", "post");
    return series.toJson();
  }

  /**
   * The open-model phase over time: recipients offered (due) and accepted per second, POST p50/p99 by answer;
   * the offered rate only within the duration.
   */
  private JsonObject latencySeries(IntakeLoad.Phase phase) {
    TimeSeries series = TimeSeries.over(phase.endNanos - phase.startNanos)
      .rate("offered_recipients_per_second").rate("recipients_accepted_per_second").latency("post");
    for (Completions.Completion due : phase.scheduled.list()) {
      series.count("offered_recipients_per_second", due.endNanos() - phase.startNanos, due.items() * batchSize);
    }
    series.add(phase.completions, phase.startNanos, "recipients_accepted_per_second", "post");
    JsonObject json = series.toJson();
    // Nothing is offered after the duration (the phase runs on until the last answer): no point there, not a zero.
    JsonArray offered = json.getJsonArray("offered_recipients_per_second");
    JsonArray starts = json.getJsonArray("t_seconds");
    for (int i = 0; i < offered.size(); i++) {
      if (starts.getDouble(i) >= latencyDurationSeconds) {
        offered.set(i, null);
      }
    }
    return json;
  }

  /** The COPY baseline over time: rows committed per second, p50/p99 of one batch's COPY and commit. */
  private static JsonObject copySeries(CopyBaseline.Result copy) {
    TimeSeries series = TimeSeries.over((long) (copy.seconds() * 1e9)).rate("rows_per_second").latency("copy");
    series.add(copy.completions(), copy.startNanos(), "rows_per_second", "copy");
    return series.toJson();
  }

  // --------------------------------------------------------------------------------------------- helpers

  /** A log file next to the result, emptied: the gateway processes append to it. */
  private static Path freshLog(BenchSession session, String suffix) throws IOException {
    Path log = session.sibling(suffix);
    Files.deleteIfExists(log);
    return log;
  }

  private JsonObject parameters(JsonArray databases) {
    return gateway.describe(new JsonObject()
        .put("messages", messages)
        .put("batch_size", batchSize)
        .put("clients", clients)
        .put("send_batch", sendBatch)
        .put("baseline_concurrency", baselineConcurrency)
        .put("timeout_seconds", timeoutSeconds)
        .put("intake_duration_seconds", intakeDurationSeconds)
        .put("intake_warmup_seconds", intakeWarmupSeconds)
        .put("latency_duration_seconds", latencyDurationSeconds)
        .put("latency_warmup_seconds", latencyWarmupSeconds)
        .put("load_fraction", LOAD_FRACTION)
        .put("max_outstanding", MAX_OUTSTANDING)
        .put("max_batches", maxBatches)
        .put("scale_rounds", scaleRounds)
        .put("scale_messages", scaleMessages)
        .put("scale_warmup_messages", scaleWarmupMessages)
        .put("scale_share_cores", scaleShareCores)
        .put("peer_messages", peer.messages)
        .put("peer_warmup_messages", peer.warmupMessages)
        .put("peer_rounds", peer.rounds)
        .put("transactional", transactional.describe())
        .put("parts", new JsonArray(parts.stream().map(Enum::name).sorted().toList())))
      .put("databases", databases)
      .put("databases_kept", keepDb);
  }

  /** The first three fields of /proc/loadavg; "unknown" without it. */
  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
