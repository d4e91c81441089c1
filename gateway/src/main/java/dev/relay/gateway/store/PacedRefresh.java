package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A periodic read of the database whose cost grows with the data, such as counting the queue: it runs
 * every {@code period}, but after a read that took {@code t} not again before {@value #COST_FACTOR} × t
 * (at most {@value #MAX_DELAY_MS} ms), so that it keeps to about 2% of the database's time however
 * large the queue grows. A count of a million queued messages takes PostgreSQL a few hundred
 * milliseconds of every core it has; once a second, that was a large share of a two-core machine, taken
 * from the very inserts that made the queue grow. A read that fails is retried after {@code period}.
 */
public final class PacedRefresh {

  /** How many times its own duration a read waits before the next one. */
  static final long COST_FACTOR = 50;
  /** The longest wait between reads, however slow the last one was. */
  static final long MAX_DELAY_MS = 60_000;

  private final Vertx vertx;
  private final long periodMs;
  private final Supplier<Future<?>> read;
  private volatile boolean stopped;
  private volatile long timer = -1;

  private PacedRefresh(Vertx vertx, long periodMs, Supplier<Future<?>> read) {
    this.vertx = vertx;
    this.periodMs = periodMs;
    this.read = read;
  }

  /** Starts reading now, then as paced; {@code read} handles its own result and failure. */
  public static PacedRefresh start(Vertx vertx, long periodMs, Supplier<Future<?>> read) {
    PacedRefresh refresh = new PacedRefresh(vertx, periodMs, read);
    refresh.schedule(1);
    return refresh;
  }

  /** The wait after a read that took {@code tookMs}: the period, or longer when reads are slow. */
  static long nextDelay(long periodMs, long tookMs) {
    return Math.max(periodMs, Math.min(MAX_DELAY_MS, COST_FACTOR * tookMs));
  }

  /** No more reads; one under way completes and is not followed by another. */
  public void stop() {
    stopped = true;
    vertx.cancelTimer(timer);
  }

  private void schedule(long delayMs) {
    if (!stopped) {
      timer = vertx.setTimer(delayMs, id -> run());
    }
  }

  private void run() {
    long started = System.nanoTime();
    read.get().onComplete(done -> schedule(done.succeeded()
      ? nextDelay(periodMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
      : periodMs));
  }
}
