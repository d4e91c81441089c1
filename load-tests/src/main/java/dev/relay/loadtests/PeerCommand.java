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

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code relay-bench peer}: Relay end to end against graphile-worker doing the same durable work, in one run
 * ({@link PeerBench}); {@code relay-bench report} runs the same as its {@code peer} part.
 */
@Command(name = "peer", mixinStandardHelpOptions = true, sortOptions = false,
  description = {
    "Measures Relay end to end against graphile-worker doing the same durable work (bulk enqueue, render, POST to the "
      + "same sink in requests of --send-batch, record the outcome) on the same machine in the same run: a cold run "
      + "each, a warm-up each, then alternating warm rounds; messages/s, CPU and WAL per message, exactly-once. Needs "
      + "Node.js 20+ and npm (npm ci runs in --peer-dir when its node_modules is missing). Run it from the repository "
      + "root."})
final class PeerCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--batch-size", defaultValue = "1000",
    description = "Recipients per POST /v1/batches, and jobs per addJobs transaction (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--clients", defaultValue = "4",
    description = "Concurrent posting clients of Relay, and enqueuing connections of the peer (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--send-batch", defaultValue = "50",
    description = "Messages per request to the sink, both sides (default: ${DEFAULT-VALUE}).")
  int sendBatch;

  @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
    description = "Longest one run may take (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Mixin
  PeerOptions peer;

  @Option(names = "--tune",
    description = "Instead of the comparison, run the peer alone in every combination of the --tune-* values (an option "
      + "not given keeps its --peer-* value): fresh workers, the warm-up, --peer-rounds runs each; prints the fastest "
      + "configuration as options for the comparison.")
  boolean tune;

  @Option(names = "--tune-workers", split = ",", paramLabel = "N,...", description = "Worker processes to try.")
  List<Integer> tuneWorkers = new ArrayList<>();

  @Option(names = "--tune-concurrency", split = ",", paramLabel = "N,...", description = "concurrentJobs to try.")
  List<Integer> tuneConcurrency = new ArrayList<>();

  @Option(names = "--tune-local-queue", split = ",", paramLabel = "N,...", description = "localQueue sizes to try.")
  List<Integer> tuneLocalQueue = new ArrayList<>();

  @Option(names = "--tune-pool", split = ",", paramLabel = "N,...", description = "maxPoolSize values to try.")
  List<Integer> tunePool = new ArrayList<>();

  @Option(names = "--tune-complete-delay", split = ",", paramLabel = "MS,...",
    description = "completeJobBatchDelay values to try.")
  List<Integer> tuneCompleteDelay = new ArrayList<>();

  @Mixin
  GatewayOptions gateway;

  @Option(names = "--keep-db", description = "Keep the benchmark databases instead of dropping them at the end.")
  boolean keepDb;

  @Option(names = "--out", defaultValue = "load-tests/results/peer.json", paramLabel = "FILE",
    description = "JSON result; the logs go next to it (default: ${DEFAULT-VALUE}).")
  Path out;

  private final Progress progress = new Progress();

  @Override
  public Integer call() throws Exception {
    validate();
    try (BenchSession session = BenchSession.open(out, gateway.database(), keepDb)) {
      Vertx vertx = Vertx.vertx();
      try {
        SandboxServer sink = SandboxServer.start(vertx, "127.0.0.1", 0).await();
        try {
          progress.say("sink (the sandbox provider) listening at %s", sink.url());
          if (tune) {
            return tune(vertx, sink, session);
          }
          PeerBench.Outcome outcome = measure(vertx, sink, session, gateway, peer, batchSize, clients, sendBatch,
            timeoutSeconds, out, keepDb, progress);
          JsonObject result = new JsonObject()
            .put("benchmark", "peer")
            .put("started_at", session.startedAt().toString())
            .put("machine", session.machine())
            .mergeIn(outcome.json())
            .put("failures", new JsonArray(outcome.problems().stream().map(p -> (Object) p).toList()));
          Files.writeString(out, result.encodePrettily() + "\n", StandardCharsets.UTF_8);
          System.out.print(Reports.header("Relay against graphile-worker", result));
          System.out.print(PeerReport.summary(result, true));
          outcome.problems().forEach(p -> System.out.println("FAILED: " + p));
          System.out.println("Result written to " + out);
          return outcome.problems().isEmpty() ? 0 : 1;
        } finally {
          sink.close().await();
        }
      } finally {
        vertx.close().await();
      }
    }
  }

  /**
   * Sets Relay's side up on {@code session}'s database (config file with the sink's account, the API key, which
   * creates and migrates the database) and runs the comparison; shared with {@code report}.
   */
  static PeerBench.Outcome measure(Vertx vertx, SandboxServer sink, BenchSession session, GatewayOptions gateway,
                                   PeerOptions peer, int batchSize, int clients, int sendBatch, int timeoutSeconds,
                                   Path out, boolean keepDb, Progress progress) throws Exception {
    E2eBench.Settings base = new E2eBench.Settings(peer.messages, batchSize, clients, sendBatch, 4, timeoutSeconds, 0);
    E2eBench e2e = new E2eBench(base, gateway, progress);
    Path config = session.sibling("-peer-gateway.yaml");
    E2eCommand.writeConfig(config, sink.url());
    Map<String, String> env = e2e.gatewayEnvironment(session.database(), config);
    Path log = session.sibling("-peer-gateway.log");
    Files.deleteIfExists(log);
    progress.say("creating database %s (unless there) and an API key with %s", session.database(), gateway.jar);
    String apiKey = GatewayProcess.createApiKey(gateway.jar, env, log, Recipients.TENANT);
    PeerBench.RelaySide relay = new PeerBench.RelaySide(session, env, apiKey, new Recipients(batchSize),
      new AtomicLong(), log);
    return new PeerBench(base, peer, gateway, progress).run(vertx, sink, relay, out, keepDb);
  }

  /** The tuning pass: the peer alone in every configuration of the grid. */
  private int tune(Vertx vertx, SandboxServer sink, BenchSession session) throws Exception {
    List<GraphilePeer.Settings> grid = peer.grid(tuneWorkers, tuneConcurrency, tuneLocalQueue, tunePool,
      tuneCompleteDelay, sendBatch, clients);
    E2eBench.Settings base = new E2eBench.Settings(peer.messages, batchSize, clients, sendBatch, 4, timeoutSeconds, 0);
    PeerBench.Outcome outcome = new PeerBench(base, peer, gateway, progress).tune(vertx, sink, session, out, keepDb, grid);
    JsonObject result = new JsonObject()
      .put("benchmark", "peer-tuning")
      .put("started_at", session.startedAt().toString())
      .put("machine", session.machine())
      .mergeIn(outcome.json())
      .put("failures", new JsonArray(outcome.problems().stream().map(p -> (Object) p).toList()));
    Files.writeString(out, result.encodePrettily() + "\n", StandardCharsets.UTF_8);
    System.out.print(Reports.header("graphile-worker tuning", result));
    for (Object o : result.getJsonArray("configurations")) {
      JsonObject c = (JsonObject) o;
      JsonObject warm = c.getJsonObject("warm");
      System.out.printf(java.util.Locale.ROOT, "  %-100s %9.1f messages/s, %s ms CPU/message, %s B WAL/message%n",
        c.getString("options"), warm.getDouble("messages_per_second"), warm.getValue("cpu_ms_per_message"),
        warm.getValue("wal_bytes_per_message"));
    }
    JsonObject best = result.getJsonObject("best");
    if (best != null) {
      System.out.println("Fastest: " + best.getString("options"));
    }
    outcome.problems().forEach(p -> System.out.println("FAILED: " + p));
    System.out.println("Result written to " + out);
    return outcome.problems().isEmpty() ? 0 : 1;
  }

  private void validate() {
    if (batchSize < 1 || batchSize > 10_000) {
      throw new ParameterException(spec.commandLine(), "--batch-size must be 1 to 10000 (the gateway's default limit)");
    }
    if (clients < 1 || clients > 256) {
      throw new ParameterException(spec.commandLine(), "--clients must be 1 to 256");
    }
    if (sendBatch < 1 || sendBatch > 10_000) {
      throw new ParameterException(spec.commandLine(), "--send-batch must be 1 to 10000");
    }
    if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
      throw new ParameterException(spec.commandLine(), "--timeout must be 1 to 3600 seconds");
    }
    String problem = peer.problem(batchSize);
    if (problem != null) {
      throw new ParameterException(spec.commandLine(), problem);
    }
    if (tune) {
      try {
        for (GraphilePeer.Settings s : peer.grid(tuneWorkers, tuneConcurrency, tuneLocalQueue, tunePool,
          tuneCompleteDelay, sendBatch, clients)) {
          String bad = s.problem();
          if (bad != null) {
            throw new ParameterException(spec.commandLine(), "--tune-*: " + bad);
          }
        }
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
    }
    if (!out.getFileName().toString().endsWith(".json")) {
      throw new ParameterException(spec.commandLine(), "--out must name a .json file");
    }
    gateway.requireJar();
  }
}
