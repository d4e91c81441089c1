package dev.relay.gateway.cli;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.metrics.Metrics;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("relay demo")
class DemoCommandTest {

  @Test
  @DisplayName("sends 200 welcome emails to the sandbox with a progress bar, tries the tracking links it finds, "
    + "and prints the funnel with 200 sent")
  void demo() throws Exception {
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<Setting, String> settings = TestGateway.settings(database);
      RelayConfig config = RelayConfig.of(settings, new JsonObject());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      DemoCommand demo = new DemoCommand();
      demo.recipients = 200;
      demo.timeoutSeconds = 60;
      demo.out = new PrintStream(out, true, StandardCharsets.UTF_8);
      demo.err = new PrintStream(err, true, StandardCharsets.UTF_8);
      Vertx vertx = Metrics.vertx();
      try {
        assertThat(await(demo.run(vertx, config))).isZero();
      } finally {
        await(vertx.close());
      }
      String printed = out.toString(StandardCharsets.UTF_8);
      String progress = err.toString(StandardCharsets.UTF_8);
      assertThat(progress).contains("] 200/200 done (200 sent)").contains("\r[");
      assertThat(printed).containsPattern("(?m)^  sent\\s+200$").containsPattern("(?m)^  accepted\\s+200$")
        .contains("simulated ").contains("(200 messages had tracking links)")
        .doesNotContain("tracking hits failed")
        // 4 in 10 open as people (2 of them click), 3 in 10 opens through Apple's proxy, 1 in 10 scanned.
        .containsPattern("(?m)^  opened\\s+140 total, 140 unique, 80 unique human$")
        .containsPattern("(?m)^  clicked\\s+60 total, 60 unique, 40 unique human$");
      assertThat(database.count("SELECT count(*) FROM messages WHERE state = 'sent'")).isEqualTo(200);
    }
  }
}
