package dev.relay.gateway.throttle;

/**
 * A rate limit: {@code rate} messages per second on average, and at most {@code burst} at once after
 * an idle spell (so that no one-second window holds more than {@code rate + burst}).
 */
public record Limit(double rate, int burst) {

  public Limit {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("a rate must be a positive number of messages per second, not " + rate);
    }
    if (burst < 1) {
      throw new IllegalArgumentException("a burst must be at least 1, not " + burst);
    }
  }

  /** A rate with its default burst: one second's worth (at least one message). */
  public static Limit of(double rate) {
    return new Limit(rate, (int) Math.max(1, Math.ceil(rate)));
  }

  /** The interval between two messages at this rate, in milliseconds. */
  double intervalMs() {
    return 1000 / rate;
  }
}
