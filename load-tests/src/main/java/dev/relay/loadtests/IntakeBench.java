package dev.relay.loadtests;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.HdrHistogram.Histogram;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The intake measurement and its COPY baseline, as {@code relay-bench intake} runs them and
 * {@code relay-bench report} reuses them: warm up, pre-generate, run the closed-loop clients for the
 * duration, then (with the gateway stopped) COPY exactly the rows intake accepted into the same table,
 * and check that both wrote the same rows.
 */
final class IntakeBench {

  /** The project's goal: intake reaches at least half of COPY. */
  static final double GOAL_RATIO = 0.5;
  /** Measured batches pre-generated per batch the warm-up managed per second of the duration. */
  private static final double POOL_HEADROOM = 3.0;
  /** The fewest measured batches pre-generated per client and second of the duration, by default. */
  static final int MIN_BATCHES_PER_CLIENT_SECOND = 2;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final DateTimeFormatter PG_TIMESTAMP =
    DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);

  /**
   * The measurement's parameters (the {@code intake} command's options of the same names);
   * {@code minBatchesPerClientSecond}: the fewest measured batches pre-generated per client and second of the
   * duration, whatever the warm-up's pace.
   */
  record Settings(int clients, int batchSize, int durationSeconds, int warmupSeconds, boolean idempotencyKeys,
                  int maxBatches, int minBatchesPerClientSecond) {
  }

  /** Intake's two phases and where the CPU went during the measured one. */
  record IntakeRun(IntakeLoad.Phase warm, IntakeLoad.Phase measured, JsonObject cpu) {

    /** Any answer but 202, any rejected recipient, or a run cut short by the gateway's exit. */
    boolean failed() {
      long errors = measured.errors + (warm == null ? 0 : warm.errors);
      long rejected = measured.recipientsRejected + (warm == null ? 0 : warm.recipientsRejected);
      return errors > 0 || rejected > 0 || measured.abortReason != null;
    }
  }

  /** What intake left in {@code messages}, read before anything else touches it: for the checks after COPY. */
  record AfterIntake(List<String> sample, JsonObject table, List<String> values) {
  }

  /** The COPY baseline, and the checks that it wrote what intake wrote. */
  record BaselineRun(CopyBaseline.Result copy, JsonObject checks) {
  }

  private final Settings settings;
  private final Progress progress;

  IntakeBench(Settings settings, Progress progress) {
    this.settings = settings;
    this.progress = progress;
  }

  /** The gateway's environment for intake alone: no dispatcher, no queue bound. */
  static Map<String, String> gatewayEnvironment(GatewayOptions gateway, String database) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("RELAY_INTAKE_MAX_QUEUE_DEPTH", "100000000");
    // Intake alone: a dispatcher sending the accepted messages would compete for the same CPU and rows.
    // The sandbox provider listens on any free port rather than 8081. Gateways that predate these
    // settings ignore the variables.
    settings.put("RELAY_DISPATCH_ENABLED", "false");
    settings.put("RELAY_SANDBOX_PORT", "0");
    return gateway.environment(database, settings);
  }

  /**
   * Waits for the gateway, warms it up with batches made on the fly, pre-generates the measured
   * batches, checkpoints, and runs the clients for the duration. Batch numbers come from {@code nextBatch}.
   */
  IntakeRun measure(Vertx vertx, GatewayProcess gateway, String apiKey, Recipients recipients, AtomicLong nextBatch,
                    BenchSession session) {
    WebClient probe = WebClient.create(vertx);
    try {
      gateway.awaitReady(vertx, probe, READY_TIMEOUT).await();
    } finally {
      probe.close();
    }
    int clients = settings.clients();
    try (IntakeLoad load = new IntakeLoad(vertx, gateway.port(), apiKey, clients, settings.idempotencyKeys(),
      gateway::isAlive)) {
      IntakeLoad.Phase warm = null;
      if (settings.warmupSeconds() > 0) {
        progress.say("warming up for %d s with %d clients", settings.warmupSeconds(), clients);
        warm = load.run(onTheFly(recipients, nextBatch), Duration.ofSeconds(settings.warmupSeconds())).await();
        progress.say("warm-up: %d requests, %d errors", warm.requests, warm.errors);
      }
      int poolSize = poolSize(warm);
      progress.say("pre-generating %d batches of %d recipients", poolSize, settings.batchSize());
      Supplier<IntakeLoad.Batch> pool = IntakeLoad.pregenerated(recipients, nextBatch, poolSize);
      session.checkpoint(progress);
      progress.say("measuring intake for %d s with %d clients", settings.durationSeconds(), clients);
      CpuUsage cpu = new CpuUsage(gateway.pid());
      CpuUsage.Snapshot before = cpu.snapshot();
      IntakeLoad.Phase measured = load.run(pool, Duration.ofSeconds(settings.durationSeconds())).await();
      JsonObject split = CpuUsage.between(before, cpu.snapshot(), Runtime.getRuntime().availableProcessors());
      return new IntakeRun(warm, measured, split);
    }
  }

  /** The table's rows and size and a few recipients' stored values, right after the measured phase. */
  AfterIntake afterIntake(BenchSession session, Recipients recipients, IntakeRun intake) throws SQLException {
    List<String> sample = sampleRecipients(recipients, intake.measured());
    return new AfterIntake(sample, session.pg().messagesTable(session.database()),
      session.pg().messageValues(session.database(), sample));
  }

  /**
   * Runs the COPY baseline on the rows intake accepted, and checks that it wrote the same rows: the
   * table's row count and size after each, and the stored values of a few recipients.
   */
  BaselineRun measureCopy(BenchSession session, Recipients recipients, IntakeRun intake, AfterIntake after)
    throws Exception {
    CopyBaseline.Result copy = copyBaseline(session, recipients, intake.warm(), intake.measured());
    JsonObject checks = new JsonObject()
      .put("messages_after_intake", after.table())
      .put("messages_after_copy", session.pg().messagesTable(session.database()))
      .put("sample_recipients", new JsonArray(new ArrayList<>(after.sample())))
      .put("sample_rows_identical", !after.values().isEmpty()
        && after.values().equals(session.pg().messageValues(session.database(), after.sample())));
    return new BaselineRun(copy, checks);
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
   * still warming then), and at least {@code minBatchesPerClientSecond} per client and second
   * (a warm-up slowed by a cold JIT or a busy machine says little); at most {@code --max-batches}.
   * With no warm-up, {@code --max-batches}.
   */
  private int poolSize(IntakeLoad.Phase warm) {
    if (warm == null || warm.requests == 0) {
      return settings.maxBatches();
    }
    int clients = settings.clients();
    int duration = settings.durationSeconds();
    double batchesPerSecond = warm.requests / warm.elapsedSeconds();
    long wanted = Math.max((long) Math.ceil(batchesPerSecond * duration * POOL_HEADROOM),
      (long) settings.minBatchesPerClientSecond() * clients * duration) + 2L * clients;
    return (int) Math.min(settings.maxBatches(), wanted);
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
    int clients = settings.clients();
    if (measured.accepted.isEmpty()) {
      progress.say("COPY baseline skipped: intake accepted no batch in the measured phase");
      return new CopyBaseline.Result(0, 0, clients, 0, new JsonObject(), System.nanoTime(), new Completions(),
        new JsonObject());
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

  /** The measured phase as the {@code intake} section of the result. */
  static JsonObject intakeJson(IntakeRun run) {
    IntakeLoad.Phase warm = run.warm();
    IntakeLoad.Phase measured = run.measured();
    double seconds = measured.elapsedSeconds();
    Histogram latency = measured.latencyMicros;
    JsonObject intake = new JsonObject()
      .put("seconds", Reports.round(seconds, 2))
      .put("requests", measured.requests)
      .put("requests_per_second", Reports.round(Reports.perSecond(measured.requests, seconds), 2))
      .put("recipients_accepted", measured.recipientsAccepted)
      .put("recipients_per_second", Reports.round(recipientsPerSecond(run), 1))
      .put("recipients_rejected", measured.recipientsRejected)
      .put("errors", measured.errors)
      .put("errors_by_kind", new JsonObject(new LinkedHashMap<>(measured.errorsByKind)))
      .put("error_samples", new JsonArray(new ArrayList<>(measured.errorSamples)))
      .put("latency_ms", latencyJson(latency))
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
    return intake;
  }

  /** p50, p90, p99, max and mean of POST latencies, in milliseconds. */
  static JsonObject latencyJson(Histogram latency) {
    return new JsonObject()
      .put("p50", Reports.millis(latency.getValueAtPercentile(50)))
      .put("p90", Reports.millis(latency.getValueAtPercentile(90)))
      .put("p99", Reports.millis(latency.getValueAtPercentile(99)))
      .put("max", Reports.millis(latency.getMaxValue()))
      .put("mean", Reports.round(latency.getMean() / 1000.0, 2));
  }

  /** Recipients accepted per second in the measured phase, unrounded. */
  static double recipientsPerSecond(IntakeRun run) {
    return Reports.perSecond(run.measured().recipientsAccepted, run.measured().elapsedSeconds());
  }

  static JsonObject copyJson(CopyBaseline.Result copy) {
    return new JsonObject()
      .put("seconds", Reports.round(copy.seconds(), 2))
      .put("rows", copy.rows())
      .put("batches", copy.batches())
      .put("connections", copy.connections())
      .put("rows_per_second", Reports.round(copy.rowsPerSecond(), 1))
      .put("cpu_cores", copy.cpu())
      .put("postgresql_writes", copy.writes());
  }

  /** The whole result of {@code relay-bench intake}: intake, COPY, their ratio against the goal, the checks. */
  JsonObject report(BenchSession session, GatewayOptions gateway, boolean keepDb, IntakeRun run, BaselineRun baseline) {
    double copyPerSecond = baseline.copy().rowsPerSecond();
    double ratio = copyPerSecond > 0 ? recipientsPerSecond(run) / copyPerSecond : 0;
    return new JsonObject()
      .put("benchmark", "intake")
      .put("started_at", session.startedAt().toString())
      .put("machine", session.machine())
      .put("parameters", gateway.describe(new JsonObject()
          .put("clients", settings.clients())
          .put("batch_size", settings.batchSize())
          .put("duration_seconds", settings.durationSeconds())
          .put("warmup_seconds", settings.warmupSeconds())
          .put("idempotency_keys", settings.idempotencyKeys()))
        .put("database", session.database())
        .put("database_kept", keepDb))
      .put("intake", intakeJson(run))
      .put("copy", copyJson(baseline.copy()))
      .put("ratio", Reports.round(ratio, 4))
      .put("goal_ratio", GOAL_RATIO)
      .put("goal_met", ratio >= GOAL_RATIO)
      .put("checks", baseline.checks())
      .put("gateway_log", session.gatewayLog().toString());
  }
}
