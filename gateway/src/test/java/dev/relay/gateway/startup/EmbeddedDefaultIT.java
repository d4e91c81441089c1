package dev.relay.gateway.startup;

import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.Eventually;
import dev.relay.gateway.testing.GatewayProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar on a machine with only a JDK: PostgreSQL and Redis are pointed at addresses where nothing
 * listens, with {@code db.embedded=auto} and {@code redis.in-process=auto} given so that the rule is the
 * one of the defaults (the machine's own PostgreSQL on 5432 is not stopped for this). The data directory
 * is the test's own; the shared PostgreSQL and Redis are not touched.
 */
@DisplayName("The embedded default: a gateway with no PostgreSQL and no Redis serves, keeps its data, runs alone")
class EmbeddedDefaultIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private Path home;
  private Path dataDir;
  private int sandboxPort;
  private Map<String, String> env;

  @BeforeEach
  void environment() throws IOException {
    home = Files.createTempDirectory("relay-embedded-it-");
    dataDir = home.resolve("relay-data").resolve("postgres");
    sandboxPort = freePort();
    env = new HashMap<>();
    env.put("RELAY_DB_EMBEDDED", "auto");
    env.put("RELAY_DB_PORT", Integer.toString(freePort()));
    env.put("RELAY_DB_EMBEDDED_DIR", dataDir.toString());
    env.put("RELAY_REDIS_IN_PROCESS", "auto");
    env.put("RELAY_REDIS_URI", "redis://127.0.0.1:" + freePort());
    env.put("RELAY_SANDBOX_PORT", Integer.toString(sandboxPort));
    env.put("RELAY_THROTTLE_CAPS", "1/1d");
  }

  @AfterEach
  void clean() throws IOException {
    try (Stream<Path> files = Files.walk(home)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  @DisplayName("api-key create starts and stops an embedded PostgreSQL; serve sends a batch to the sandbox with caps "
    + "in process; a restart finds the batch and the key; the embedded PostgreSQL is durable and stopped cleanly")
  void servesAndKeepsItsData() throws Exception {
    GatewayProcess.Result created = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme");
    assertThat(created.exitCode()).as(created.stderr()).isZero();
    String key = created.stdout().trim();
    assertThat(Files.exists(dataDir.resolve("PG_VERSION"))).as("initdb ran in the data directory").isTrue();

    String batchId;
    try (GatewayProcess gateway = GatewayProcess.serve(env)) {
      String log = gateway.log();
      assertThat(log).contains("PostgreSQL: embedded at " + dataDir + " on port ")
        .contains("(nothing answered at localhost:" + env.get("RELAY_DB_PORT") + " and db.embedded=auto)")
        .contains("Redis: not used, limits and caps kept in process (nothing answered at 127.0.0.1:");
      HttpResponse<String> posted = gateway.post("/v1/batches", key, null, Batches.batch("embedded", "e", 3).encode());
      assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
      batchId = new JsonObject(posted.body()).getString("batch_id");
      Eventually.until("the three messages are sent", () -> states(gateway, key, batchId).getInteger("sent", 0) == 3);
      JsonObject sandbox = new JsonObject(HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + sandboxPort + "/v1/messages")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
      assertThat(sandbox.getInteger("unique")).as("what the sandbox provider received").isEqualTo(3);

      // The in-process caps: e-0 had its one marketing message of the day.
      HttpResponse<String> again = gateway.post("/v1/batches", key, null, Batches.envelope("embedded-again")
        .put("recipients", new JsonArray().add(Batches.recipient("e-0"))).encode());
      assertThat(again.statusCode()).isEqualTo(202);
      String againId = new JsonObject(again.body()).getString("batch_id");
      Eventually.until("the second message to e-0 is capped", () -> states(gateway, key, againId).getInteger("capped", 0) == 1);

      // A short command-line task uses the running gateway's embedded PostgreSQL.
      GatewayProcess.Result second = GatewayProcess.run(env, "api-key", "create", "--tenant", "beta");
      assertThat(second.exitCode()).as(second.stderr()).isZero();
      assertThat(gateway.get("/v1/batches/" + batchId, second.stdout().trim()).statusCode())
        .as("beta's key works, and beta does not see acme's batch").isEqualTo(404);

      try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + embeddedPort() + "/relay",
        "postgres", ""); Statement st = c.createStatement()) {
        assertThat(show(st, "fsync")).as("accepted messages are on disk").isEqualTo("on");
        assertThat(show(st, "synchronous_commit")).isEqualTo("on");
      }
    }
    assertThat(Files.exists(dataDir.resolve("postmaster.pid"))).as("PostgreSQL was shut down cleanly").isFalse();

    try (GatewayProcess gateway = GatewayProcess.serve(env)) {
      HttpResponse<String> status = gateway.get("/v1/batches/" + batchId, key);
      assertThat(status.statusCode()).as("the key works after the restart").isEqualTo(200);
      assertThat(new JsonObject(status.body()).getJsonObject("states").getInteger("sent")).isEqualTo(3);
    }
  }

  @Test
  @DisplayName("a second gateway on the same embedded data directory is refused with one line naming the first "
    + "one's pid, and exits non-zero; the first one goes on serving; killed outright, its PostgreSQL is stopped "
    + "by the next gateway, which serves the data")
  void secondInstanceRefused() throws Exception {
    String key = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
    try (GatewayProcess first = GatewayProcess.serve(env)) {
      GatewayProcess.Result second = GatewayProcess.run(env, "serve");
      assertThat(second.exitCode()).isNotZero();
      assertThat(second.stderr()).contains("relay: the embedded PostgreSQL data directory " + dataDir
        + " is in use by another Relay process (pid " + first.pid() + ",");
      assertThat(second.stderr()).as("one line, no stack trace").doesNotContain("\tat ");
      assertThat(first.get("/health/ready", null).statusCode()).isEqualTo(200);
      first.kill();
    }
    assertThat(Files.exists(dataDir.resolve("postmaster.pid"))).as("the killed gateway's PostgreSQL runs on").isTrue();
    try (GatewayProcess next = GatewayProcess.serve(env)) {
      assertThat(next.log()).contains("without its gateway (killed?): stopping it");
      HttpResponse<String> posted = next.post("/v1/batches", key, null, Batches.batch("after-kill", "k", 1).encode());
      assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
    }
  }

  private int embeddedPort() throws IOException {
    Matcher m = Pattern.compile("port=(\\d+)").matcher(Files.readString(
      dataDir.resolveSibling("postgres.lock")));
    assertThat(m.find()).as("the lock file names the port").isTrue();
    return Integer.parseInt(m.group(1));
  }

  private static String show(Statement st, String setting) throws Exception {
    try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static JsonObject states(GatewayProcess gateway, String key, String batchId) {
    try {
      HttpResponse<String> response = gateway.get("/v1/batches/" + batchId, key);
      return new JsonObject(response.body()).getJsonObject("states");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
