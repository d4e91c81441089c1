package dev.relay.gateway.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Waits for something the gateway does asynchronously (a journal flush, a dispatch), polling every 50 ms. */
public final class Eventually {

  private static final long TIMEOUT_SECONDS = 30;

  private Eventually() {
  }

  /** Returns once the condition holds; fails the test, naming {@code what}, after 30 seconds. */
  public static void until(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("%s within %d s", what, TIMEOUT_SECONDS).isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
