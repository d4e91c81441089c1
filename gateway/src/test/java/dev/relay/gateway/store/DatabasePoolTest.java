package dev.relay.gateway.store;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.sqlclient.Pool;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The run-time connection pool")
class DatabasePoolTest {

  @Test
  @DisplayName("start-up warns the operator exactly when PostgreSQL's autovacuum is off")
  void warnsWhenAutovacuumIsOff() throws Exception {
    try (TestGateway gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false"));
         Connection db = gateway.database().connect(); Statement sql = db.createStatement();
         ResultSet rs = sql.executeQuery("SHOW autovacuum")) {
      rs.next();
      Optional<String> warning = Database.vacuumWarning(gateway.config());
      if ("on".equals(rs.getString(1))) {
        assertThat(warning).isEmpty();
      } else {
        assertThat(warning).get(InstanceOfAssertFactories.STRING)
          .contains("autovacuum is off", gateway.config().string(Setting.DB_NAME), "VACUUM ANALYZE messages, events");
      }
    }
  }

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
