package dev.relay.gateway.dispatch;

import dev.relay.gateway.store.DispatchStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes outcomes in batches: one statement per flush, never one round trip per message. A flush
 * that fails (database unreachable) is retried until it succeeds; the fencing by attempt makes a late
 * write of an outcome whose lease another instance took over change nothing. Used from the
 * dispatcher's event loop only.
 */
final class OutcomeWriter {

  private static final Logger LOG = LoggerFactory.getLogger(OutcomeWriter.class);
  private static final long RETRY_MS = 1000;
  private static final int MAX_PER_FLUSH = 1000;

  private final Vertx vertx;
  private final DispatchStore store;
  private final long flushMs;
  private List<Outcome> buffer = new ArrayList<>();
  private long timer = -1;
  private int flushing;
  private Promise<Void> drained;

  OutcomeWriter(Vertx vertx, DispatchStore store, long flushMs) {
    this.vertx = vertx;
    this.store = store;
    this.flushMs = flushMs;
  }

  void add(Outcome outcome) {
    buffer.add(outcome);
    if (buffer.size() >= MAX_PER_FLUSH) {
      flush();
    } else if (timer < 0) {
      timer = vertx.setTimer(flushMs, id -> {
        timer = -1;
        flush();
      });
    }
  }

  /** Writes everything buffered now; the future completes when every write so far has landed. */
  Future<Void> drain() {
    flush();
    if (flushing == 0) {
      return Future.succeededFuture();
    }
    if (drained == null) {
      drained = Promise.promise();
    }
    return drained.future();
  }

  private void flush() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    if (buffer.isEmpty()) {
      return;
    }
    List<Outcome> batch = buffer;
    buffer = new ArrayList<>();
    write(batch);
  }

  private void write(List<Outcome> batch) {
    int n = batch.size();
    Long[] ids = new Long[n];
    Integer[] attempts = new Integer[n];
    String[] states = new String[n];
    Long[] delays = new Long[n];
    Short[] channelIndexes = new Short[n];
    String[] channels = new String[n];
    String[] accounts = new String[n];
    String[] providerIds = new String[n];
    String[] reasons = new String[n];
    String[] events = new String[n];
    Boolean[] refunds = new Boolean[n];
    String[] details = new String[n];
    for (int i = 0; i < n; i++) {
      Outcome o = batch.get(i);
      ids[i] = o.id();
      attempts[i] = o.attempt();
      states[i] = o.state().wireName();
      delays[i] = o.delayMs();
      channelIndexes[i] = (short) o.channelIndex();
      channels[i] = o.channel();
      accounts[i] = o.account();
      providerIds[i] = o.providerMessageId();
      reasons[i] = o.reason();
      events[i] = o.event();
      refunds[i] = o.refund();
      details[i] = o.details();
    }
    flushing++;
    store.record(ids, attempts, states, delays, channelIndexes, channels, accounts, providerIds, reasons, events, refunds, details)
      .onComplete(ar -> {
        if (ar.succeeded()) {
          if (ar.result() < n) {
            LOG.info("{} of {} outcomes were stale (their lease had passed to another attempt)", n - ar.result(), n);
          }
          finished();
        } else {
          LOG.warn("writing {} outcomes failed, retrying in {} ms: {}", n, RETRY_MS, ar.cause().toString());
          vertx.setTimer(RETRY_MS, id -> {
            flushing--;
            write(batch);
          });
        }
      });
  }

  private void finished() {
    flushing--;
    if (flushing == 0 && drained != null && !buffer.isEmpty()) {
      flush();
    } else if (flushing == 0 && drained != null) {
      Promise<Void> done = drained;
      drained = null;
      done.complete();
    }
  }
}
