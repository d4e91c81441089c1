package dev.relay.gateway.webhook;

import dev.relay.gateway.store.EngagementStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies stored provider events to their messages in the background, on every instance (the rows are
 * taken with {@code SKIP LOCKED}). The receipt is stored before the provider's 2xx; applying only reads
 * what is stored, so an event stored by a process that died before applying it is applied by the next pass
 * of any instance. A pass that took a full batch is followed at once by another.
 */
public final class WebhookApplier {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookApplier.class);
  private static final int BATCH = 500;

  private final Vertx vertx;
  private final EngagementStore store;
  private final int retrySeconds;
  private final long giveUpSeconds;
  private boolean running;
  private boolean failing;

  public WebhookApplier(Vertx vertx, EngagementStore store, int retrySeconds, long giveUpSeconds) {
    this.vertx = vertx;
    this.store = store;
    this.retrySeconds = retrySeconds;
    this.giveUpSeconds = giveUpSeconds;
  }

  /** Starts passing every {@code intervalMs}; the timer's id. */
  public long start(long intervalMs) {
    return vertx.setPeriodic(intervalMs, intervalMs, id -> pass());
  }

  /** One pass, and more while full batches come back; a pass already running makes this a no-op. */
  public Future<Long> pass() {
    if (running) {
      return Future.succeededFuture(0L);
    }
    running = true;
    return drain(0).eventually(() -> {
      running = false;
      return Future.succeededFuture();
    });
  }

  private Future<Long> drain(long soFar) {
    return store.applyWebhooks(BATCH, retrySeconds, giveUpSeconds)
      .transform(ar -> {
        if (ar.failed()) {
          if (!failing) {
            failing = true;
            LOG.warn("applying provider events failed; they stay stored and are applied later: {}", ar.cause().toString());
          }
          return Future.succeededFuture(soFar);
        }
        failing = false;
        EngagementStore.Applied done = ar.result();
        if (done.applied() > 0) {
          LOG.debug("applied {} provider events: {} events, {} suppressions, {} state changes", done.applied(),
            done.events(), done.suppressed(), done.states());
        }
        return done.picked() == BATCH ? drain(soFar + done.applied()) : Future.succeededFuture(soFar + done.applied());
      });
  }
}
