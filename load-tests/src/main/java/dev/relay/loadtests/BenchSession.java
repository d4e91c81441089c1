package dev.relay.loadtests;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * What every benchmark run that starts the gateway sets up the same way: its result file and the
 * gateway's log next to it, the machine's facts, and a fresh database {@code relay_bench_<UTC
 * timestamp>} that {@link #close()} drops (and a shutdown hook drops, should the run be interrupted)
 * unless it is to be kept.
 */
final class BenchSession implements AutoCloseable {

  private static final DateTimeFormatter DB_SUFFIX = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(ZoneOffset.UTC);

  private final Path out;
  private final Path resultsDir;
  private final String stem;
  private final Instant startedAt;
  private final BenchDatabase pg;
  private final JsonObject machine;
  private final String database;
  private final boolean keepDb;
  private final Thread dropOnExit;

  private BenchSession(Path out, Path resultsDir, String stem, Instant startedAt, BenchDatabase pg, JsonObject machine,
                       String database, boolean keepDb) {
    this.out = out;
    this.resultsDir = resultsDir;
    this.stem = stem;
    this.startedAt = startedAt;
    this.pg = pg;
    this.machine = machine;
    this.database = database;
    this.keepDb = keepDb;
    this.dropOnExit = new Thread(this::dropQuietly, "relay-bench-drop-db");
    if (!keepDb) {
      Runtime.getRuntime().addShutdownHook(dropOnExit);
    }
  }

  /**
   * Creates the results directory, starts the gateway's log afresh, reads the machine's and the
   * server's facts and picks the database's name; fails when that database exists already.
   */
  static BenchSession open(Path out, BenchDatabase pg, boolean keepDb) throws IOException, SQLException {
    return open(out, pg, keepDb, "");
  }

  /**
   * As {@link #open(Path, BenchDatabase, boolean)}, with {@code databaseSuffix} after the database's
   * timestamp ({@code relay_bench_<timestamp><suffix>}): for a run that needs more than one database.
   */
  static BenchSession open(Path out, BenchDatabase pg, boolean keepDb, String databaseSuffix)
    throws IOException, SQLException {
    Path resultsDir = out.toAbsolutePath().getParent();
    Files.createDirectories(resultsDir);
    String stem = out.getFileName().toString().replaceFirst("\\.json$", "");
    Files.deleteIfExists(resultsDir.resolve(stem + "-gateway.log"));
    Instant startedAt = Instant.now();
    JsonObject machine = machineFacts(pg.serverFacts());
    String database = "relay_bench_" + DB_SUFFIX.format(startedAt) + databaseSuffix;
    if (pg.exists(database)) {
      throw new IllegalStateException("database " + database + " already exists; wait a second and run again");
    }
    return new BenchSession(out, resultsDir, stem, startedAt, pg, machine, database, keepDb);
  }

  Path out() {
    return out;
  }

  /** A file next to the result: {@code <name><suffix>}, e.g. {@code intake-gateway.log}. */
  Path sibling(String suffix) {
    return resultsDir.resolve(stem + suffix);
  }

  Path gatewayLog() {
    return sibling("-gateway.log");
  }

  Instant startedAt() {
    return startedAt;
  }

  BenchDatabase pg() {
    return pg;
  }

  JsonObject machine() {
    return machine;
  }

  String database() {
    return database;
  }

  boolean keepDb() {
    return keepDb;
  }

  /** A checkpoint before a timed phase, so that it does not start with the previous phase's dirty pages to flush. */
  void checkpoint(Progress progress) {
    try {
      pg.execute(database, "CHECKPOINT");
    } catch (SQLException e) {
      progress.say("CHECKPOINT refused (%s); the timed phases may include one", e.getMessage());
    }
  }

  /** Drops the database unless it is to be kept. */
  @Override
  public void close() {
    if (keepDb) {
      return;
    }
    dropQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(dropOnExit);
    } catch (IllegalStateException e) {
      // Shutting down already; the hook drops the database (again, harmlessly).
    }
  }

  private void dropQuietly() {
    try {
      pg.drop(database);
    } catch (SQLException e) {
      System.err.println("[bench] could not drop database " + database + ": " + e.getMessage());
    }
  }

  /** The machine's cores, CPU, memory, OS and Java, and the PostgreSQL server's facts. */
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
}
