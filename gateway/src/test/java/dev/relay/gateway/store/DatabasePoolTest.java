package dev.relay.gateway.store;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The run-time connection pool")
class DatabasePoolTest {

  @Test
  @DisplayName("runs without PostgreSQL's JIT, whose compiling of the claim took seconds on a large backlog")
  void jitIsOff() throws Exception {
    try (TestGateway gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false"))) {
      Pool pool = Database.pool(gateway.vertx(), gateway.config());
      try {
        for (int i = 0; i < 3; i++) {
          assertThat(await(pool.query("SHOW jit").execute()).iterator().next().getString(0)).isEqualTo("off");
        }
        assertThat(await(pool.query("SELECT current_setting('application_name')").execute()).iterator().next()
          .getString(0)).isNotBlank();
      } finally {
        await(pool.close());
      }
    }
  }
}
