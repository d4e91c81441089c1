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

/**
 * {@code relay-bench transactional}: whether a transactional message is stuck behind a campaign. While a marketing
 * backlog drains, one-recipient transactional batches are posted at a fixed rate; each is timed from the start of
 * its POST to its arrival at the sink ({@link TransactionalBench}). {@code relay-bench report} runs the same as its
 * {@code transactional} part.
 */
@Command(name = "transactional", mixinStandardHelpOptions = true, sortOptions = false,
  description = {
    "Measures the latency of transactional messages under a marketing backlog: enqueues --backlog marketing messages "
      + "through POST /v1/batches as fast as intake takes them, then, while the dispatcher drains them to the sink, "
      + "posts one-recipient priority \"transactional\" batches at --transactional-rate for --transactional-duration "
      + "and reports the time from the start of each POST to its arrival at the sink (p50/p90/p99/max; goal: p99 < "
      + "250 ms), exactly once. Run it from the repository root."})
final class TransactionalCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  TransactionalOptions transactional;

  @Option(names = "--send-batch", defaultValue = "50",
    description = "Messages per request to the sink: the gateway's dispatch.send-batch (RELAY_DISPATCH_SEND_BATCH), "
      + "as in e2e (default: ${DEFAULT-VALUE}).")
  int sendBatch;

  @Mixin
  GatewayOptions gateway;

  @Option(names = "--keep-db", description = "Keep the benchmark database instead of dropping it at the end.")
  boolean keepDb;

  @Option(names = "--out", defaultValue = "load-tests/results/transactional.json", paramLabel = "FILE",
    description = "JSON result; the gateway's log and config file go next to it as <name>-gateway.log and "
      + "<name>-gateway.yaml (default: ${DEFAULT-VALUE}).")
  Path out;

  private final Progress progress = new Progress();

  @Override
  public Integer call() throws Exception {
    String problem = transactional.problem();
    if (problem != null) {
      throw new ParameterException(spec.commandLine(), problem);
    }
    if (sendBatch < 1 || sendBatch > 10_000) {
      throw new ParameterException(spec.commandLine(), "--send-batch must be 1 to 10000");
    }
    gateway.requireJar();
    TransactionalBench bench = new TransactionalBench(transactional, progress);
    try (BenchSession session = BenchSession.open(out, gateway.database(), keepDb)) {
      Vertx vertx = Vertx.vertx();
      SandboxServer sink = null;
      GatewayProcess child = null;
      try {
        sink = SandboxServer.start(vertx, "127.0.0.1", 0).await();
        progress.say("sink (the sandbox provider) listening at %s", sink.url());
        Path config = session.sibling("-gateway.yaml");
        E2eCommand.writeConfig(config, sink.url());
        Map<String, String> env = environment(gateway, session.database(), config, sendBatch);
        Path log = session.gatewayLog();
        progress.say("creating database %s and an API key with %s", session.database(), gateway.jar);
        String apiKey = GatewayProcess.createApiKey(gateway.jar, env, log, Recipients.TENANT);
        child = GatewayProcess.start(gateway.jar, gateway.jvmArgs(), env, log);
        progress.say("started the gateway (pid %d) on 127.0.0.1:%d, config %s, log %s", child.pid(), child.port(),
          config, log);
        E2eBench.awaitReady(vertx, child);
        TransactionalBench.Run run = bench.measure(vertx, sink, child, apiKey, session);
        TransactionalBench.After after = bench.stop(child, sink, session);
        JsonObject result = new JsonObject()
          .put("benchmark", "transactional")
          .put("started_at", session.startedAt().toString())
          .put("machine", session.machine())
          .put("parameters", parameters(gateway, transactional, sendBatch)
            .put("database", session.database())
            .put("database_kept", keepDb))
          .mergeIn(bench.json(run, after))
          .put("gateway_config", config.toAbsolutePath().toString())
          .put("gateway_log", log.toString());
        List<String> problems = TransactionalBench.problems(result);
        result.put("problems", new JsonArray(new ArrayList<>(problems)));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, result.encodePrettily() + "\n", StandardCharsets.UTF_8);
        System.out.print(Reports.header("Relay transactional latency under a marketing backlog", result));
        System.out.print(TransactionalBench.summary(result));
        problems.forEach(p -> System.out.println("FAILED: " + p));
        System.out.println("Result written to " + out);
        return problems.isEmpty() ? 0 : 1;
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

  /** The e2e part's gateway environment (the sink's account, dispatch on, no queue bound), with this send batch. */
  static Map<String, String> environment(GatewayOptions gateway, String database, Path config, int sendBatch) {
    return new E2eBench(new E2eBench.Settings(sendBatch, 1, 1, sendBatch, 1, 1, 0), gateway, new Progress())
      .gatewayEnvironment(database, config);
  }

  /** The options as they go into a result's {@code parameters}. */
  static JsonObject parameters(GatewayOptions gateway, TransactionalOptions t, int sendBatch) {
    return gateway.describe(t.describe().put("send_batch", sendBatch));
  }
}
