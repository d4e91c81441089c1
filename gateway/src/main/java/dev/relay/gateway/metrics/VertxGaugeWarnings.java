package dev.relay.gateway.metrics;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops Micrometer's "This Gauge has been already registered" for Vert.x's own gauges, and only those.
 * Vert.x 5 (vertx-micrometer-metrics' {@code LongGaugeBuilder}) registers a gauge such as
 * {@code vertx.net.client.active.connections} again for every client connection and shares one counter per
 * meter id, by design, so nothing is lost; Micrometer 1.13.9 and later warns about every re-registration
 * (vert-x3/vertx-micrometer-metrics#259, micrometer-metrics/micrometer#6931). Every gateway start logged it.
 * The warning stays for any other meter, so a gauge of Relay's own registered twice is still reported.
 * Installed from {@code logback.xml}.
 */
public final class VertxGaugeWarnings extends TurboFilter {

  private static final String LOGGER = "io.micrometer.core.instrument.MeterRegistry";
  private static final String VERTX_GAUGE = "This Gauge has been already registered (MeterId{name='vertx.";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    return format != null && format.startsWith(VERTX_GAUGE) && LOGGER.equals(logger.getName())
      ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}
