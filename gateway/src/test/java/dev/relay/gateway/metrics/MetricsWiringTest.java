package dev.relay.gateway.metrics;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.relay.gateway.testing.TestGateway;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Micrometer says "already registered" once per JVM at WARN, then at DEBUG: the logger is at DEBUG here so that
 * every re-registration is seen whatever ran before in this JVM.
 */
@DisplayName("Metrics wiring")
class MetricsWiringTest {

  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Logger micrometer = (Logger) LoggerFactory.getLogger("io.micrometer.core.instrument.MeterRegistry");
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private Level level;

  @BeforeEach
  void listen() {
    logged.start();
    root.addAppender(logged);
    level = micrometer.getLevel();
    micrometer.setLevel(Level.DEBUG);
  }

  @AfterEach
  void stopListening() {
    micrometer.setLevel(level);
    root.detachAppender(logged);
  }

  @Test
  @DisplayName("a gateway starts, takes a batch and sends it without any meter reported as registered twice")
  void gatewayRegistersEachMeterOnce() throws Exception {
    try (TestGateway gateway = TestGateway.start(Map.of())) {
      String key = gateway.apiKey("acme");
      assertThat(gateway.postBatch(key, null, dev.relay.gateway.testing.Batches.batch("c", "s", 3)).statusCode())
        .isEqualTo(202);
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (gateway.database().count("SELECT count(*) FROM messages WHERE state = 'sent'") < 3) {
        assertThat(System.nanoTime()).as("the batch was sent").isLessThan(deadline);
        Thread.sleep(50);
      }
      List<String> ids = Metrics.registry(gateway.vertx()).getMeters().stream().map(m -> m.getId().getName()).toList();
      assertThat(ids).as("Relay's, Vert.x's and the JVM's meters").contains(RelayMetrics.QUEUE_DEPTH,
        "vertx.net.client.active.connections", "jvm.memory.used");
    }
    assertThat(reRegistrations()).isEmpty();
  }

  @Test
  @DisplayName("a Relay gauge registered twice is still reported: only Vert.x's shared gauges are let through quietly")
  void relayGaugeRegisteredTwiceIsReported() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new RelayMetrics(registry);
    new RelayMetrics(registry);
    assertThat(reRegistrations()).anyMatch(m -> m.contains("name='" + RelayMetrics.QUEUE_DEPTH + "'"));
  }

  private List<String> reRegistrations() {
    return logged.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("already registered"))
      .toList();
  }
}
