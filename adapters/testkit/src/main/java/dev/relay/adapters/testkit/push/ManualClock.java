package dev.relay.adapters.testkit.push;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that stands still until a test moves it, shared by a push fake and the adapter under test so
 * that token lifetimes (an OAuth access token's hour, an APNs provider token's 20 to 60 minutes) pass
 * without waiting. Thread-safe.
 */
public final class ManualClock extends Clock {

  private final AtomicReference<Instant> now;

  private ManualClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  /** A clock that starts at the current time, truncated to whole seconds as JWT claims are. */
  public static ManualClock startingNow() {
    return new ManualClock(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
  }

  /** Moves the clock forward by {@code step} (which must not be negative) and answers the new time. */
  public Instant advance(Duration step) {
    Objects.requireNonNull(step, "step");
    if (step.isNegative()) {
      throw new IllegalArgumentException("a clock only moves forward, not by " + step);
    }
    return now.updateAndGet(t -> t.plus(step));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    if (ZoneOffset.UTC.equals(zone)) {
      return this;
    }
    throw new UnsupportedOperationException("a ManualClock is in UTC only");
  }

  @Override
  public String toString() {
    return "ManualClock at " + now.get();
  }
}
