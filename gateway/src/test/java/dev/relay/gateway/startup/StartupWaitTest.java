package dev.relay.gateway.startup;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Eventually;
import dev.relay.gateway.testing.PrivateRedis;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Start-up against a PostgreSQL and a Redis that are not ready yet: it waits for an insisted one (refused,
 * then "the database system is starting up") and goes on once it answers, gives up with a clear error
 * after the time allowed, and keeps the limits in process only when nothing answers where it may.
 */
@DisplayName("Start-up waits for a PostgreSQL or Redis that is coming up, and gives up clearly")
class StartupWaitTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    await(vertx.close());
  }

  private static RelayConfig config(Map<Setting, String> settings) {
    return RelayConfig.of(settings);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  @DisplayName("a configured PostgreSQL that refuses, then answers 57P03 'starting up', is waited for; the gateway "
    + "then starts on it")
  void waitsForPostgres() throws Exception {
    try (StartingPostgres postgres = StartingPostgres.refusing(vertx)) {
      Map<Setting, String> settings = new EnumMap<>(Setting.class);
      settings.put(Setting.DB_HOST, "127.0.0.1");
      settings.put(Setting.DB_PORT, Integer.toString(postgres.port()));
      settings.put(Setting.DB_STARTUP_WAIT_SECONDS, "30");
      long started = System.nanoTime();
      Future<Postgres> opened = Postgres.open(vertx, config(settings), true);
      Thread.sleep(1000);
      assertThat(opened.isComplete()).as("still waiting while refused").isFalse();
      await(postgres.listenStartingUp());
      Eventually.until("it asks while PostgreSQL is starting up", () -> postgres.startingUpAnswers() > 0);
      assertThat(opened.isComplete()).as("still waiting while starting up").isFalse();
      postgres.forward();
      Postgres found = await(opened);
      assertThat(found.embedded()).isFalse();
      assertThat(found.config().integer(Setting.DB_PORT)).isEqualTo(postgres.port());
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThan(1000);

      Map<Setting, String> overrides = Map.of(Setting.DB_HOST, "127.0.0.1",
        Setting.DB_PORT, Integer.toString(postgres.port()));
      try (TestGateway gateway = TestGateway.start(overrides)) {
        HttpResponse<Buffer> ready = await(gateway.get("/health/ready", null).send());
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(gateway.database().count("SELECT count(*) FROM information_schema.tables WHERE table_name = "
          + "'messages'")).as("migrated through the address that was starting up").isEqualTo(1);
      }
    }
  }

  @Test
  @DisplayName("with db.embedded=auto, a local PostgreSQL that answers 'starting up' is waited for, not replaced by "
    + "an embedded one")
  void autoWaitsForStartingUp(@TempDir java.nio.file.Path data) throws Exception {
    java.nio.file.Path dir = data.resolve("postgres");
    try (StartingPostgres postgres = StartingPostgres.refusing(vertx)) {
      await(postgres.listenStartingUp());
      Map<Setting, String> settings = new EnumMap<>(Setting.class);
      settings.put(Setting.DB_EMBEDDED, "auto");
      settings.put(Setting.DB_EMBEDDED_DIR, dir.toString());
      settings.put(Setting.DB_PORT, Integer.toString(postgres.port()));
      Future<Postgres> opened = Postgres.open(vertx, config(settings), true);
      Eventually.until("it asks again while PostgreSQL is starting up", () -> postgres.startingUpAnswers() >= 2);
      assertThat(opened.isComplete()).isFalse();
      postgres.forward();
      Postgres found = await(opened);
      assertThat(found.embedded()).isFalse();
      assertThat(found.config().integer(Setting.DB_PORT)).isEqualTo(postgres.port());
      assertThat(java.nio.file.Files.exists(dir)).as("no embedded data directory made").isFalse();
    }
  }

  @Test
  @DisplayName("db.embedded and redis.in-process take auto, never or always; anything else stops start-up naming it")
  void badModes() {
    assertThatThrownBy(() -> await(Postgres.open(vertx, config(Map.of(Setting.DB_EMBEDDED, "sometimes")), true)))
      .hasMessageContaining("db.embedded: 'sometimes' is none of auto, never, always");
    assertThatThrownBy(() -> await(Limits.open(vertx, config(Map.of(Setting.REDIS_IN_PROCESS, "yes")), Clock.systemUTC())))
      .hasMessageContaining("redis.in-process: 'yes' is none of auto, never, always");
  }

  @Test
  @DisplayName("a configured PostgreSQL that never answers: start-up gives up after db.startup-wait-seconds, naming "
    + "the address, the setting and the reason")
  void givesUp() throws Exception {
    int port = freePort();
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DB_HOST, "127.0.0.1");
    settings.put(Setting.DB_PORT, Integer.toString(port));
    settings.put(Setting.DB_STARTUP_WAIT_SECONDS, "2");
    long started = System.nanoTime();
    assertThatThrownBy(() -> await(Postgres.open(vertx, config(settings), true)))
      .hasMessageContaining("PostgreSQL at 127.0.0.1:" + port + " did not become ready within 2 s "
        + "(db.startup-wait-seconds): connection refused");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isBetween(1900L, 6000L);
  }

  @Test
  @DisplayName("an insisted Redis that is not up yet is waited for; with redis.in-process=auto and nothing "
    + "answering, the limits stay in process; with redis.in-process=never, it serves after the wait and "
    + "reaches Redis once it is back")
  void redis() throws Exception {
    try (PrivateRedis redis = PrivateRedis.start()) {
      redis.stop();
      Map<Setting, String> settings = new EnumMap<>(Setting.class);
      settings.put(Setting.REDIS_URI, redis.uri());
      settings.put(Setting.REDIS_STARTUP_WAIT_SECONDS, "30");
      Future<Limits> opened = Limits.open(vertx, config(settings), Clock.systemUTC());
      Thread.sleep(1000);
      assertThat(opened.isComplete()).as("still waiting while Redis refuses").isFalse();
      redis.startAgain();
      Limits limits = await(opened);
      assertThat(limits.redis()).as("the limits are in Redis").isNotNull();
      await(limits.close());

      redis.stop();
      Map<Setting, String> auto = new EnumMap<>(settings);
      auto.put(Setting.REDIS_IN_PROCESS, "auto");
      Limits local = await(Limits.open(vertx, config(auto), Clock.systemUTC()));
      assertThat(local.redis()).as("nothing answered, auto: in process").isNull();

      Map<Setting, String> never = new EnumMap<>(settings);
      never.put(Setting.REDIS_IN_PROCESS, "never");
      never.put(Setting.REDIS_STARTUP_WAIT_SECONDS, "1");
      Limits waited = await(Limits.open(vertx, config(never), Clock.systemUTC()));
      assertThat(waited.redis()).as("after the wait, never: serves on Redis, sends wait until it answers").isNotNull();
      redis.startAgain();
      assertThat(await(waited.redis().send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.PING)))
        .toString()).as("the client reaches Redis once it is back").isEqualTo("PONG");
      await(waited.close());
    }
  }
}
