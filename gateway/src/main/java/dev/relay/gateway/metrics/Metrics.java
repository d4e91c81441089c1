package dev.relay.gateway.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MetricsService;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.impl.MetricsServiceImpl;

import java.util.Set;
import java.util.UUID;

/**
 * The registry wiring: one Prometheus registry per Vert.x instance, shared by Vert.x's own meters
 * (HTTP server and clients, pools, event bus), the JVM binders (memory, GC, threads, class loading,
 * compilation, processor, uptime) and {@link RelayMetrics}.
 */
public final class Metrics {

  private static final Set<String> LINT_FAILURES = Set.of("jvm.compilation.time", "process.cpu.time",
    "system.cpu.count");

  private Metrics() {
  }

  /** A Vert.x instance whose metrics go to a Prometheus registry of its own. */
  public static Vertx vertx() {
    return vertx(new VertxOptions());
  }

  /** A Vert.x instance with these options whose metrics go to a Prometheus registry of its own. */
  public static Vertx vertx(VertxOptions options) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Three of Micrometer's binders name their meters against Prometheus conventions (abbreviated units,
    // a gauge ending in _count) and fail `promtool check metrics`; process_cpu_usage and the rest stay.
    registry.config().meterFilter(MeterFilter.deny(id -> LINT_FAILURES.contains(id.getName())));
    // Vert.x keeps backends by registry name, JVM-wide: a name of its own keeps two instances (tests) apart.
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
      .setEnabled(true)
      .setJvmMetricsEnabled(true)
      .setRegistryName("relay-" + UUID.randomUUID());
    return Vertx.builder()
      .with(new VertxOptions(options).setMetricsOptions(metrics))
      .withMetrics(new MicrometerMetricsFactory(registry))
      .build();
  }

  /**
   * The Prometheus registry of a Vert.x instance made by {@link #vertx()}; a Vert.x instance made
   * otherwise is an error that says so.
   */
  public static PrometheusMeterRegistry registry(Vertx vertx) {
    MetricsService service = MetricsService.create(vertx);
    MeterRegistry registry = service instanceof MetricsServiceImpl ? ((MetricsServiceImpl) service).getRegistry() : null;
    if (!(registry instanceof PrometheusMeterRegistry)) {
      throw new IllegalStateException("this Vert.x instance has no Prometheus registry: make it with Metrics.vertx()");
    }
    return (PrometheusMeterRegistry) registry;
  }
}
