package dev.relay.loadtests;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The peer of the end-to-end benchmark: graphile-worker (the Node project in {@code load-tests/peer-graphile})
 * run as child processes of the benchmark: {@code workers} worker processes that stay up for the whole run, and
 * one enqueuing process per phase ({@link Enqueuer}). Their standard error is appended to a log; their standard
 * output carries the few lines of the protocol {@code peer.mjs} describes. Every child is stopped by
 * {@link #close()}, and by a shutdown hook should the benchmark exit by another path.
 */
final class GraphilePeer implements AutoCloseable {

  /** The peer's configuration: the knobs a user tuning graphile-worker for throughput turns (see PeerOptions). */
  record Settings(int workers, int concurrency, int localQueue, int poolSize, int completeDelayMs, int lingerMs,
                  int sendBatch, int clients) {

    JsonObject toJson() {
      return new JsonObject()
        .put("worker_processes", workers)
        .put("concurrent_jobs", concurrency)
        .put("local_queue_size", localQueue)
        .put("max_pool_size", poolSize)
        .put("complete_job_batch_delay_ms", completeDelayMs)
        .put("linger_ms", lingerMs)
        .put("send_batch", sendBatch)
        .put("enqueue_clients", clients);
    }

    /** What is wrong with this configuration, or null. */
    String problem() {
      if (workers < 1 || workers > 64 || concurrency < 1 || concurrency > 10_000 || poolSize < 2 || poolSize > 200) {
        return "worker processes must be 1 to 64, concurrency 1 to 10000, pool size 2 to 200";
      }
      if (localQueue != -1 && (localQueue < 2 || localQueue > 100_000)) {
        return "the local queue must be -1 or 2 to 100000";
      }
      if (completeDelayMs < -1 || completeDelayMs > 10_000 || lingerMs < 0 || lingerMs > 10_000) {
        return "the complete delay must be -1 to 10000 ms, the linger 0 to 10000 ms";
      }
      return null;
    }

    /** This configuration as the options of {@code relay-bench peer} and {@code report}. */
    String options() {
      return "--peer-workers " + workers + " --peer-concurrency " + concurrency + " --peer-local-queue " + localQueue
        + " --peer-pool " + poolSize + " --peer-complete-delay " + completeDelayMs + " --peer-linger " + lingerMs;
    }
  }

  private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);
  private static final String SCRIPT = "peer.mjs";

  private final Path dir;
  private final String node;
  private final Path log;
  private final List<Child> workers = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::killAll, "relay-bench-peer-killer");
  private final List<Child> enqueuers = new ArrayList<>();

  private GraphilePeer(Path dir, String node, Path log) {
    this.dir = dir;
    this.node = node;
    this.log = log;
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Installs the peer's packages from its lockfile ({@code npm ci}) unless {@code node_modules} is there; fails,
   * saying what to install, when Node or npm is missing or the install fails.
   */
  static void install(Path dir, String npm, Path log, Progress progress) throws IOException {
    if (!Files.isRegularFile(dir.resolve(SCRIPT)) || !Files.isRegularFile(dir.resolve("package-lock.json"))) {
      throw new IllegalStateException("no graphile-worker peer at " + dir.toAbsolutePath()
        + " (peer.mjs and package-lock.json); run from the repository root or pass --peer-dir");
    }
    if (Files.isDirectory(dir.resolve("node_modules").resolve("graphile-worker"))) {
      return;
    }
    progress.say("installing the peer's packages: npm ci in %s (output in %s)", dir, log);
    ProcessBuilder builder = new ProcessBuilder(npm, "ci", "--no-audit", "--no-fund")
      .directory(dir.toFile())
      .redirectErrorStream(true)
      .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + npm + " (" + e.getMessage() + "): the peer needs Node.js 20 or "
        + "later with npm (Debian: apt-get install nodejs npm), or pass --peer=false", e);
    }
    process.getOutputStream().close();
    try {
      if (!process.waitFor(INSTALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("npm ci did not finish in " + INSTALL_TIMEOUT.toMinutes() + " min; see " + log);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IllegalStateException("interrupted during npm ci", e);
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException("npm ci exited with " + process.exitValue() + "; see " + log);
    }
  }

  /**
   * Installs graphile-worker's schema into {@code connection}'s database, then starts the worker processes and
   * waits until each looks for jobs.
   */
  static GraphilePeer start(Path dir, String node, Settings settings, String connection, String sinkUrl,
                            Path template, String trackingKeys, String publicUrl, Path log) throws IOException {
    GraphilePeer peer = new GraphilePeer(dir, node, log);
    try {
      Child migrate = peer.spawn(List.of("migrate", "--connection", connection));
      try {
        migrate.awaitLine("migrated", START_TIMEOUT);
      } finally {
        migrate.stop();
      }
      for (int i = 0; i < settings.workers(); i++) {
        peer.workers.add(peer.spawn(List.of("work", "--connection", connection, "--sink", sinkUrl,
          "--template", template.toAbsolutePath().toString(),
          "--tracking-keys", trackingKeys, "--public-url", publicUrl,
          "--concurrency", Integer.toString(settings.concurrency()),
          "--local-queue", Integer.toString(settings.localQueue()),
          "--pool", Integer.toString(settings.poolSize()),
          "--complete-delay", Integer.toString(settings.completeDelayMs()),
          "--linger", Integer.toString(settings.lingerMs()),
          "--send-batch", Integer.toString(settings.sendBatch()))));
      }
      for (Child worker : peer.workers) {
        worker.awaitLine("ready", START_TIMEOUT);
      }
      return peer;
    } catch (IOException | RuntimeException e) {
      peer.close();
      throw e;
    }
  }

  /** The worker processes' ids. */
  long[] workerPids() {
    return workers.stream().mapToLong(c -> c.process.pid()).toArray();
  }

  /** Whether every worker process still runs. */
  boolean alive() {
    return workers.stream().allMatch(c -> c.process.isAlive());
  }

  /** Starts an enqueuing process that reads {@code bodies} and waits until it is ready to go. */
  Enqueuer enqueuer(String connection, Path bodies, int clients) throws IOException {
    Child child = spawn(List.of("enqueue", "--connection", connection, "--bodies", bodies.toAbsolutePath().toString(),
      "--clients", Integer.toString(clients)));
    enqueuers.add(child);
    String ready = child.awaitLine("ready", START_TIMEOUT);
    return new Enqueuer(child, Integer.parseInt(ready.substring("ready".length()).strip()));
  }

  /**
   * One phase's enqueuing process: {@link #go()} starts it, {@link #awaitDone} reads what it did; it stays alive
   * (so that its CPU can be read) until {@link #close()}.
   */
  final class Enqueuer implements AutoCloseable {
    private final Child child;
    private final int batches;

    private Enqueuer(Child child, int batches) {
      this.child = child;
      this.batches = batches;
    }

    long pid() {
      return child.process.pid();
    }

    int batches() {
      return batches;
    }

    void go() throws IOException {
      OutputStream in = child.process.getOutputStream();
      in.write("go\n".getBytes(StandardCharsets.US_ASCII));
      in.flush();
    }

    /** What it did: {@code batches}, {@code jobs}, {@code errors}, {@code error_samples}, {@code seconds}. */
    JsonObject awaitDone(Duration timeout) {
      return parseDone(child.awaitLine("done", timeout));
    }

    @Override
    public void close() {
      child.stop();
      enqueuers.remove(child);
    }
  }

  /**
   * The enqueuer's last line, {@code done {"batches":..,"jobs":..,"errors":..,"error_samples":[..],"seconds":..}},
   * as JSON; an {@link IllegalStateException} naming the line when it is not one.
   */
  static JsonObject parseDone(String line) {
    String prefix = "done ";
    if (line == null || !line.startsWith(prefix)) {
      throw new IllegalStateException("the peer's enqueuer printed '" + line + "', not 'done {...}'");
    }
    JsonObject done;
    try {
      done = new JsonObject(line.substring(prefix.length()));
    } catch (DecodeException e) {
      throw new IllegalStateException("the peer's enqueuer printed unreadable JSON: " + line, e);
    }
    for (String key : List.of("batches", "jobs", "errors", "seconds")) {
      if (!(done.getValue(key) instanceof Number)) {
        throw new IllegalStateException("the peer's enqueuer printed no number '" + key + "': " + line);
      }
    }
    return done;
  }

  /** Stops the workers (SIGTERM: graphile-worker shuts down gracefully, releasing what it holds). */
  @Override
  public void close() {
    List.copyOf(enqueuers).forEach(Child::stop);
    workers.forEach(Child::stop);
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook runs (or ran).
    }
  }

  private void killAll() {
    enqueuers.forEach(c -> c.process.destroyForcibly());
    workers.forEach(c -> c.process.destroyForcibly());
  }

  private Child spawn(List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(node);
    command.add(SCRIPT);
    command.addAll(args);
    Process process;
    try {
      process = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + node + " (" + e.getMessage() + "): the peer needs Node.js 20 or "
        + "later (Debian: apt-get install nodejs), or pass --node", e);
    }
    return new Child(process, args.get(0), log);
  }

  /** A child process whose standard output is read line by line by a daemon thread. */
  private static final class Child {
    private final Process process;
    private final String name;
    private final Path log;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Child(Process process, String name, Path log) {
      this.process = process;
      this.name = name;
      this.log = log;
      Thread reader = new Thread(this::read, "relay-bench-peer-" + name + "-" + process.pid());
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          lines.add(line);
        }
      } catch (IOException e) {
        // The process ended; awaitLine says so.
      }
    }

    /** The first line starting with {@code prefix}; fails when the process exits first or the timeout passes. */
    String awaitLine(String prefix, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        while (true) {
          String line = lines.poll(100, TimeUnit.MILLISECONDS);
          if (line != null && line.startsWith(prefix)) {
            return line;
          }
          if (line == null && !process.isAlive() && lines.isEmpty()) {
            throw new IllegalStateException("the peer's " + name + " process exited with code " + process.exitValue()
              + " before it printed '" + prefix + "'; see " + log);
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the peer's " + name + " process printed no '" + prefix + "' within "
              + timeout.toSeconds() + " s; see " + log);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the peer's " + name + " process", e);
      }
    }

    /** SIGTERM, then SIGKILL when it has not exited within the grace period. */
    void stop() {
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        // Its standard input is gone already.
      }
      GatewayProcess.terminate(process, STOP_GRACE);
    }
  }
}
