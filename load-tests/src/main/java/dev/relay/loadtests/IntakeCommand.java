package dev.relay.loadtests;

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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code relay-bench intake}: recipients per second that {@code POST /v1/batches} accepts from
 * concurrent closed-loop clients, against the rows per second a plain {@code COPY} of the same rows
 * into the same table reaches, both measured in one run against one fresh database.
 *
 * <p>The steps: create the database {@code relay_bench_<timestamp>} and an API key with the gateway's
 * own {@code api-key create}; start the gateway jar as a child process; warm up; run the clients for
 * the duration from pre-generated batches; stop the gateway; empty {@code messages} and COPY the rows
 * intake accepted (the warm-up's untimed, the measurement's timed); report and drop the database.
 */
@Command(name = "intake", mixinStandardHelpOptions = true, sortOptions = false,
  description = {
    "Measures intake (recipients/s accepted by POST /v1/batches, p50/p99 of the POST) against a plain COPY "
      + "of the same rows into the same table, in one run. Run it from the repository root."})
final class IntakeCommand implements Callable<Integer> {

  /** The project's goal: intake reaches at least half of COPY. */
  static final double GOAL_RATIO = IntakeBench.GOAL_RATIO;

  @Spec
  CommandSpec spec;

  @Option(names = "--clients", defaultValue = "4",
    description = "Concurrent clients, each with one request in flight; also the COPY connections (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--batch-size", defaultValue = "1000",
    description = "Recipients per batch, and rows per COPY (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--duration", defaultValue = "30", paramLabel = "SECONDS",
    description = "Length of the measured intake phase (default: ${DEFAULT-VALUE}).")
  int durationSeconds;

