package dev.relay.gateway.intake;

import java.util.concurrent.atomic.AtomicLong;

/**
 * This process's view of how many messages wait to be sent. It is recounted from the database
 * periodically, and between recounts grows by what this process accepts, so a burst of batches
 * cannot overshoot the bound by more than one refresh period of other instances' intake.
 */
public final class QueueDepth {

  private final long max;
  private final AtomicLong depth = new AtomicLong();

  public QueueDepth(long max) {
    this.max = max;
  }

  /** Whether {@code messages} more fit under the bound. */
  public boolean admits(int messages) {
    return depth.get() + messages <= max;
  }

  /** Records messages this process has just stored. */
  public void added(int messages) {
    depth.addAndGet(messages);
  }

  /** Replaces the estimate with a fresh count from the database. */
  public void recounted(long count) {
    depth.set(count);
  }

  public long current() {
    return depth.get();
  }

  public long max() {
    return max;
  }
}
