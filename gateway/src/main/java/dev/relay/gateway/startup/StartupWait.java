package dev.relay.gateway.startup;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * Start-up's patience with a service that is not there yet (a PostgreSQL still starting up, a Redis
 * loading its data, either not listening yet): asks again with exponential backoff, logging each wait
 * with its reason, until it answers or the time allowed is spent, then fails with the last reason.
 * The waits are timers, never a blocked thread.
 */
public final class StartupWait {

  private static final Logger LOG = LoggerFactory.getLogger(StartupWait.class);
  static final long FIRST_DELAY_MS = 250;
  static final long MAX_DELAY_MS = 5_000;

  /** One try's answer: ready with a value, not yet (worth waiting for), or a failure waiting cannot mend. */
  public sealed interface Answer<T> {

    static <T> Answer<T> ready(T value) {
      return new Ready<>(value);
    }

    static <T> Answer<T> notYet(String reason) {
      return new NotYet<>(reason);
    }
  }

  /** Ready, with its value. */
  public record Ready<T>(T value) implements Answer<T> {
  }

  /** Not yet, and why. */
  public record NotYet<T>(String reason) implements Answer<T> {
  }

  private StartupWait() {
  }

  /**
   * Tries until ready, for up to {@code maxWaitMs}; a failed try fails at once.
   *
   * @param what    the service waited for, as the log and the error name it ("PostgreSQL at localhost:5432")
   * @param setting the setting that bounds the wait, named in the error
   */
  public static <T> Future<T> until(Vertx vertx, String what, String setting, long maxWaitMs,
                                    Supplier<Future<Answer<T>>> attempt) {
    return attempt(vertx, what, setting, System.nanoTime() + maxWaitMs * 1_000_000L, maxWaitMs, FIRST_DELAY_MS,
      attempt);
  }

  private static <T> Future<T> attempt(Vertx vertx, String what, String setting, long deadline, long maxWaitMs,
                                       long delayMs, Supplier<Future<Answer<T>>> attempt) {
    return attempt.get().compose(answer -> {
      if (answer instanceof Ready<T> ready) {
        return Future.succeededFuture(ready.value());
      }
      String reason = ((NotYet<T>) answer).reason();
      long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
      if (leftMs <= 0) {
        return Future.failedFuture(new StartupRefused(what + " did not become ready within "
          + maxWaitMs / 1000 + " s (" + setting + "): " + reason));
      }
      long wait = Math.min(delayMs, leftMs);
      LOG.info("waiting for {}: {}; trying again in {} ms ({} s left of {})", what, reason, wait,
        (leftMs + 999) / 1000, setting);
      return vertx.timer(wait).compose(v -> attempt(vertx, what, setting, deadline, maxWaitMs,
        Math.min(MAX_DELAY_MS, delayMs * 2), attempt));
    });
  }
}
