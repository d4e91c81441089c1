package dev.relay.loadtests;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway jar run as a child process of the benchmark, on a free loopback port, with its output
 * appended to a log file. The child is stopped by {@link #close()} and, should the benchmark exit by
 * another path, by a shutdown hook; it is never left running.
 */
final class GatewayProcess implements AutoCloseable {

  private static final Duration API_KEY_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);
  private static final Duration KILL_GRACE = Duration.ofSeconds(5);
  private static final long READY_POLL_MS = 200;

  private final Process process;
  private final int port;
  private final Path log;
  private final Thread shutdownHook;

  private GatewayProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.shutdownHook = new Thread(this::kill, "relay-bench-gateway-killer");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Runs {@code relay api-key create} with the given environment, which creates and migrates the
   * database when missing, and returns the key it prints. Its log lines are appended to {@code log}.
   */
  static String createApiKey(Path jar, Map<String, String> env, Path log, String tenant) throws IOException {
    Path out = Files.createTempFile("relay-bench-api-key", ".txt");
    ProcessBuilder builder = new ProcessBuilder(javaCommand(List.of(), jar, "api-key", "create", "--tenant", tenant))
      .redirectOutput(out.toFile())
      .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    Process process = builder.start();
    try {
      process.getOutputStream().close();
      if (!process.waitFor(API_KEY_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("relay api-key create did not finish in " + API_KEY_TIMEOUT.toSeconds()
          + " s; see " + log);
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException("relay api-key create exited with " + process.exitValue() + "; see " + log);
      }
      return Files.readAllLines(out, StandardCharsets.UTF_8).stream()
        .map(String::strip)
        .filter(line -> line.startsWith("rly_"))
        .reduce((first, last) -> last)
        .orElseThrow(() -> new IllegalStateException("relay api-key create printed no key; see " + log));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating the API key", e);
    } finally {
      process.destroyForcibly();
      Files.deleteIfExists(out);
    }
  }

  /** Starts {@code relay serve} on a free loopback port; {@code env} adds to the inherited environment. */
  static GatewayProcess start(Path jar, List<String> jvmArgs, Map<String, String> env, Path log) throws IOException {
    int port = freeLoopbackPort();
    ProcessBuilder builder = new ProcessBuilder(javaCommand(jvmArgs, jar, "serve"))
      .redirectErrorStream(true)
      .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    builder.environment().put("RELAY_HTTP_HOST", "127.0.0.1");
    builder.environment().put("RELAY_HTTP_PORT", Integer.toString(port));
    builder.environment().putIfAbsent("RELAY_TRACKING_JOURNAL_DIR",
      java.nio.file.Files.createTempDirectory("relay-journal-").toString());
    Process process = builder.start();
    process.getOutputStream().close();
    return new GatewayProcess(process, port, log);
  }

  private static List<String> javaCommand(List<String> jvmArgs, Path jar, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-jar");
    // Absolute, as bin/relay gives it: a JVM reads an AOT cache only for the class path it was made with.
    command.add(jar.toAbsolutePath().normalize().toString());
    command.addAll(List.of(args));
    return command;
  }

  private static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  int port() {
    return port;
  }

  /** The file its output is appended to. */
  Path log() {
    return log;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Succeeds once {@code GET /health/ready} answers 200; fails when the child exits first or the
   * timeout passes.
   */
  Future<Void> awaitReady(Vertx vertx, WebClient client, Duration timeout) {
    return pollReady(vertx, client, System.nanoTime() + timeout.toNanos(), timeout);
  }

  private Future<Void> pollReady(Vertx vertx, WebClient client, long deadline, Duration timeout) {
    return client.get(port, "127.0.0.1", "/health/ready").timeout(READY_POLL_MS * 5).send()
      .transform(answer -> {
        if (answer.succeeded() && answer.result().statusCode() == 200) {
          return Future.<Void>succeededFuture();
        }
        if (!process.isAlive()) {
          return Future.<Void>failedFuture(new IllegalStateException(
            "the gateway exited with code " + process.exitValue() + " before it was ready; see " + log));
        }
        if (System.nanoTime() > deadline) {
          return Future.<Void>failedFuture(new IllegalStateException(
            "the gateway was not ready within " + timeout.toSeconds() + " s; see " + log));
        }
        return vertx.timer(READY_POLL_MS).compose(v -> pollReady(vertx, client, deadline, timeout));
      });
  }

  /**
   * Asks the gateway to stop (SIGTERM, so it closes its pool and a JFR recording is written), waits
   * for it, and kills it when it does not stop in time. Returns its exit code.
   */
  int stop() {
    return stop(STOP_GRACE);
  }

  /** {@link #stop()} with a grace period of its own: a JVM writing an AOT cache at its exit takes longer. */
  int stop(Duration grace) {
    terminate(process, grace);
    return process.isAlive() ? -1 : process.exitValue();
  }

  /** SIGTERM, then SIGKILL when the process has not exited within {@code grace}; waits for it either way. */
  static void terminate(Process process, Duration grace) {
    process.destroy();
    try {
      if (!process.waitFor(grace.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(grace.toSeconds(), TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** The shutdown hook: a short grace period (a JFR recording is dumped on exit), then SIGKILL. */
  private void kill() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      process.waitFor(KILL_GRACE.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process.destroyForcibly();
  }

  /** Stops the child when it still runs; the shutdown hook is no longer needed after this. */
  @Override
  public void close() {
    if (process.isAlive()) {
      stop();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook runs (or ran) and kills the child.
    }
  }
}
