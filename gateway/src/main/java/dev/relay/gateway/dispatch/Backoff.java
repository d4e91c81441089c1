package dev.relay.gateway.dispatch;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Retry delays: exponential in the attempt, capped, with "equal jitter" (half fixed, half random) so
 * that messages failed together do not return together. A provider's Retry-After is honored when it
 * asks for longer.
 */
record Backoff(long baseMs, long maxMs) {

  long delayMs(int attempt, Optional<Duration> retryAfter) {
    long exponential = baseMs << Math.min(Math.max(attempt - 1, 0), 30);
    long capped = Math.min(maxMs, exponential < 0 ? maxMs : exponential);
    long jittered = capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    long asked = retryAfter.map(Duration::toMillis).orElse(0L);
    return Math.max(jittered, Math.min(asked, maxMs));
  }
}