  @Option(names = "--warmup", defaultValue = "5", paramLabel = "SECONDS",
    description = "Length of the unmeasured warm-up before it; 0 for none (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Mixin
  GatewayOptions gateway;

  @Option(names = "--idempotency-keys", description = "Send a distinct Idempotency-Key with every batch.")
  boolean idempotencyKeys;

  @Option(names = "--max-batches", defaultValue = "5000",
    description = "Most batches pre-generated for the measured phase, which bounds its memory; the phase ends "
      + "early (and says so) if they run out (default: ${DEFAULT-VALUE}).")
  int maxBatches;

  @Option(names = "--keep-db", description = "Keep the benchmark database instead of dropping it at the end.")
  boolean keepDb;

  @Option(names = "--out", defaultValue = "load-tests/results/intake.json", paramLabel = "FILE",
    description = "JSON result; the gateway's log goes next to it as <name>-gateway.log (default: ${DEFAULT-VALUE}).")
  Path out;

  private final Progress progress = new Progress();

  @Override
  public Integer call() throws Exception {
    validate();
    IntakeBench bench = new IntakeBench(
      new IntakeBench.Settings(clients, batchSize, durationSeconds, warmupSeconds, idempotencyKeys, maxBatches,
        IntakeBench.MIN_BATCHES_PER_CLIENT_SECOND), progress);
    try (BenchSession session = BenchSession.open(out, gateway.database(), keepDb)) {
      String database = session.database();
      Path gatewayLog = session.gatewayLog();
      Map<String, String> env = IntakeBench.gatewayEnvironment(gateway, database);
      Vertx vertx = Vertx.vertx();
      GatewayProcess child = null;
      try {
        progress.say("creating database %s and an API key with %s", database, gateway.jar);
        String apiKey = GatewayProcess.createApiKey(gateway.jar, env, gatewayLog, Recipients.TENANT);
        child = GatewayProcess.start(gateway.jar, gateway.jvmArgs(), env, gatewayLog);
        progress.say("started the gateway (pid %d) on 127.0.0.1:%d, log %s", child.pid(), child.port(), gatewayLog);
        Recipients recipients = new Recipients(batchSize);
        IntakeBench.IntakeRun intake = bench.measure(vertx, child, apiKey, recipients, new AtomicLong(), session);
        progress.say("stopped the gateway (exit code %d)", child.stop());
        IntakeBench.AfterIntake after = bench.afterIntake(session, recipients, intake);
        IntakeBench.BaselineRun baseline = bench.measureCopy(session, recipients, intake, after);

        JsonObject result = bench.report(session, gateway, keepDb, intake, baseline);
        Files.writeString(out, result.encodePrettily() + "\n", StandardCharsets.UTF_8);
        System.out.print(summary(result));
        System.out.println("Result written to " + out);
        return intake.failed() ? 1 : 0;
      } finally {
        if (child != null) {
          child.close();
        }
        vertx.close().await();
      }
    }
  }

  private void validate() {
    if (clients < 1 || clients > 256) {
      throw new ParameterException(spec.commandLine(), "--clients must be 1 to 256");
    }
    if (batchSize < 1 || batchSize > 10_000) {
      throw new ParameterException(spec.commandLine(), "--batch-size must be 1 to 10000 (the gateway's default limit)");
    }
    if (durationSeconds < 1 || durationSeconds > 3600 || warmupSeconds < 0 || warmupSeconds > 600) {
      throw new ParameterException(spec.commandLine(), "--duration must be 1 to 3600 and --warmup 0 to 600 seconds");
    }
    if (maxBatches < clients) {
      throw new ParameterException(spec.commandLine(), "--max-batches must be at least --clients");
    }
    gateway.requireJar();
  }

  private static String summary(JsonObject r) {
    JsonObject p = r.getJsonObject("parameters");
    JsonObject in = r.getJsonObject("intake");
    JsonObject lat = in.getJsonObject("latency_ms");
    JsonObject copy = r.getJsonObject("copy");
    StringBuilder s = new StringBuilder();
    s.append(Reports.header("Relay intake benchmark", r));
    s.append(String.format(Locale.ROOT, "  parameters %d clients, batches of %d, warm-up %d s, duration %d s%s%n",
      p.getInteger("clients"), p.getInteger("batch_size"), p.getInteger("warmup_seconds"),
      p.getInteger("duration_seconds"), p.getBoolean("idempotency_keys") ? ", with Idempotency-Key" : ""));
    s.append(String.format(Locale.ROOT, "  database   %s (%s)%n", p.getString("database"),
      p.getBoolean("database_kept") ? "kept" : "dropped"));
    s.append(String.format(Locale.ROOT, "Intake: POST /v1/batches through the gateway%n"));
    s.append(String.format(Locale.ROOT, "  requests   %d in %.2f s = %.2f requests/s, errors %d%n",
      in.getLong("requests"), in.getDouble("seconds"), in.getDouble("requests_per_second"), in.getLong("errors")));
    s.append(String.format(Locale.ROOT, "  recipients %d accepted = %.1f recipients/s%n",
      in.getLong("recipients_accepted"), in.getDouble("recipients_per_second")));
    s.append(String.format(Locale.ROOT, "  latency    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
      lat.getDouble("p50"), lat.getDouble("p90"), lat.getDouble("p99"), lat.getDouble("max")));
    s.append(Reports.cpuLine(in.getJsonObject("cpu_cores")));
    for (Object sample : in.getJsonArray("error_samples")) {
      s.append("  error      ").append(sample).append('\n');
    }
    if (in.getBoolean("payloads_exhausted")) {
      s.append("  WARNING    the pre-generated batches ran out before the duration ended; raise --max-batches\n");
    }
    if (in.getString("aborted") != null) {
      s.append("  ABORTED    ").append(in.getString("aborted")).append('\n');
    }
    s.append(String.format(Locale.ROOT, "Baseline: COPY of the same rows (messages and their queue rows), %d connections, one %d-row batch per transaction%n",
      copy.getInteger("connections"), p.getInteger("batch_size")));
    s.append(String.format(Locale.ROOT, "  rows       %d in %.2f s = %.1f rows/s%n",
      copy.getLong("rows"), copy.getDouble("seconds"), copy.getDouble("rows_per_second")));
    s.append(Reports.cpuLine(copy.getJsonObject("cpu_cores")));
    s.append(Reports.writesLine(copy.getJsonObject("postgresql_writes"), "row"));
    JsonObject checks = r.getJsonObject("checks");
    JsonObject afterIntake = checks.getJsonObject("messages_after_intake");
    JsonObject afterCopy = checks.getJsonObject("messages_after_copy");
    s.append(String.format(Locale.ROOT,
      "Check: messages after intake %d rows, %.1f MiB; after COPY %d rows, %.1f MiB; sampled rows identical: %s%n",
      afterIntake.getLong("rows"), afterIntake.getLong("total_bytes") / (double) (1L << 20),
      afterCopy.getLong("rows"), afterCopy.getLong("total_bytes") / (double) (1L << 20),
      checks.getBoolean("sample_rows_identical") ? "yes" : "NO"));
    s.append(String.format(Locale.ROOT, "Ratio intake/COPY: %.4f (goal >= %.1f: %s)%n", r.getDouble("ratio"),
      r.getDouble("goal_ratio"), r.getBoolean("goal_met") ? "met" : "NOT met"));
    return s.toString();
  }
}
