package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Watches the sink until it has received a number of distinct messages, polling its count every few
 * milliseconds from a Vert.x timer; gives up at a deadline or when the gateway process exits. The
 * number expected may be lowered while it waits (when some batches were not accepted, their messages
 * never come).
 */
final class Arrivals {

  /** How it ended: every expected message arrived, or not, and why not. */
  record Outcome(boolean complete, long unique, long expected, String reason, Instant endedAt) {
  }

  private static final long POLL_MS = 2;
  private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final AtomicLong expected;
  private final Promise<Outcome> done = Promise.promise();

  private Arrivals(long expected) {
    this.expected = new AtomicLong(expected);
  }

  /**
   * Starts watching {@code sink} for {@code expected} distinct messages until {@code deadlineNanos}
   * ({@link System#nanoTime()}) or until {@code gatewayAlive} says no; {@code progress} gets a line
   * every few seconds.
   */
  static Arrivals watch(Vertx vertx, SandboxServer sink, long expected, long deadlineNanos, BooleanSupplier gatewayAlive,
                        Progress progress) {
    Arrivals arrivals = new Arrivals(expected);
    long[] nextReport = {System.nanoTime() + PROGRESS_EVERY_NANOS};
    vertx.setPeriodic(POLL_MS, timer -> {
      long unique = sink.uniqueCount();
      long wanted = arrivals.expected.get();
      long now = System.nanoTime();
      String reason = null;
      if (unique >= wanted) {
        arrivals.done.tryComplete(new Outcome(true, unique, wanted, null, Instant.now()));
      } else if (!gatewayAlive.getAsBoolean()) {
        reason = "the gateway process exited during the run";
      } else if (now >= deadlineNanos) {
        reason = "timed out: " + unique + " of " + wanted + " messages had arrived";
      } else if (now >= nextReport[0]) {
        nextReport[0] = now + PROGRESS_EVERY_NANOS;
        progress.say("%d of %d messages at the sink", unique, wanted);
      }
      if (reason != null) {
        arrivals.done.tryComplete(new Outcome(false, unique, wanted, reason, Instant.now()));
      }
      if (arrivals.done.future().isComplete()) {
        vertx.cancelTimer(timer);
      }
    });
    return arrivals;
  }

  /** Expects fewer messages: those of the batches that were accepted. */
  void expect(long count) {
    expected.set(count);
  }

  Future<Outcome> outcome() {
    return done.future();
  }
}
