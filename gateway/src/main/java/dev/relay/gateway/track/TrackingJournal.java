package dev.relay.gateway.track;

import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The local write-ahead journal of tracking hits. A hit is appended and fsynced before its answer is
 * sent (group commit: every hit that arrives while one write is on disk goes in the next write, so a
 * busy gateway pays one fsync for many hits); the events table is written later from closed segments,
 * which are deleted only once their rows are committed. At start-up the segments a crash left behind
 * are read back (a torn last line is skipped: its hit was never answered) and written like any other.
 * One process owns a directory (a file lock), so two instances never replay each other's hits.
 */
public final class TrackingJournal {

  private static final Logger LOG = LoggerFactory.getLogger(TrackingJournal.class);
  private static final String PREFIX = "segment-";
  private static final String SUFFIX = ".jsonl";

  /** A closed segment: its file and its hits, waiting for the database. */
  public record Segment(Path path, List<Hit> hits) {
  }

  private record Pending(byte[] line, Hit hit, Promise<Void> promise) {
  }

  private final WorkerExecutor io;
  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final List<Segment> closed = new ArrayList<>();
  private List<Pending> pending = new ArrayList<>();
  private boolean writing;
  private FileChannel current;
  private Path currentPath;
  private List<Hit> currentHits = new ArrayList<>();
  private long sequence;

  private TrackingJournal(WorkerExecutor io, Path dir, FileChannel lockChannel, FileLock lock) {
    this.io = io;
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** The journal's directory: {@code tracking.journal-dir}, or {@code tracking-journal} in {@code data-dir}. */
  public static Path directory(RelayConfig config) {
    String dir = config.string(Setting.TRACKING_JOURNAL_DIR);
    return dir.isBlank() ? config.dataDir("tracking-journal") : Path.of(dir);
  }

  /** Opens (and locks) the journal directory, reading back what a previous run left in it. */
  public static Future<TrackingJournal> open(Vertx vertx, Path dir) {
    WorkerExecutor io = vertx.createSharedWorkerExecutor("relay-tracking-journal-" + System.identityHashCode(dir), 1);
    return io.executeBlocking(() -> {
      Files.createDirectories(dir);
      FileChannel lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = lockChannel.tryLock();
      if (lock == null) {
        lockChannel.close();
        throw new ConfigException("tracking.journal-dir " + dir.toAbsolutePath()
          + " is in use by another Relay process: give each process its own directory");
      }
      TrackingJournal journal = new TrackingJournal(io, dir, lockChannel, lock);
      journal.recover();
      journal.openSegment();
      return journal;
    }).onFailure(err -> io.close());
  }

  private void recover() throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().startsWith(PREFIX)).sorted().toList();
    }
    for (Path file : files) {
      String name = file.getFileName().toString();
      sequence = Math.max(sequence, Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length())));
      List<Hit> hits = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        try {
          hits.add(Hit.fromJson(new JsonObject(line)));
        } catch (DecodeException | ClassCastException | NullPointerException e) {
          LOG.warn("tracking journal {}: skipped a torn line (a hit not yet acknowledged when the process stopped)", file);
        }
      }
      if (hits.isEmpty()) {
        Files.delete(file);
      } else {
        LOG.info("tracking journal: {} hits from {} to write", hits.size(), file);
        closed.add(new Segment(file, hits));
      }
    }
  }

  private void openSegment() throws IOException {
    sequence++;
    currentPath = dir.resolve(String.format("%s%020d%s", PREFIX, sequence, SUFFIX));
    current = FileChannel.open(currentPath, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    currentHits = new ArrayList<>();
  }

  /** Appends a hit; the future completes once it is on disk. */
  public Future<Void> append(Hit hit) {
    byte[] line = (hit.toJson().encode() + "\n").getBytes(StandardCharsets.UTF_8);
    Promise<Void> promise = Promise.promise();
    boolean start;
    synchronized (this) {
      pending.add(new Pending(line, hit, promise));
      start = !writing;
      writing = true;
    }
    if (start) {
      writeNext();
    }
    return promise.future();
  }

  private void writeNext() {
    List<Pending> batch;
    synchronized (this) {
      if (pending.isEmpty()) {
        writing = false;
        return;
      }
      batch = pending;
      pending = new ArrayList<>();
    }
    io.executeBlocking(() -> {
      int size = 0;
      for (Pending p : batch) {
        size += p.line().length;
      }
      ByteBuffer buffer = ByteBuffer.allocate(size);
      for (Pending p : batch) {
        buffer.put(p.line());
      }
      buffer.flip();
      while (buffer.hasRemaining()) {
        current.write(buffer);
      }
      current.force(false);
      for (Pending p : batch) {
        currentHits.add(p.hit());
      }
      return null;
    }, false).onComplete(ar -> {
      for (Pending p : batch) {
        if (ar.succeeded()) {
          p.promise().complete();
        } else {
          p.promise().fail(ar.cause());
        }
      }
      writeNext();
    });
  }

  /** Closes the current segment when it has hits; every closed segment not yet written, oldest first. */
  public Future<List<Segment>> rotate() {
    return io.executeBlocking(() -> {
      if (!currentHits.isEmpty()) {
        current.close();
        closed.add(new Segment(currentPath, List.copyOf(currentHits)));
        openSegment();
      }
      return List.copyOf(closed);
    }, false);
  }

  /** Forgets a segment whose hits are committed to the database. */
  public Future<Void> written(Segment segment) {
    return io.executeBlocking(() -> {
      Files.deleteIfExists(segment.path());
      closed.remove(segment);
      return null;
    }, false);
  }

  /** Closes the current segment and releases the directory (the hits not yet written stay on disk). */
  public Future<Void> close() {
    return io.<Void>executeBlocking(() -> {
      current.close();
      if (currentHits.isEmpty()) {
        Files.deleteIfExists(currentPath);
      }
      lock.release();
      lockChannel.close();
      return null;
    }, false).eventually(() -> io.close());
  }
}
