package dev.relay.gateway.dispatch;

import dev.relay.gateway.lifecycle.MessageState;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.store.DispatchStore;
import dev.relay.gateway.throttle.Throttle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Records what the send pipeline decided: outcomes go to the {@link OutcomeWriter}, written in batches and fenced by
 * the attempt they were claimed with; messages given back unsent are released in one statement per event-loop turn.
 * Every message it records or releases leaves the handoff's count of messages held. Used from the dispatcher's event
 * loop only.
 */
final class OutcomeRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(OutcomeRecorder.class);

  private final Context context;
  private final DispatchStore store;
  private final Handoff handoff;
  private final Throttle throttle;
  private final RelayMetrics metrics;
  private final OutcomeWriter writer;
  private final PauseGuard pauseGuard;
  private List<Claimed> releasing = new ArrayList<>();
  private boolean releaseScheduled;
  private int sentThisSecond;

  OutcomeRecorder(Vertx vertx, Context context, DispatchStore store, Handoff handoff, Throttle throttle,
                  RelayMetrics metrics, Dispatcher.Options options) {
    this.context = context;
    this.store = store;
    this.handoff = handoff;
    this.throttle = throttle;
    this.metrics = metrics;
    this.writer = new OutcomeWriter(vertx, store, options.flushMs());
    this.pauseGuard = new PauseGuard(options.pauseWindow(), options.pauseFailurePercent());
  }

  /**
   * Records a message's outcome; true when it takes the message's campaign over the threshold of permanent failures,
   * so that the campaign should pause.
   */
  boolean record(Claimed m, Outcome outcome) {
    handoff.done(1);
    if (outcome.state() == MessageState.SENT) {
      sentThisSecond++;
    }
    throttle.completed(m.id(), outcome.state() == MessageState.SENT);
    writer.add(outcome);
    metrics.message(outcome.channel() != null ? outcome.channel() : m.channels().get(outcome.channelIndex()).wireName(),
      outcome.account(), outcome.event());
    boolean terminal = outcome.state() == MessageState.SENT || outcome.state() == MessageState.FAILED;
    return terminal && pauseGuard.record(m.campaignId(), outcome.state() == MessageState.FAILED);
  }

  /**
   * Gives a message back unsent: its lease ends and its attempt does not count. The messages given back in one
   * event-loop turn (a shutdown's, a paused campaign's) go in one statement.
   */
  void release(Claimed m) {
    handoff.done(1);
    releasing.add(m);
    if (!releaseScheduled) {
      releaseScheduled = true;
      context.runOnContext(v -> flushReleases());
    }
  }

  /** Releases now what was given back and not released yet; how many rows the statement changed. */
  Future<Integer> flushReleases() {
    releaseScheduled = false;
    if (releasing.isEmpty()) {
      return Future.succeededFuture(0);
    }
    List<Claimed> batch = releasing;
    releasing = new ArrayList<>();
    Long[] ids = new Long[batch.size()];
    Integer[] attempts = new Integer[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      ids[i] = batch.get(i).id();
      attempts[i] = batch.get(i).attempt();
    }
    return store.release(ids, attempts)
      .onFailure(err -> LOG.warn("releasing {} messages failed; their leases will expire: {}", batch.size(),
        err.toString()));
  }

  /**
   * A message no step could decide for (a defect): it leaves the count of messages held, and stays leased until its
   * lease expires and an instance reclaims it.
   */
  void leaveLeased(Claimed m, Throwable failure) {
    handoff.done(1);
    LOG.error("message {} could not be dispatched; it is reclaimed when its lease expires", m.id(), failure);
  }

  /** How many messages were recorded sent since the last call (the pace the handoff follows). */
  int takeSent() {
    int sent = sentThisSecond;
    sentThisSecond = 0;
    return sent;
  }

  /** Releases and writes everything recorded so far; completes when every write has landed. */
  Future<Void> drain() {
    return flushReleases().transform(released -> writer.drain());
  }
}
