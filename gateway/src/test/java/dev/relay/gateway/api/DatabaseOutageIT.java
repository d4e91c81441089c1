package dev.relay.gateway.api;

import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.GatewayProcess;
import dev.relay.gateway.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stops the local PostgreSQL server under a running gateway process and starts it again. The commands
 * default to Debian's pg_ctlcluster, as on the CI machine; -Drelay.pg.stop and -Drelay.pg.start
 * replace them elsewhere.
 */
@DisplayName("PostgreSQL outage")
class DatabaseOutageIT {

  private static final String STOP = System.getProperty("relay.pg.stop",
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -n 1) main stop -m fast");
  private static final String START = System.getProperty("relay.pg.start",
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -n 1) main start");

  @Test
  @DisplayName("PostgreSQL stopped: 503 with Retry-After and not ready; restarted: 202 again, with no restart of the gateway")
  void survivesOutage() throws Exception {
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<String, String> env = GatewayProcess.environment(database);
      env.put("RELAY_DB_CONNECT_TIMEOUT_MS", "2000");
      env.put("RELAY_INTAKE_RETRY_AFTER_SECONDS", "3");
      String key = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
      try (GatewayProcess gateway = GatewayProcess.serve(env)) {
        long pid = gateway.pid();
        assertThat(post(gateway, key, "before").statusCode()).isEqualTo(202);

        shell(STOP);
        try {
          HttpResponse<String> during = post(gateway, key, "during");
          assertThat(during.statusCode()).as(gateway.log()).isEqualTo(503);
          assertThat(during.headers().firstValue("Retry-After")).contains("3");
          assertThat(new JsonObject(during.body()).getString("type")).isEqualTo("urn:relay:problem:database-unavailable");
          HttpResponse<String> ready = gateway.get("/health/ready", null);
          assertThat(ready.statusCode()).isEqualTo(503);
          assertThat(new JsonObject(ready.body()).getJsonObject("checks").getJsonObject("postgresql")
            .getString("status")).isEqualTo("DOWN");
          assertThat(gateway.get("/health/live", null).statusCode()).isEqualTo(200);
        } finally {
          shell(START);
        }

        HttpResponse<String> after = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
          after = post(gateway, key, "during");
          if (after.statusCode() == 202) {
            break;
          }
          Thread.sleep(500);
        }
        assertThat(after.statusCode()).as(gateway.log()).isEqualTo(202);
        assertThat(gateway.isAlive()).isTrue();
        assertThat(gateway.pid()).isEqualTo(pid);
        assertThat(gateway.get("/health/ready", null).statusCode()).isEqualTo(200);
        assertThat(database.count("SELECT count(*) FROM batches")).isEqualTo(2);
      }
    }
  }

  private static HttpResponse<String> post(GatewayProcess gateway, String key, String idempotencyKey)
    throws IOException, InterruptedException {
    return gateway.post("/v1/batches", key, idempotencyKey, Batches.batch("outage", idempotencyKey, 10).encode());
  }

  private static void shell(String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "-c", command).inheritIO().start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("'" + command + "' failed");
    }
  }
}
