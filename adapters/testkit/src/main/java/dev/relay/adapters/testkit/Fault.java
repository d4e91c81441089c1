package dev.relay.adapters.testkit;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A misbehaviour a provider fake is told to show, such as "answer 503 to half of the requests for ten
 * seconds". Immutable: the static factories make a fault that applies to every request until cleared,
 * and {@link #share(double)} and {@link #forPeriod(Duration)} return narrowed copies.
 *
 * <pre>{@code
 * sandbox.inject(Fault.status(503).share(0.5).forPeriod(Duration.ofSeconds(10)));
 * }</pre>
 *
 * <p>The same value travels over HTTP as JSON (see {@link #fromJson(JsonObject)}), for tests that drive a
 * fake in another process.
 */
public final class Fault {

  /** What the fake does to a request the fault applies to. */
  public enum Kind {
    /** Answer with a given HTTP status; nothing is accepted. */
    STATUS,
    /** Answer {@code 429 Too Many Requests} with a {@code Retry-After} in seconds; nothing is accepted. */
    THROTTLE,
    /** Keep the connection open and never answer; nothing is accepted. */
    TIMEOUT,
    /** Answer normally, accepting the request, but only after a delay. */
    SLOW,
    /** Close the connection without an answer; nothing is accepted. */
    RESET;

    /** The kind's name in the JSON form: lower case. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Kind kind;
  private final int httpStatus;
  private final Duration retryAfter;
  private final Duration delay;
  private final double probability;
  private final Duration period;

  private Fault(Kind kind, int httpStatus, Duration retryAfter, Duration delay, double probability, Duration period) {
    this.kind = kind;
    this.httpStatus = httpStatus;
    this.retryAfter = retryAfter;
    this.delay = delay;
    this.probability = probability;
    this.period = period;
  }

  /** Answers the whole request with {@code httpStatus} (300 to 599, such as 500 or 503); nothing is accepted. */
  public static Fault status(int httpStatus) {
    if (httpStatus < 300 || httpStatus > 599) {
      throw new IllegalArgumentException("a status fault needs a status from 300 to 599, not " + httpStatus);
    }
    return new Fault(Kind.STATUS, httpStatus, null, null, 1.0, null);
  }

  /**
   * Answers {@code 429} with {@code Retry-After} set to {@code retryAfter} in whole seconds (rounded up);
   * nothing is accepted.
   */
  public static Fault throttle(Duration retryAfter) {
    return new Fault(Kind.THROTTLE, 429, nonNegative(retryAfter, "retryAfter"), null, 1.0, null);
  }

  /** Accepts the connection and never answers, so that the client times out; nothing is accepted. */
  public static Fault timeout() {
    return new Fault(Kind.TIMEOUT, 0, null, null, 1.0, null);
  }

  /** Answers normally, accepting the messages, but only after {@code delay}. */
  public static Fault slow(Duration delay) {
    return new Fault(Kind.SLOW, 0, null, nonNegative(delay, "delay"), 1.0, null);
  }

  /**
   * Closes the connection abruptly, without an answer; nothing is accepted. The client sees the
   * connection closed mid-request (Vert.x: {@code HttpClosedException}); the close is an ordinary one, not
   * a TCP RST, which Vert.x offers no way to send for a single connection.
   */
  public static Fault reset() {
    return new Fault(Kind.RESET, 0, null, null, 1.0, null);
  }

  /** A copy that applies to this share of requests, drawn at random per request (0 excluded, 1 included). */
  public Fault share(double probability) {
    if (!(probability > 0.0 && probability <= 1.0)) {
      throw new IllegalArgumentException("a fault's share must be in (0, 1], not " + probability);
    }
    return new Fault(kind, httpStatus, retryAfter, delay, probability, period);
  }

  /** A copy that is active only for {@code period} from the moment it is injected. */
  public Fault forPeriod(Duration period) {
    Objects.requireNonNull(period, "period");
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("a fault's period must be positive, not " + period);
    }
    return new Fault(kind, httpStatus, retryAfter, delay, probability, period);
  }

  /** What the fake does. */
  public Kind kind() {
    return kind;
  }

  /** The status answered: the given one for {@link Kind#STATUS}, 429 for {@link Kind#THROTTLE}, else 0. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The {@code Retry-After} of a {@link Kind#THROTTLE} fault; null for other kinds. */
  public Duration retryAfter() {
    return retryAfter;
  }

  /** The delay of a {@link Kind#SLOW} fault; null for other kinds. */
  public Duration delay() {
    return delay;
  }

  /** The share of requests the fault applies to; 1.0 unless narrowed with {@link #share(double)}. */
  public double probability() {
    return probability;
  }

  /** How long the fault stays active after it is injected; empty means until cleared. */
  public Optional<Duration> period() {
    return Optional.ofNullable(period);
  }

  /**
   * Reads the JSON form: {@code {"kind":"status|throttle|timeout|slow|reset", "status":503,
   * "retry_after_seconds":2, "delay_ms":500, "share":0.5, "seconds":10}}, where {@code status} is required
   * for {@code status}, {@code retry_after_seconds} for {@code throttle} (default 1), {@code delay_ms} for
   * {@code slow}, and {@code share} and {@code seconds} (the period) are optional.
   *
   * @throws IllegalArgumentException naming the field that is missing or wrong
   */
  public static Fault fromJson(JsonObject json) {
    Object kindValue = json.getValue("kind");
    if (!(kindValue instanceof String)) {
      throw new IllegalArgumentException("field 'kind' is required: one of status, throttle, timeout, slow, reset");
    }
    Fault fault;
    switch ((String) kindValue) {
      case "status":
        fault = status(intField(json, "status", null));
        break;
      case "throttle":
        fault = throttle(Duration.ofSeconds(intField(json, "retry_after_seconds", 1)));
        break;
      case "timeout":
        fault = timeout();
        break;
      case "slow":
        fault = slow(Duration.ofMillis(intField(json, "delay_ms", null)));
        break;
      case "reset":
        fault = reset();
        break;
      default:
        throw new IllegalArgumentException("field 'kind' must be one of status, throttle, timeout, slow, reset, not '"
          + kindValue + "'");
    }
    Object share = json.getValue("share");
    if (share != null) {
      if (!(share instanceof Number)) {
        throw new IllegalArgumentException("field 'share' must be a number");
      }
      fault = fault.share(((Number) share).doubleValue());
    }
    if (json.getValue("seconds") != null) {
      fault = fault.forPeriod(Duration.ofSeconds(intField(json, "seconds", null)));
    }
    return fault;
  }

  /** The JSON form that {@link #fromJson(JsonObject)} reads. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("kind", kind.wireName());
    switch (kind) {
      case STATUS:
        json.put("status", httpStatus);
        break;
      case THROTTLE:
        json.put("retry_after_seconds", retryAfterSeconds());
        break;
      case SLOW:
        json.put("delay_ms", delay.toMillis());
        break;
      default:
        break;
    }
    json.put("share", probability);
    if (period != null) {
      json.put("seconds", period.toSeconds());
    }
    return json;
  }

  /** The {@code Retry-After} in whole seconds, rounded up. */
  long retryAfterSeconds() {
    long millis = retryAfter.toMillis();
    return millis / 1000 + (millis % 1000 == 0 ? 0 : 1);
  }

  private static int intField(JsonObject json, String field, Integer fallback) {
    Object value = json.getValue(field);
    if (value == null) {
      if (fallback == null) {
        throw new IllegalArgumentException("field '" + field + "' is required");
      }
      return fallback;
    }
    if (!(value instanceof Number) || ((Number) value).doubleValue() != ((Number) value).intValue()) {
      throw new IllegalArgumentException("field '" + field + "' must be a whole number");
    }
    return ((Number) value).intValue();
  }

  private static Duration nonNegative(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, not " + duration);
    }
    return duration;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Fault)) {
      return false;
    }
    Fault other = (Fault) o;
    return kind == other.kind && httpStatus == other.httpStatus && Double.compare(probability, other.probability) == 0
      && Objects.equals(retryAfter, other.retryAfter) && Objects.equals(delay, other.delay)
      && Objects.equals(period, other.period);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, httpStatus, retryAfter, delay, probability, period);
  }

  @Override
  public String toString() {
    return "Fault" + toJson().encode();
  }
}
