package dev.relay.gateway.api;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Queue bound and readiness")
class IntakeLimitsTest {

  private static TestGateway gateway;
  private static String key;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(Map.of(
      Setting.INTAKE_MAX_QUEUE_DEPTH, "5",
      Setting.INTAKE_RETRY_AFTER_SECONDS, "7",
      Setting.REDIS_URI, "redis://127.0.0.1:1",
      // Redis is insisted on and down from the start: not waited for, sends would wait for it.
      Setting.REDIS_STARTUP_WAIT_SECONDS, "0",
      Setting.DISPATCH_ENABLED, "false"));
    key = gateway.apiKey("acme");
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  @Test
  @DisplayName("a batch that would take the queue over its bound is 429 with Retry-After and stores nothing")
  void queueFull() {
    assertThat(gateway.postBatch(key, null, Batches.batch("q", "first", 3)).statusCode()).isEqualTo(202);

    HttpResponse<Buffer> response = gateway.postBatch(key, null, Batches.batch("q", "second", 3));

    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.getHeader("Retry-After")).isEqualTo("7");
    assertThat(response.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:queue-full");
    assertThat(gateway.database().count("SELECT count(*) FROM messages")).isEqualTo(3);
    assertThat(gateway.postBatch(key, null, Batches.batch("q", "third", 2)).statusCode()).isEqualTo(202);
  }

  @Test
  @DisplayName("ready reports PostgreSQL and Redis one by one, and stays 200 while only Redis is down")
  void readinessWithRedisDown() {
    HttpResponse<Buffer> live = await(gateway.get("/health/live", null).send());
    assertThat(live.statusCode()).isEqualTo(200);

    HttpResponse<Buffer> ready = await(gateway.get("/health/ready", null).send());

    assertThat(ready.statusCode()).isEqualTo(200);
    JsonObject checks = ready.bodyAsJsonObject().getJsonObject("checks");
    assertThat(checks.getJsonObject("postgresql").getString("status")).isEqualTo("UP");
    assertThat(checks.getJsonObject("redis").getString("status")).isEqualTo("DOWN");
  }
}
