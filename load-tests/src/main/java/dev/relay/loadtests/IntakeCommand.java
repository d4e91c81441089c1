package dev.relay.loadtests;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
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
import java.util.concurrent.atomic.AtomicInteger;
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
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final DateTimeFormatter DB_SUFFIX = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(ZoneOffset.UTC);
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

  @Option(names = "--gateway-jar", defaultValue = "gateway/target/relay.jar", paramLabel = "JAR",
    description = "The gateway's jar (default: ${DEFAULT-VALUE}).")
  Path gatewayJar;

  @Option(names = "--gateway-jvm-args", split = "\\s+", paramLabel = "ARGS",
    description = "JVM options for the gateway, space-separated, e.g. \"-Xmx2g -XX:StartFlightRecording=filename=/tmp/gw.jfr\".")
  List<String> gatewayJvmArgs = new ArrayList<>();

  @Option(names = "--gateway-env", paramLabel = "NAME=VALUE",
    description = "Extra environment of the gateway, repeatable, e.g. RELAY_DB_POOL_SIZE=4.")
  Map<String, String> gatewayEnv = new LinkedHashMap<>();

  @Option(names = "--db-host", defaultValue = "127.0.0.1", description = "PostgreSQL host (default: ${DEFAULT-VALUE}).")
  String dbHost;

  @Option(names = "--db-port", defaultValue = "5432", description = "PostgreSQL port (default: ${DEFAULT-VALUE}).")
  int dbPort;

  @Option(names = "--db-user", defaultValue = "postgres",
    description = "PostgreSQL role; it must be allowed to create databases (default: ${DEFAULT-VALUE}).")
  String dbUser;

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

  private final long startNanos = System.nanoTime();

  @Override
  public Integer call() throws Exception {
    validate();
    Path resultsDir = out.toAbsolutePath().getParent();
    Files.createDirectories(resultsDir);
    String stem = out.getFileName().toString().replaceFirst("\\.json$", "");
    Path gatewayLog = resultsDir.resolve(stem + "-gateway.log");
    Files.deleteIfExists(gatewayLog);

    Instant startedAt = Instant.now();
    BenchDatabase pg = new BenchDatabase(dbHost, dbPort, dbUser);
    JsonObject machine = machineFacts(pg.serverFacts());
    String database = "relay_bench_" + DB_SUFFIX.format(startedAt);
    if (pg.exists(database)) {
      throw new IllegalStateException("database " + database + " already exists; wait a second and run again");
    }
    Map<String, String> env = gatewayEnvironment(database);
    Thread dropOnExit = new Thread(() -> dropQuietly(pg, database), "relay-bench-drop-db");
    if (!keepDb) {
      Runtime.getRuntime().addShutdownHook(dropOnExit);
    }

    Vertx vertx = Vertx.vertx();
    GatewayProcess gateway = null;
    try {
      progress("creating database %s and an API key with %s", database, gatewayJar);
      String apiKey = GatewayProcess.createApiKey(gatewayJar, env, gatewayLog, Recipients.TENANT);
      gateway = GatewayProcess.start(gatewayJar, gatewayJvmArgs, env, gatewayLog);
      progress("started the gateway (pid %d) on 127.0.0.1:%d, log %s", gateway.pid(), gateway.port(), gatewayLog);
      Recipients recipients = new Recipients(batchSize);
      IntakeRun intake = measureIntake(vertx, gateway, apiKey, recipients, pg, database);
      progress("stopped the gateway (exit code %d)", gateway.stop());
      BaselineRun baseline = measureCopy(pg, database, recipients, intake);

      JsonObject result = report(startedAt, machine, database, gatewayLog, intake, baseline);
      Files.writeString(out, result.encodePrettily() + "\n", StandardCharsets.UTF_8);
      System.out.print(summary(result));
      System.out.println("Result written to " + out);
      return intake.failed() ? 1 : 0;
    } finally {
      if (gateway != null) {
        gateway.close();
      }
      vertx.close().await();
      if (!keepDb) {
        dropQuietly(pg, database);
        try {
          Runtime.getRuntime().removeShutdownHook(dropOnExit);
        } catch (IllegalStateException e) {
          // Shutting down already; the hook drops the database (again, harmlessly).
        }
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
                                  BenchDatabase pg, String database) {
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
        progress("warming up for %d s with %d clients", warmupSeconds, clients);
        warm = load.run(onTheFly(recipients, nextBatch), Duration.ofSeconds(warmupSeconds)).await();
        progress("warm-up: %d requests, %d errors", warm.requests, warm.errors);
      }
      int poolSize = poolSize(warm);
      progress("pre-generating %d batches of %d recipients", poolSize, batchSize);
      Supplier<IntakeLoad.Batch> pool = pregenerated(recipients, nextBatch, poolSize);
      checkpoint(pg, database);
      progress("measuring intake for %d s with %d clients", durationSeconds, clients);
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
  private BaselineRun measureCopy(BenchDatabase pg, String database, Recipients recipients, IntakeRun intake)
    throws Exception {
    List<String> sample = sampleRecipients(recipients, intake.measured());
    JsonObject afterIntake = pg.messagesTable(database);
    List<String> intakeValues = pg.messageValues(database, sample);
    CopyBaseline.Result copy = copyBaseline(pg, database, recipients, intake.warm(), intake.measured());
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
    if (!Files.isRegularFile(gatewayJar)) {
      throw new IllegalStateException("no gateway jar at " + gatewayJar.toAbsolutePath()
        + "; build it with ./mvnw -DskipTests package from the repository root, or pass --gateway-jar");
    }
  }

  private Map<String, String> gatewayEnvironment(String database) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("RELAY_DB_HOST", dbHost);
    env.put("RELAY_DB_PORT", Integer.toString(dbPort));
    env.put("RELAY_DB_USER", dbUser);
    env.put("RELAY_DB_NAME", database);
    env.put("RELAY_INTAKE_MAX_QUEUE_DEPTH", "100000000");
    // Intake alone: a dispatcher sending the accepted messages would compete for the same CPU and rows.
    env.put("RELAY_DISPATCH_ENABLED", "false");
    env.put("RELAY_SANDBOX_PORT", "0");
    env.putAll(gatewayEnv);
    env.put("RELAY_DB_NAME", database);
    return env;
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
   * still warming then), at most {@code --max-batches}; with no warm-up, {@code --max-batches}.
   */
  private int poolSize(IntakeLoad.Phase warm) {
    if (warm == null || warm.requests == 0) {
      return maxBatches;
    }
    double batchesPerSecond = warm.requests / warm.elapsedSeconds();
    long wanted = (long) Math.ceil(batchesPerSecond * durationSeconds * POOL_HEADROOM) + 2L * clients;
    return (int) Math.min(maxBatches, wanted);
  }

  /** Measured batches, all made before the phase starts; each is let go once sent. */
  private static Supplier<IntakeLoad.Batch> pregenerated(Recipients recipients, AtomicLong nextBatch, int count) {
    IntakeLoad.Batch[] pool = new IntakeLoad.Batch[count];
    for (int i = 0; i < count; i++) {
      long number = nextBatch.getAndIncrement();
      pool[i] = new IntakeLoad.Batch(number, Buffer.buffer(recipients.requestBody(number)));
    }
    AtomicInteger taken = new AtomicInteger();
    return () -> {
      int i = taken.getAndIncrement();
      if (i >= pool.length) {
        return null;
      }
      IntakeLoad.Batch batch = pool[i];
      pool[i] = null;
      return batch;
    };
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
  private CopyBaseline.Result copyBaseline(BenchDatabase pg, String database, Recipients recipients,
                                           IntakeLoad.Phase warm, IntakeLoad.Phase measured) throws Exception {
    if (measured.accepted.isEmpty()) {
      progress("COPY baseline skipped: intake accepted no batch in the measured phase");
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
    progress("COPY baseline: %d batches untimed, then %d batches timed, %d connections",
      warmRows.size(), timedRows.size(), clients);
    CopyBaseline baseline = new CopyBaseline(pg, database, clients);
    return baseline.run(warmRows, timedRows, () -> checkpoint(pg, database), new CpuUsage(-1));
  }

  /** A checkpoint before each timed phase, so neither starts with the other's dirty pages to flush. */
  private void checkpoint(BenchDatabase pg, String database) {
    try {
      pg.execute(database, "CHECKPOINT");
    } catch (SQLException e) {
      progress("CHECKPOINT refused (%s); the timed phases may include one", e.getMessage());
    }
  }

  private JsonObject report(Instant startedAt, JsonObject machine, String database, Path gatewayLog,
                            IntakeRun run, BaselineRun baseline) {
    IntakeLoad.Phase warm = run.warm();
    IntakeLoad.Phase measured = run.measured();
    CopyBaseline.Result copy = baseline.copy();
    double seconds = measured.elapsedSeconds();
    double recipientsPerSecond = perSecond(measured.recipientsAccepted, seconds);
    Histogram latency = measured.latencyMicros;
    JsonObject intake = new JsonObject()
      .put("seconds", round(seconds, 2))
      .put("requests", measured.requests)
      .put("requests_per_second", round(perSecond(measured.requests, seconds), 2))
      .put("recipients_accepted", measured.recipientsAccepted)
      .put("recipients_per_second", round(recipientsPerSecond, 1))
      .put("recipients_rejected", measured.recipientsRejected)
      .put("errors", measured.errors)
      .put("errors_by_kind", new JsonObject(new LinkedHashMap<>(measured.errorsByKind)))
      .put("error_samples", new JsonArray(new ArrayList<>(measured.errorSamples)))
      .put("latency_ms", new JsonObject()
        .put("p50", millis(latency.getValueAtPercentile(50)))
        .put("p90", millis(latency.getValueAtPercentile(90)))
        .put("p99", millis(latency.getValueAtPercentile(99)))
        .put("max", millis(latency.getMaxValue()))
        .put("mean", round(latency.getMean() / 1000.0, 2)))
      .put("payloads_exhausted", measured.sourceExhausted)
      .put("aborted", measured.abortReason)
      .put("cpu_cores", run.cpu());
    if (warm != null) {
      intake.put("warmup", new JsonObject()
        .put("seconds", round(warm.elapsedSeconds(), 2))
        .put("requests", warm.requests)
        .put("recipients_accepted", warm.recipientsAccepted)
        .put("errors", warm.errors)
        .put("error_samples", new JsonArray(new ArrayList<>(warm.errorSamples))));
    }
    double copyPerSecond = copy.rowsPerSecond();
    JsonObject copyReport = new JsonObject()
      .put("seconds", round(copy.seconds(), 2))
      .put("rows", copy.rows())
      .put("batches", copy.batches())
      .put("connections", copy.connections())
      .put("rows_per_second", round(copyPerSecond, 1))
      .put("cpu_cores", copy.cpu());
    double ratio = copyPerSecond > 0 ? recipientsPerSecond / copyPerSecond : 0;
    return new JsonObject()
      .put("benchmark", "intake")
      .put("started_at", startedAt.toString())
      .put("machine", machine)
      .put("parameters", new JsonObject()
        .put("clients", clients)
        .put("batch_size", batchSize)
        .put("duration_seconds", durationSeconds)
        .put("warmup_seconds", warmupSeconds)
        .put("idempotency_keys", idempotencyKeys)
        .put("gateway_jar", gatewayJar.toString())
        .put("gateway_jvm_args", new JsonArray(new ArrayList<>(gatewayJvmArgs)))
        .put("gateway_env", new JsonObject(new LinkedHashMap<>(gatewayEnv)))
        .put("db_host", dbHost)
        .put("db_port", dbPort)
        .put("database", database)
        .put("database_kept", keepDb))
      .put("intake", intake)
      .put("copy", copyReport)
      .put("ratio", round(ratio, 4))
      .put("goal_ratio", GOAL_RATIO)
      .put("goal_met", ratio >= GOAL_RATIO)
      .put("checks", baseline.checks())
      .put("gateway_log", gatewayLog.toString());
  }

  private static String summary(JsonObject r) {
    JsonObject m = r.getJsonObject("machine");
    JsonObject p = r.getJsonObject("parameters");
    JsonObject in = r.getJsonObject("intake");
    JsonObject lat = in.getJsonObject("latency_ms");
    JsonObject copy = r.getJsonObject("copy");
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "%nRelay intake benchmark, %s%n", r.getString("started_at")));
    s.append(String.format(Locale.ROOT, "  machine    %d cores (%s), %.1f GiB, Java %s, PostgreSQL %s%n",
      m.getInteger("cores"), m.getString("cpu_model"), m.getLong("memory_bytes") / (double) (1L << 30),
      m.getString("java"), m.getJsonObject("postgresql").getString("version")));
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
    s.append(cpuLine(in.getJsonObject("cpu_cores")));
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
    s.append(cpuLine(copy.getJsonObject("cpu_cores")));
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

  private static String cpuLine(JsonObject cpu) {
    if (cpu == null || cpu.isEmpty()) {
      return "";
    }
    String gateway = cpu.containsKey("gateway") ? String.format(Locale.ROOT, "gateway %.2f, ", cpu.getDouble("gateway")) : "";
    return String.format(Locale.ROOT,
      "  cpu cores  %spostgresql %.2f, load generator %.2f, other %.2f; machine busy %.2f of %d%n",
      gateway, cpu.getDouble("postgresql"), cpu.getDouble("load_generator"), cpu.getDouble("other"),
      cpu.getDouble("machine_busy"), cpu.getInteger("machine_cores"));
  }

  private static JsonObject machineFacts(JsonObject postgresql) {
    long memory = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
      .getTotalMemorySize();
    return new JsonObject()
      .put("cores", Runtime.getRuntime().availableProcessors())
      .put("cpu_model", cpuModel())
      .put("memory_bytes", memory)
      .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"))
      .put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
        + System.getProperty("java.vendor") + ")")
      .put("postgresql", postgresql);
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
        .filter(line -> line.startsWith("model name"))
        .map(line -> line.substring(line.indexOf(':') + 1).strip())
        .findFirst().orElse("unknown");
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static double perSecond(double count, double seconds) {
    return seconds > 0 ? count / seconds : 0;
  }

  private static double millis(long micros) {
    return round(micros / 1000.0, 2);
  }

  private static double round(double value, int digits) {
    double scale = Math.pow(10, digits);
    return Math.round(value * scale) / scale;
  }

  private void dropQuietly(BenchDatabase pg, String database) {
    try {
      pg.drop(database);
    } catch (SQLException e) {
      System.err.println("[bench] could not drop database " + database + ": " + e.getMessage());
    }
  }

  private void progress(String format, Object... args) {
    System.err.printf(Locale.ROOT, "[bench %6.1fs] %s%n", (System.nanoTime() - startNanos) / 1e9,
      String.format(Locale.ROOT, format, args));
  }
}
