package dev.relay.loadtests;

import io.vertx.core.json.JsonObject;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The baseline intake is measured against: the same rows written with plain {@code COPY ... FROM STDIN}
 * through pgjdbc's {@link CopyManager}, from as many connections as intake had clients, one batch per
 * transaction: its message rows ({@code COPY messages}, with ids taken from the table's identity first)
 * and the queue row each queued message needs ({@code COPY message_queue}), which intake writes too. This
 * is the fastest way PostgreSQL takes those rows into those tables with their indexes, so it bounds what
 * any intake path can reach on the same machine.
 */
final class CopyBaseline {

  static final String COPY_SQL = "COPY messages (id, " + Recipients.COPY_COLUMNS + ") FROM STDIN";
  static final String QUEUE_SQL = "COPY message_queue (message_id, tenant_id, campaign_id, due_at, transactional) FROM STDIN";
  private static final String IDS_SQL = "SELECT nextval(pg_get_serial_sequence('messages', 'id')) FROM generate_series(1, ?)";
  private static final long PHASE_TIMEOUT_MINUTES = 10;

  /**
   * What the timed part did; {@code completions} holds each timed COPY as it committed (its rows, and the
   * time from its start to its commit), from {@code startNanos}; {@code writes} the WAL PostgreSQL wrote for it
   * ({@link BenchDatabase.WalPosition#perRow}), or why that was not read.
   */
  record Result(long rows, int batches, int connections, double seconds, JsonObject cpu, long startNanos,
                Completions completions, JsonObject writes) {

    double rowsPerSecond() {
      return rows == 0 ? 0 : rows / seconds;
    }
  }

  private final BenchDatabase db;
  private final String database;
  private final int connections;
  private String walError;

  CopyBaseline(BenchDatabase db, String database, int connections) {
    this.db = db;
    this.database = database;
    this.connections = connections;
  }

  /**
   * Copies {@code warmup} (not timed), runs {@code beforeTimed}, then copies {@code timed} and times
   * it from the first COPY's start to the last commit. Each element is one batch's COPY text.
   */
  Result run(List<byte[]> warmup, List<byte[]> timed, SqlStep beforeTimed, CpuUsage cpu) throws Exception {
    List<Connection> open = new ArrayList<>();
    ExecutorService threads = Executors.newFixedThreadPool(connections, task -> {
      Thread thread = new Thread(task, "relay-bench-copy");
      thread.setDaemon(true);
      return thread;
    });
    try {
      for (int i = 0; i < connections; i++) {
        Connection connection = db.connect(database);
        connection.setAutoCommit(false);
        open.add(connection);
      }
      copyAll(threads, open, warmup, new Completions());
      beforeTimed.run();
      BenchDatabase.WalPosition walBefore = walPosition();
      CpuUsage.Snapshot cpuBefore = cpu.snapshot();
      Completions completions = new Completions();
      long start = System.nanoTime();
      long rows = copyAll(threads, open, timed, completions);
      long end = System.nanoTime();
      JsonObject split = CpuUsage.between(cpuBefore, cpu.snapshot(), Runtime.getRuntime().availableProcessors());
      BenchDatabase.WalPosition walAfter = walBefore == null ? null : walPosition();
      JsonObject writes = walAfter == null ? new JsonObject().put("error", walError) : walBefore.perRow(walAfter, rows);
      return new Result(rows, timed.size(), connections, (end - start) / 1e9, split, start, completions, writes);
    } finally {
      threads.shutdownNow();
      for (Connection connection : open) {
        connection.close();
      }
    }
  }

  /** PostgreSQL's WAL position, or null with the reason kept for the result. */
  private BenchDatabase.WalPosition walPosition() {
    try {
      return db.walPosition();
    } catch (SQLException e) {
      walError = "not read: " + e.getMessage();
      return null;
    }
  }

  /** Each connection takes the next batch not yet taken until none is left; returns the rows copied. */
  private static long copyAll(ExecutorService threads, List<Connection> open, List<byte[]> batches,
                              Completions completions)
    throws InterruptedException, ExecutionException, TimeoutException {
    AtomicInteger next = new AtomicInteger();
    List<Future<Long>> workers = new ArrayList<>();
    for (Connection connection : open) {
      workers.add(threads.submit(() -> {
        long rows = 0;
        for (int i = next.getAndIncrement(); i < batches.size(); i = next.getAndIncrement()) {
          long started = System.nanoTime();
          long copied = copyOne(connection, batches.get(i));
          long ended = System.nanoTime();
          completions.add(ended, (ended - started) / 1_000, copied);
          rows += copied;
        }
        return rows;
      }));
    }
    long rows = 0;
    for (Future<Long> worker : workers) {
      rows += worker.get(PHASE_TIMEOUT_MINUTES, TimeUnit.MINUTES);
    }
    return rows;
  }

  /**
   * One batch in one transaction: as many ids as it has rows from the messages' identity, its rows with
   * their ids in one COPY, and a queue row for each in another.
   */
  private static long copyOne(Connection connection, byte[] rows) throws SQLException {
    String[] lines = new String(rows, StandardCharsets.UTF_8).split("\n");
    long[] ids = new long[lines.length];
    try (PreparedStatement next = connection.prepareStatement(IDS_SQL)) {
      next.setInt(1, lines.length);
      try (ResultSet rs = next.executeQuery()) {
        for (int i = 0; rs.next(); i++) {
          ids[i] = rs.getLong(1);
        }
      }
    }
    StringBuilder messages = new StringBuilder(rows.length + lines.length * 12);
    StringBuilder queue = new StringBuilder(lines.length * 64);
    for (int i = 0; i < lines.length; i++) {
      messages.append(ids[i]).append('\t').append(lines[i]).append('\n');
      // COPY_COLUMNS: batch_id, tenant_id, campaign_id, ..., priority (8), due_at (9), expires_at
      String[] f = lines[i].split("\t", -1);
      queue.append(ids[i]).append('\t').append(f[1]).append('\t').append(f[2]).append('\t').append(f[9])
        .append('\t').append("transactional".equals(f[8]) ? 't' : 'f').append('\n');
    }
    CopyManager api = connection.unwrap(PGConnection.class).getCopyAPI();
    long copied = copy(api, COPY_SQL, messages.toString().getBytes(StandardCharsets.UTF_8));
    copy(api, QUEUE_SQL, queue.toString().getBytes(StandardCharsets.UTF_8));
    connection.commit();
    return copied;
  }

  private static long copy(CopyManager api, String sql, byte[] text) throws SQLException {
    CopyIn copy = api.copyIn(sql);
    try {
      copy.writeToCopy(text, 0, text.length);
      return copy.endCopy();
    } finally {
      if (copy.isActive()) {
        copy.cancelCopy();
      }
    }
  }

  /** A blocking database step run between the untimed and the timed part. */
  @FunctionalInterface
  interface SqlStep {
    void run() throws SQLException;
  }
}
