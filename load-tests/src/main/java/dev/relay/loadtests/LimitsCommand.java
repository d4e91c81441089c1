package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code relay-bench e2e-limits}: end-to-end messages per second (first POST to the sink's last
 * receipt) with throttling configured far above the load (an account rate and burst, tenant and campaign
 * rates of a million per second, a frequency cap of a million per recipient: every Redis call made, none
 * binding) against the same with no limit configured, in one run on one database, alternating the order
 * (off, on, on, off, …) so that drift of the shared machine favours neither. Reports the ratio.
 */
@Command(name = "e2e-limits", mixinStandardHelpOptions = true, sortOptions = false,
  description = {
    "Measures delivery end to end with rate limits and caps configured far above the load, against the same with "
      + "no limits, in one run; reports the ratio. Needs Redis (redis.uri). Run it from the repository root."})
final class LimitsCommand implements Callable<Integer> {

  /** The goal: limits that do not bind cost at most a tenth of the throughput. */
  static final double GOAL_RATIO = 0.9;
  private static final String FAR_ABOVE = "1000000";

  @Spec
  CommandSpec spec;

  @Option(names = "--messages", defaultValue = "60000",
    description = "Messages per measured run, about 6 s on 2 cores: shorter runs spread the ratio by ±0.07; a "
      + "multiple of --batch-size (default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--warmup-messages", defaultValue = "20000",
    description = "Messages sent end to end, not measured, at the start of every run (each run is a new gateway "
      + "process, whose JIT compiler would otherwise be measured); 0 for none; a multiple of --batch-size "
      + "(default: ${DEFAULT-VALUE}).")
  int warmupMessages;

  @Option(names = "--batch-size", defaultValue = "1000", description = "Recipients per POST (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--clients", defaultValue = "4", description = "Concurrent posting clients (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--rounds", defaultValue = "4",
    description = "Pairs of runs (limits off and on); odd rounds run off first, even ones on first "
      + "(default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
    description = "Longest one run may take (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Mixin
  GatewayOptions gateway;

  @Option(names = "--keep-db", description = "Keep the benchmark database instead of dropping it at the end.")
  boolean keepDb;

  @Option(names = "--out", defaultValue = "load-tests/results/e2e-limits.json", paramLabel = "FILE",
    description = "JSON result (default: ${DEFAULT-VALUE}).")
  Path out;

  private final Progress progress = new Progress();

  /** One measured run. */
  private record Run(boolean limits, long messages, double seconds, JsonObject cpu, long providerCalls) {
    double rate() {
      return messages / seconds;
    }
  }

  @Override
  public Integer call() throws Exception {
    if (batchSize < 1 || messages < batchSize || messages % batchSize != 0 || rounds < 1 || clients < 1
      || warmupMessages < 0 || warmupMessages % batchSize != 0) {
      throw new ParameterException(spec.commandLine(), "--messages must be a positive multiple of --batch-size, "
        + "--warmup-messages 0 or a multiple of it; --rounds and --clients at least 1");
    }
    gateway.requireJar();
    try (BenchSession session = BenchSession.open(out, gateway.database(), keepDb)) {
      Vertx vertx = Vertx.vertx();
      SandboxServer sink = SandboxServer.start(vertx, "127.0.0.1", 0).await();
      try {
        Path off = session.sibling("-off.yaml");
        Path on = session.sibling("-on.yaml");
        writeConfig(off, sink.url(), false);
        writeConfig(on, sink.url(), true);
        String apiKey = GatewayProcess.createApiKey(gateway.jar, environment(session, off, false), session.gatewayLog(),
          Recipients.TENANT);
        Recipients recipients = new Recipients(batchSize);
        AtomicLong nextBatch = new AtomicLong();
        JsonArray runs = new JsonArray();
        double[] seconds = new double[2];
        long[] sent = new long[2];
        for (int round = 0; round < rounds; round++) {
          for (int k = 0; k < 2; k++) {
            boolean limits = (round % 2 == 0) == (k == 1);
            Run run = measure(vertx, sink, session, limits ? on : off, limits, apiKey, recipients, nextBatch);
            runs.add(new JsonObject().put("limits", run.limits()).put("messages", run.messages())
              .put("seconds", run.seconds()).put("messages_per_second", Math.round(run.rate())).put("cpu", run.cpu())
              .put("provider_calls", run.providerCalls()));
            seconds[limits ? 1 : 0] += run.seconds();
            sent[limits ? 1 : 0] += run.messages();
          }
        }
        double offRate = sent[0] / seconds[0];
        double onRate = sent[1] / seconds[1];
        double ratio = onRate / offRate;
        JsonObject result = new JsonObject()
          .put("benchmark", "e2e-limits")
          .put("machine", session.machine())
          .put("messages_per_run", messages)
          .put("warmup_messages_per_run", warmupMessages)
          .put("runs", runs)
          .put("limits_off_messages_per_second", Math.round(offRate))
          .put("limits_on_messages_per_second", Math.round(onRate))
          .put("ratio", Math.round(ratio * 1000) / 1000.0)
          .put("goal_ratio", GOAL_RATIO);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, result.encodePrettily() + "\n", StandardCharsets.UTF_8);
        System.out.printf(Locale.ROOT, "e2e-limits: limits off %.0f messages/s, limits far above the load %.0f "
          + "messages/s: ratio %.2f (goal %.1f)%n", offRate, onRate, ratio, GOAL_RATIO);
        runs.forEach(r -> System.out.println("  " + ((JsonObject) r).encode()));
        System.out.println("Result written to " + out);
        return ratio >= GOAL_RATIO ? 0 : 1;
      } finally {
        sink.close().await();
        vertx.close().await();
      }
    }
  }

