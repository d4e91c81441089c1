package dev.relay.loadtests;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.HdrHistogram.Histogram;
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
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

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
  static final double GOAL_RATIO = 0.5;
  /** Measured batches pre-generated per batch the warm-up managed per second of the duration. */
  private static final double POOL_HEADROOM = 3.0;
  /** The fewest measured batches pre-generated per client and second of the duration. */
  private static final int MIN_BATCHES_PER_CLIENT_SECOND = 2;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final DateTimeFormatter PG_TIMESTAMP =
    DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);

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
    try (BenchSession session = BenchSession.open(out, gateway.database(), keepDb)) {
      String database = session.database();
      Path gatewayLog = session.gatewayLog();
      Map<String, String> env = gatewayEnvironment(database);
      Vertx vertx = Vertx.vertx();
      GatewayProcess child = null;
      try {
        progress.say("creating database %s and an API key with %s", database, gateway.jar);
        String apiKey = GatewayProcess.createApiKey(gateway.jar, env, gatewayLog, Recipients.TENANT);
        child = GatewayProcess.start(gateway.jar, gateway.jvmArgs, env, gatewayLog);
        progress.say("started the gateway (pid %d) on 127.0.0.1:%d, log %s", child.pid(), child.port(), gatewayLog);
        Recipients recipients = new Recipients(batchSize);
        IntakeRun intake = measureIntake(vertx, child, apiKey, recipients, session);
        progress.say("stopped the gateway (exit code %d)", child.stop());
        BaselineRun baseline = measureCopy(session, recipients, intake);

        JsonObject result = report(session, intake, baseline);
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

  /** Intake's two phases and where the CPU went during the measured one. */
  private record IntakeRun(IntakeLoad.Phase warm, IntakeLoad.Phase measured, JsonObject cpu) {

    /** Any answer but 202, any rejected recipient, or a run cut short by the gateway's exit. */
    boolean failed() {
      long errors = measured.errors + (warm == null ? 0 : warm.errors);
      long rejected = measured.recipientsRejected + (warm == null ? 0 : warm.recipientsRejected);
      return errors > 0 || rejected > 0 || measured.abortReason != null;
    }
  }

  /** The COPY baseline, and the checks that it wrote what intake wrote. */
  private record BaselineRun(CopyBaseline.Result copy, JsonObject checks) {
  }

  /**
   * Waits for the gateway, warms it up with batches made on the fly, pre-generates the measured
   * batches, checkpoints, and runs the clients for the duration.
   */
  private IntakeRun measureIntake(Vertx vertx, GatewayProcess gateway, String apiKey, Recipients recipients,
                                  BenchSession session) {
    WebClient probe = WebClient.create(vertx);
    try {
      gateway.awaitReady(vertx, probe, READY_TIMEOUT).await();
    } finally {
      probe.close();
    }
    AtomicLong nextBatch = new AtomicLong();
    try (IntakeLoad load = new IntakeLoad(vertx, gateway.port(), apiKey, clients, idempotencyKeys, gateway::isAlive)) {
      IntakeLoad.Phase warm = null;
      if (warmupSeconds > 0) {
        progress.say("warming up for %d s with %d clients", warmupSeconds, clients);
        warm = load.run(onTheFly(recipients, nextBatch), Duration.ofSeconds(warmupSeconds)).await();
        progress.say("warm-up: %d requests, %d errors", warm.requests, warm.errors);
      }
      int poolSize = poolSize(warm);
      progress.say("pre-generating %d batches of %d recipients", poolSize, batchSize);
      Supplier<IntakeLoad.Batch> pool = IntakeLoad.pregenerated(recipients, nextBatch, poolSize);
      session.checkpoint(progress);
      progress.say("measuring intake for %d s with %d clients", durationSeconds, clients);
      CpuUsage cpu = new CpuUsage(gateway.pid());
      CpuUsage.Snapshot before = cpu.snapshot();
      IntakeLoad.Phase measured = load.run(pool, Duration.ofSeconds(durationSeconds)).await();
      JsonObject split = CpuUsage.between(before, cpu.snapshot(), Runtime.getRuntime().availableProcessors());
      return new IntakeRun(warm, measured, split);
    }
  }

  /**
   * Runs the COPY baseline on the rows intake accepted, and checks that it wrote the same rows: the
   * table's row count and size after each, and the stored values of a few recipients.
   */
  private BaselineRun measureCopy(BenchSession session, Recipients recipients, IntakeRun intake) throws Exception {
    BenchDatabase pg = session.pg();
    String database = session.database();
    List<String> sample = sampleRecipients(recipients, intake.measured());
    JsonObject afterIntake = pg.messagesTable(database);
    List<String> intakeValues = pg.messageValues(database, sample);
    CopyBaseline.Result copy = copyBaseline(session, recipients, intake.warm(), intake.measured());
    JsonObject checks = new JsonObject()
      .put("messages_after_intake", afterIntake)
      .put("messages_after_copy", pg.messagesTable(database))
      .put("sample_recipients", new JsonArray(new ArrayList<>(sample)))
      .put("sample_rows_identical", !intakeValues.isEmpty() && intakeValues.equals(pg.messageValues(database, sample)));
    return new BaselineRun(copy, checks);
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

  private Map<String, String> gatewayEnvironment(String database) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("RELAY_INTAKE_MAX_QUEUE_DEPTH", "100000000");
    // Intake alone: a dispatcher sending the accepted messages would compete for the same CPU and rows.
    // The sandbox provider listens on any free port rather than 8081. Gateways that predate these
    // settings ignore the variables.
    settings.put("RELAY_DISPATCH_ENABLED", "false");
    settings.put("RELAY_SANDBOX_PORT", "0");
    return gateway.environment(database, settings);
  }

  /** Warm-up batches, made as they are sent: the warm-up is not measured. */
  private static Supplier<IntakeLoad.Batch> onTheFly(Recipients recipients, AtomicLong nextBatch) {
    return () -> {
      long number = nextBatch.getAndIncrement();
      return new IntakeLoad.Batch(number, Buffer.buffer(recipients.requestBody(number)));
    };
  }

  /**
   * Enough measured batches for the duration at three times the warm-up's pace (the gateway is
   * still warming then), and at least {@value #MIN_BATCHES_PER_CLIENT_SECOND} per client and second
   * (a warm-up slowed by a cold JIT or a busy machine says little); at most {@code --max-batches}.
   * With no warm-up, {@code --max-batches}.
   */
  private int poolSize(IntakeLoad.Phase warm) {
    if (warm == null || warm.requests == 0) {
      return maxBatches;
    }
    double batchesPerSecond = warm.requests / warm.elapsedSeconds();
    long wanted = Math.max((long) Math.ceil(batchesPerSecond * durationSeconds * POOL_HEADROOM),
      (long) MIN_BATCHES_PER_CLIENT_SECOND * clients * durationSeconds) + 2L * clients;
    return (int) Math.min(maxBatches, wanted);
  }

  /** The first, a middle and the last recipient of the measured phase, to compare intake's rows with COPY's. */
  private static List<String> sampleRecipients(Recipients recipients, IntakeLoad.Phase measured) {
    List<IntakeLoad.Accepted> batches = measured.accepted;
    if (batches.isEmpty()) {
      return List.of();
    }
    int size = recipients.batchSize();
    return List.of(
      recipients.recipientId(batches.get(0).number(), 0),
      recipients.recipientId(batches.get(batches.size() / 2).number(), size / 2),
      recipients.recipientId(batches.get(batches.size() - 1).number(), size - 1));
  }

  /**
   * Empties {@code messages} (intake started from an empty table too), copies the rows of the
   * warm-up's accepted batches untimed, checkpoints, then times the COPY of the measured phase's
   * accepted batches. The rows reference intake's own {@code batches} rows, so no batch row is
   * written here, timed or not. When intake accepted nothing there is nothing to copy.
   */
  private CopyBaseline.Result copyBaseline(BenchSession session, Recipients recipients,
                                           IntakeLoad.Phase warm, IntakeLoad.Phase measured) throws Exception {
    BenchDatabase pg = session.pg();
    String database = session.database();
    if (measured.accepted.isEmpty()) {
      progress.say("COPY baseline skipped: intake accepted no batch in the measured phase");
      return new CopyBaseline.Result(0, 0, clients, 0, new JsonObject());
    }
    long[] ids = pg.tenantAndCampaign(database, Recipients.TENANT, Recipients.CAMPAIGN);
    Instant now = Instant.now();
    String dueAt = PG_TIMESTAMP.format(now);
    String expiresAt = PG_TIMESTAMP.format(now.plusSeconds(Recipients.TTL_SECONDS));
    List<byte[]> warmRows = new ArrayList<>();
    if (warm != null) {
      for (IntakeLoad.Accepted batch : warm.accepted) {
        warmRows.add(recipients.copyRows(batch.number(), batch.batchId(), ids[0], ids[1], dueAt, expiresAt));
      }
    }
    List<byte[]> timedRows = new ArrayList<>();
    for (IntakeLoad.Accepted batch : measured.accepted) {
      timedRows.add(recipients.copyRows(batch.number(), batch.batchId(), ids[0], ids[1], dueAt, expiresAt));
    }
    pg.execute(database, "TRUNCATE messages");
    progress.say("COPY baseline: %d batches untimed, then %d batches timed, %d connections",
      warmRows.size(), timedRows.size(), clients);
    CopyBaseline baseline = new CopyBaseline(pg, database, clients);
    return baseline.run(warmRows, timedRows, () -> session.checkpoint(progress), new CpuUsage(-1));
  }

  private JsonObject report(BenchSession session, IntakeRun run, BaselineRun baseline) {
    IntakeLoad.Phase warm = run.warm();
    IntakeLoad.Phase measured = run.measured();
    CopyBaseline.Result copy = baseline.copy();
    double seconds = measured.elapsedSeconds();
    double recipientsPerSecond = Reports.perSecond(measured.recipientsAccepted, seconds);
    Histogram latency = measured.latencyMicros;
    JsonObject intake = new JsonObject()
      .put("seconds", Reports.round(seconds, 2))
      .put("requests", measured.requests)
      .put("requests_per_second", Reports.round(Reports.perSecond(measured.requests, seconds), 2))
      .put("recipients_accepted", measured.recipientsAccepted)
      .put("recipients_per_second", Reports.round(recipientsPerSecond, 1))
      .put("recipients_rejected", measured.recipientsRejected)
      .put("errors", measured.errors)
      .put("errors_by_kind", new JsonObject(new LinkedHashMap<>(measured.errorsByKind)))
      .put("error_samples", new JsonArray(new ArrayList<>(measured.errorSamples)))
      .put("latency_ms", new JsonObject()
        .put("p50", Reports.millis(latency.getValueAtPercentile(50)))
        .put("p90", Reports.millis(latency.getValueAtPercentile(90)))
        .put("p99", Reports.millis(latency.getValueAtPercentile(99)))
        .put("max", Reports.millis(latency.getMaxValue()))
        .put("mean", Reports.round(latency.getMean() / 1000.0, 2)))
      .put("payloads_exhausted", measured.sourceExhausted)
      .put("aborted", measured.abortReason)
      .put("cpu_cores", run.cpu());
    if (warm != null) {
      intake.put("warmup", new JsonObject()
        .put("seconds", Reports.round(warm.elapsedSeconds(), 2))
        .put("requests", warm.requests)
        .put("recipients_accepted", warm.recipientsAccepted)
        .put("errors", warm.errors)
        .put("error_samples", new JsonArray(new ArrayList<>(warm.errorSamples))));
    }
    double copyPerSecond = copy.rowsPerSecond();
    JsonObject copyReport = new JsonObject()
      .put("seconds", Reports.round(copy.seconds(), 2))
      .put("rows", copy.rows())
      .put("batches", copy.batches())
      .put("connections", copy.connections())
      .put("rows_per_second", Reports.round(copyPerSecond, 1))
      .put("cpu_cores", copy.cpu());
    double ratio = copyPerSecond > 0 ? recipientsPerSecond / copyPerSecond : 0;
    return new JsonObject()
      .put("benchmark", "intake")
      .put("started_at", session.startedAt().toString())
      .put("machine", session.machine())
      .put("parameters", gateway.describe(new JsonObject()
          .put("clients", clients)
          .put("batch_size", batchSize)
          .put("duration_seconds", durationSeconds)
          .put("warmup_seconds", warmupSeconds)
          .put("idempotency_keys", idempotencyKeys))
        .put("database", session.database())
        .put("database_kept", keepDb))
      .put("intake", intake)
      .put("copy", copyReport)
      .put("ratio", Reports.round(ratio, 4))
      .put("goal_ratio", GOAL_RATIO)
      .put("goal_met", ratio >= GOAL_RATIO)
      .put("checks", baseline.checks())
      .put("gateway_log", session.gatewayLog().toString());
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
    s.append(String.format(Locale.ROOT, "Baseline: COPY of the same rows, %d connections, one %d-row COPY per transaction%n",
      copy.getInteger("connections"), p.getInteger("batch_size")));
    s.append(String.format(Locale.ROOT, "  rows       %d in %.2f s = %.1f rows/s%n",
      copy.getLong("rows"), copy.getDouble("seconds"), copy.getDouble("rows_per_second")));
    s.append(Reports.cpuLine(copy.getJsonObject("cpu_cores")));
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
