package dev.relay.loadtests;

import java.util.ArrayList;
import java.util.List;

/**
 * Units of work of one phase as they completed (a POST, a request to the sink, a COPY): when each
 * ended ({@link System#nanoTime()}), how long it took and how many items (recipients, messages, rows)
 * it carried. Thread-safe: the COPY baseline adds from several threads. The report's time series are
 * made from it.
 */
final class Completions {

  /** One completed unit: {@code latencyMicros} is -1 where a latency means nothing (an arrival scheduled). */
  record Completion(long endNanos, long latencyMicros, long items) {
  }

  private final List<Completion> done = new ArrayList<>();

  synchronized void add(long endNanos, long latencyMicros, long items) {
    done.add(new Completion(endNanos, latencyMicros, items));
  }

  /** A copy, in the order they were added. */
  synchronized List<Completion> list() {
    return new ArrayList<>(done);
  }

  synchronized int size() {
    return done.size();
  }
}
