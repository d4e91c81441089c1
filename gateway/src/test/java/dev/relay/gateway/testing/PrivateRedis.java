package dev.relay.gateway.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of a test's own on a free port, without persistence, that the test may stop and
 * start again (the machine's shared Redis on 6379 is never touched). The binary is
 * {@code relay.redis-server} (default {@code /usr/bin/redis-server}).
 */
public final class PrivateRedis implements AutoCloseable {

  private final int port;
  private Process process;

  private PrivateRedis(int port) {
    this.port = port;
  }

  public static PrivateRedis start() throws IOException, InterruptedException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    PrivateRedis redis = new PrivateRedis(port);
    redis.startAgain();
    return redis;
  }

  /** The connection string for {@code redis.uri}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts the server (again) on the same port and waits until it accepts connections. */
  public void startAgain() throws IOException, InterruptedException {
    String binary = System.getProperty("relay.redis-server", "/usr/bin/redis-server");
    process = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
      "--appendonly", "no")
      .redirectErrorStream(true)
      .redirectOutput(Path.of("target", "private-redis-" + port + ".log").toFile())
      .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try {
        new Socket("127.0.0.1", port).close();
        return;
      } catch (IOException notYet) {
        Thread.sleep(20);
      }
    }
    throw new IllegalStateException("redis-server did not listen on port " + port + " within 10 s");
  }

  /** Kills the server at once (its data is gone). */
  public void stop() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      try {
        stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while stopping redis-server", e);
      }
    }
  }
}