  private Run measure(Vertx vertx, SandboxServer sink, BenchSession session, Path config, boolean limits,
                      String apiKey, Recipients recipients, AtomicLong nextBatch) throws Exception {
    try (GatewayProcess child = GatewayProcess.start(gateway.jar, gateway.jvmArgs(), environment(session, config, limits),
      session.gatewayLog())) {
      WebClient probe = WebClient.create(vertx);
      try {
        child.awaitReady(vertx, probe, Duration.ofSeconds(90)).await();
      } finally {
        probe.close();
      }
      if (warmupMessages > 0) {
        sink.reset();
        long start = System.nanoTime();
        long warm = deliver(vertx, sink, child, apiKey, recipients, nextBatch, warmupMessages, "the warm-up");
        progress.say("limits %s: warm-up of %d messages in %.1f s, not measured", limits ? "on" : "off", warm,
          (System.nanoTime() - start) / 1e9);
      }
      session.checkpoint(progress);
      sink.reset();
      progress.say("limits %s: %d messages from %d clients", limits ? "on (far above the load)" : "off", messages,
        clients);
      long callsBefore = providerCalls(vertx, child);
      CpuUsage cpu = new CpuUsage(child.pid());
      CpuUsage.Snapshot before = cpu.snapshot();
      long start = System.nanoTime();
      long delivered = deliver(vertx, sink, child, apiKey, recipients, nextBatch, messages,
        "a run (see " + session.gatewayLog() + ")");
      double elapsed = (System.nanoTime() - start) / 1e9;
      JsonObject split = CpuUsage.between(before, cpu.snapshot(), Runtime.getRuntime().availableProcessors());
      long calls = providerCalls(vertx, child) - callsBefore;
      progress.say("limits %s: %d messages in %.2f s = %.0f/s, %d provider calls; CPU %s", limits ? "on" : "off",
        delivered, elapsed, delivered / elapsed, calls, split.encode());
      child.stop();
      return new Run(limits, delivered, elapsed, split, calls);
    }
  }

  /** Provider calls the gateway has made so far: the count of {@code relay_send_duration_seconds}. */
  private static long providerCalls(Vertx vertx, GatewayProcess child) {
    WebClient client = WebClient.create(vertx);
    try {
      String text = client.get(child.port(), "127.0.0.1", "/metrics").send().await().bodyAsString();
      return text.lines().filter(line -> line.startsWith("relay_send_duration_seconds_count{"))
        .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    } finally {
      client.close();
    }
  }

  /**
   * Posts {@code count} new recipients to the gateway and waits until the sink has every one of them;
   * returns how many arrived. Anything short of all of them, or a POST error, fails {@code what}.
   */
  private long deliver(Vertx vertx, SandboxServer sink, GatewayProcess child, String apiKey, Recipients recipients,
                       AtomicLong nextBatch, int count, String what) throws Exception {
    try (IntakeLoad load = new IntakeLoad(vertx, child.port(), apiKey, clients, false, child::isAlive)) {
      Arrivals arrivals = Arrivals.watch(vertx, sink, count, System.nanoTime()
        + TimeUnit.SECONDS.toNanos(timeoutSeconds), child::isAlive, progress);
      IntakeLoad.Phase posted = load.run(IntakeLoad.pregenerated(recipients, nextBatch, count / batchSize),
        Duration.ofSeconds(timeoutSeconds)).await();
      arrivals.expect(Math.min(count, posted.recipientsAccepted));
      Arrivals.Outcome arrival = arrivals.outcome().await();
      if (!arrival.complete() || posted.errors > 0) {
        throw new IllegalStateException(what + " did not deliver every message (" + (arrival.reason() == null
          ? posted.errors + " POST errors" : arrival.reason()) + ")");
      }
      return arrival.unique();
    }
  }

  /** One account sending to the sink; with limits, a rate and caps that never bind but are all checked. */
  private static void writeConfig(Path config, String sinkUrl, boolean limits) throws java.io.IOException {
    StringBuilder yaml = new StringBuilder("# Written by relay-bench e2e-limits.\naccounts:\n")
      .append("  - name: ").append(E2eCommand.ACCOUNT).append('\n')
      .append("    adapter: ").append(E2eCommand.ACCOUNT).append('\n');
    if (limits) {
      yaml.append("    rate: ").append(FAR_ABOVE).append('\n').append("    burst: 100000\n");
    }
    yaml.append("    settings:\n").append("      url: \"").append(sinkUrl).append("\"\n");
    Files.writeString(config, yaml.toString(), StandardCharsets.UTF_8);
  }

  private Map<String, String> environment(BenchSession session, Path config, boolean limits) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("RELAY_CONFIG", config.toAbsolutePath().toString());
    settings.put("RELAY_INTAKE_MAX_QUEUE_DEPTH", "100000000");
    settings.put("RELAY_SANDBOX_PORT", "0");
    if (limits) {
      settings.put("RELAY_THROTTLE_TENANT_RATE", FAR_ABOVE);
      settings.put("RELAY_THROTTLE_CAMPAIGN_RATE", FAR_ABOVE);
      // Ten minutes, so that the benchmark's per-recipient sets leave Redis soon after it.
      settings.put("RELAY_THROTTLE_CAPS", FAR_ABOVE + "/10m");
    }
    return gateway.environment(session.database(), settings);
  }
}
