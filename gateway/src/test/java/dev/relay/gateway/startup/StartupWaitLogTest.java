package dev.relay.gateway.startup;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What an operator reads while start-up waits: one log line a wait, naming the service, why it is not ready yet,
 * the next delay (doubling from 250 ms) and the setting that bounds the wait.
 */
@DisplayName("Start-up logs each wait for PostgreSQL and Redis with its reason, backing off")
class StartupWaitLogTest {

  private final Logger log = (Logger) LoggerFactory.getLogger(StartupWait.class);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private Vertx vertx;

  @BeforeEach
  void listen() {
    vertx = Vertx.vertx();
    logged.start();
    log.addAppender(logged);
  }

  @AfterEach
  void stop() {
    log.detachAppender(logged);
    await(vertx.close());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private List<String> waits() {
    return logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  @DisplayName("a PostgreSQL that refuses: each wait is logged with the address, 'connection refused' and"
    + " db.startup-wait-seconds, 250, 500, then 1000 ms apart, until the time allowed is spent")
  void postgres() throws Exception {
    int port = freePort();
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DB_HOST, "127.0.0.1");
    settings.put(Setting.DB_PORT, Integer.toString(port));
    settings.put(Setting.DB_STARTUP_WAIT_SECONDS, "2");
    assertThatThrownBy(() -> await(Postgres.open(vertx, RelayConfig.of(settings), true)))
      .hasMessageContaining("did not become ready within 2 s");
    List<String> waits = waits();
    assertThat(waits).hasSizeGreaterThanOrEqualTo(3);
    String prefix = "waiting for PostgreSQL at 127.0.0.1:" + port + ": connection refused; trying again in ";
    assertThat(waits.get(0)).startsWith(prefix + "250 ms (").endsWith("s left of db.startup-wait-seconds)");
    assertThat(waits.get(1)).startsWith(prefix + "500 ms (").endsWith("s left of db.startup-wait-seconds)");
    assertThat(waits.get(2)).startsWith(prefix + "1000 ms (").endsWith("s left of db.startup-wait-seconds)");
  }

  @Test
  @DisplayName("an insisted Redis that refuses: each wait is logged with the address, 'connection refused' and"
    + " redis.startup-wait-seconds, 250, 500, then 1000 ms apart")
  void redis() throws Exception {
    int port = freePort();
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.REDIS_URI, "redis://127.0.0.1:" + port);
    settings.put(Setting.REDIS_IN_PROCESS, "never");
    settings.put(Setting.REDIS_STARTUP_WAIT_SECONDS, "2");
    Limits limits = await(Limits.open(vertx, RelayConfig.of(settings), Clock.systemUTC()));
    await(limits.close());
    List<String> waits = waits();
    assertThat(waits).hasSizeGreaterThanOrEqualTo(3);
    String prefix = "waiting for Redis at 127.0.0.1:" + port + ": connection refused; trying again in ";
    assertThat(waits.get(0)).startsWith(prefix + "250 ms (").endsWith("s left of redis.startup-wait-seconds)");
    assertThat(waits.get(1)).startsWith(prefix + "500 ms (").endsWith("s left of redis.startup-wait-seconds)");
    assertThat(waits.get(2)).startsWith(prefix + "1000 ms (").endsWith("s left of redis.startup-wait-seconds)");
  }
}
