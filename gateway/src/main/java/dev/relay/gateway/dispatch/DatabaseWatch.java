package dev.relay.gateway.dispatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a database that dispatch cannot reach once, not at every poll, and once more when it answers again. Used from
 * the dispatcher's event loop only.
 */
final class DatabaseWatch {

  private static final Logger LOG = LoggerFactory.getLogger(DatabaseWatch.class);

  private final long retryMs;
  private boolean failing;

  /** @param retryMs how often dispatch asks again (the idle poll), for the log */
  DatabaseWatch(long retryMs) {
    this.retryMs = retryMs;
  }

  void failed(Throwable failure) {
    if (!failing) {
      failing = true;
      LOG.warn("dispatch cannot reach the database, retrying every {} ms: {}", retryMs, failure.toString());
    }
  }

  /** A claim succeeded. */
  void answered() {
    if (failing) {
      failing = false;
      LOG.info("claiming again: the database answers");
    }
  }
}
