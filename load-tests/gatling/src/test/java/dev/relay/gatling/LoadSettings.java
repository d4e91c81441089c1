package dev.relay.gatling;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.OpenInjectionStep;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;

/**
 * The settings every simulation shares, read from system properties ({@code -Drelay.rate=50} on the Maven
 * command line; the Gatling plugin passes them to the JVM that runs the simulation). A value that is not
 * of its type, or out of its range, stops the run before it starts with a message naming the property.
 */
final class LoadSettings {

  /** The gateway's base URL ({@code relay.url}). */
  final String url;
  /** New virtual users per second once ramped up ({@code relay.rate}); each user makes one request. */
  final double rate;
  /** Seconds at {@link #rate} ({@code relay.duration}). */
  final int durationSeconds;
  /** Seconds of the linear ramp from 1 user/s up to {@link #rate} before it ({@code relay.rampUp}); 0 for none. */
  final int rampUpSeconds;
  /** The run fails when the 99th percentile of response times is at or above this ({@code relay.p99Ms}). */
  final int p99Millis;
  /** The run fails when this percentage of requests or more failed a check ({@code relay.maxFailedPercent}). */
  final double maxFailedPercent;

  private LoadSettings(String url, double rate, int durationSeconds, int rampUpSeconds, int p99Millis,
                       double maxFailedPercent) {
    this.url = url;
    this.rate = rate;
    this.durationSeconds = durationSeconds;
    this.rampUpSeconds = rampUpSeconds;
    this.p99Millis = p99Millis;
    this.maxFailedPercent = maxFailedPercent;
  }

  /** The shared settings, with this simulation's default rate. */
  static LoadSettings read(double defaultRate) {
    String url = string("relay.url", "http://127.0.0.1:8080");
    if (!url.startsWith("http://") && !url.startsWith("https://")) {
      throw new IllegalArgumentException("relay.url must be an http(s) URL, not '" + url + "'");
    }
    return new LoadSettings(url.endsWith("/") ? url.substring(0, url.length() - 1) : url,
      decimal("relay.rate", defaultRate, 0.1, 10_000),
      integer("relay.duration", 30, 1, 3_600),
      integer("relay.rampUp", 5, 0, 600),
      integer("relay.p99Ms", 1_000, 1, 600_000),
      decimal("relay.maxFailedPercent", 1.0, 0.001, 100.0));
  }

  /** The open injection profile: a ramp to the rate (if any), then the rate for the duration. */
  OpenInjectionStep[] injection() {
    List<OpenInjectionStep> steps = new ArrayList<>();
    if (rampUpSeconds > 0) {
      steps.add(rampUsersPerSec(Math.min(1.0, rate)).to(rate).during(Duration.ofSeconds(rampUpSeconds)));
    }
    steps.add(constantUsersPerSec(rate).during(Duration.ofSeconds(durationSeconds)));
    return steps.toArray(new OpenInjectionStep[0]);
  }

  /** What makes a run fail: too many failed requests, a too slow 99th percentile, or no request at all. */
  Assertion[] assertions() {
    return new Assertion[] {
      global().failedRequests().percent().lt(maxFailedPercent),
      global().responseTime().percentile(99.0).lt(p99Millis),
      global().allRequests().count().gt(0L)
    };
  }

  /** One line for the run's log: what is about to be sent where. */
  String describe(String what) {
    return String.format(Locale.ROOT, "%s against %s: ramp %d s, then %.1f users/s for %d s; fails at >= %.2f%% "
      + "failed requests or p99 >= %d ms", what, url, rampUpSeconds, rate, durationSeconds, maxFailedPercent, p99Millis);
  }

  static String string(String property, String fallback) {
    String value = System.getProperty(property);
    return value == null ? fallback : value.trim();
  }

  /** A property that must be given. */
  static String required(String property, String why) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("-D" + property + " is required: " + why);
    }
    return value.trim();
  }

  static int integer(String property, int fallback, int min, int max) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(property + " must be a whole number, not '" + value + "'");
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException(property + " must be " + min + " to " + max + ", not " + parsed);
    }
    return parsed;
  }

  static double decimal(String property, double fallback, double min, double max) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    double parsed;
    try {
      parsed = Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(property + " must be a number, not '" + value + "'");
    }
    if (!(parsed >= min && parsed <= max)) {
      throw new IllegalArgumentException(property + " must be " + min + " to " + max + ", not " + parsed);
    }
    return parsed;
  }
}
