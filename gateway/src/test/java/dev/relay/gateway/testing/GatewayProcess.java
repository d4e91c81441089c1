package dev.relay.gateway.testing;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The built gateway jar run as a process, the way an operator runs it: for the whole-process tests.
 * Its output goes to a file under target/ so that a failing test can be read afterwards.
 */
public final class GatewayProcess implements AutoCloseable {

  /**
   * HTTP/1.1, as the campaign systems and Prometheus speak to the gateway. Left to its default, the JDK's client
   * upgrades to h2c; on Java 25 a GET over such a connection once hung past its request timeout (RateLimitIT).
   */
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final int port;
  private final Path log;
  private final Path dataDir;

  private GatewayProcess(Process process, int port, Path log, Path dataDir) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.dataDir = dataDir;
  }

  /** The jar under test: the failsafe plugin passes its path. */
  public static Path jar() {
    String jar = System.getProperty("relay.jar", "target/relay.jar");
    Path path = Path.of(jar);
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("the gateway jar " + path + " is missing; run ./mvnw verify");
    }
    return path;
  }

  /** The environment that points a gateway process at a test database. */
  public static Map<String, String> environment(TestDatabase database) {
    Map<String, String> env = new HashMap<>();
    env.put("RELAY_DB_HOST", TestDatabase.HOST);
    env.put("RELAY_DB_PORT", Integer.toString(TestDatabase.PORT));
    env.put("RELAY_DB_USER", TestDatabase.USER);
    env.put("RELAY_DB_NAME", database.name());
    env.put("RELAY_SANDBOX_PORT", "0");
    return env;
  }

  /**
   * {@link #environment} plus a config file in {@code dir} whose one account, {@code sandbox-email}, sends to the
   * sandbox at {@code providerUrl} with a timeout of {@code timeoutMs}: a process whose every arrival a test counts
   * in one place. The map is the caller's to extend.
   */
  public static Map<String, String> sandboxEnvironment(TestDatabase database, Path dir, String providerUrl,
                                                       int timeoutMs) throws IOException {
    Path config = dir.resolve("relay.yaml");
    Files.writeString(config, "accounts:\n"
      + "  - name: sandbox-email\n"
      + "    adapter: sandbox-email\n"
      + "    settings:\n"
      + "      url: " + providerUrl + "\n"
      + "      timeout-ms: " + timeoutMs + "\n");
    Map<String, String> env = environment(database);
    env.put("RELAY_CONFIG", config.toString());
    return env;
  }

  /** The result of a command-line run. */
  public record Result(int exitCode, String stdout, String stderr) {
  }

  /** Runs the jar with these arguments to completion (a CLI command). */
  public static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    Map<String, String> all = new HashMap<>(env);
    Path dataDir = ownDataDir(all);
    try {
      Files.createDirectories(dataDir == null ? Path.of("target") : dataDir);
      Path out = (dataDir == null ? Path.of("target") : dataDir).resolve("relay-cli-" + System.nanoTime() + ".out");
      Path err = out.resolveSibling(out.getFileName() + ".err");
      Process p = builder(all, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("relay " + String.join(" ", args) + " did not finish in 60 s");
      }
      Result result = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
      Files.delete(out);
      Files.delete(err);
      return result;
    } finally {
      if (dataDir != null) {
        TestGateway.deleteTree(dataDir);
      }
    }
  }

  /**
   * Gives the process a data directory of its own under target/ (its tracking journal is locked by one process),
   * unless the test gives one; the directory made here, deleted when the process is done, or null.
   */
  private static Path ownDataDir(Map<String, String> env) {
    if (env.containsKey("RELAY_DATA_DIR")) {
      return null;
    }
    Path dir = TestGateway.newDataDir();
    env.put("RELAY_DATA_DIR", dir.toString());
    return dir;
  }

  /** Starts {@code relay serve} on a free port and waits until it is ready. */
  public static GatewayProcess serve(Map<String, String> env) throws IOException, InterruptedException {
    int port = freePort();
    Map<String, String> all = new HashMap<>(env);
    all.put("RELAY_HTTP_HOST", "127.0.0.1");
    all.put("RELAY_HTTP_PORT", Integer.toString(port));
    Path dataDir = ownDataDir(all);
    Path log = Path.of("target", "gateway-process-" + port + ".log");
    Process process = builder(all, "serve").redirectErrorStream(true).redirectOutput(log.toFile()).start();
    GatewayProcess gateway = new GatewayProcess(process, port, log, dataDir);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("the gateway exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        if (gateway.get("/health/ready", null).statusCode() == 200) {
          return gateway;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    gateway.close();
    throw new AssertionError("the gateway was not ready within 60 s:\n" + Files.readString(log));
  }

  private static ProcessBuilder builder(Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    // Vert.x's file cache under target/, not /tmp: a process a drill kills with -9 cannot remove it.
    command.add("-Dvertx.cacheDirBase=" + Path.of("target", "vertx-cache").toAbsolutePath());
    command.add("-jar");
    command.add(jar().toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(new File("."));
    builder.environment().keySet().removeIf(k -> k.startsWith("RELAY_"));
    builder.environment().putAll(env);
    return builder;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Kills the process at once, as {@code kill -9} does: no shutdown hook runs. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** The port the process listens on. */
  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  public HttpResponse<String> get(String path, String key) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .timeout(Duration.ofSeconds(30));
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The messages this process's providers accepted, as its /metrics counts them (relay_messages_total, outcome sent). */
  public double sentCount() throws IOException, InterruptedException {
    double total = 0;
    for (String line : get("/metrics", null).body().lines().toList()) {
      if (line.startsWith("relay_messages_total{") && line.contains("outcome=\"sent\"")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  public HttpResponse<String> post(String path, String key, String idempotencyKey, String body)
    throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .timeout(Duration.ofSeconds(30))
      .header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the gateway process", e);
    }
    if (dataDir != null) {
      try {
        TestGateway.deleteTree(dataDir);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }
}
