package dev.relay.gateway.track;

import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.store.TrackingStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records opens and clicks: {@link #record} puts a hit in the journal (the endpoint answers once it
 * is on disk); every {@code tracking.flush-ms} the journal's closed segments are classified with what
 * the database knows of their messages and written to {@code events} in one transaction per segment,
 * then deleted. A database outage only delays the write: the segment stays and is tried again.
 */
public final class TrackingRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(TrackingRecorder.class);
  private static final int CHUNK = 2000;

  private final Vertx vertx;
  private final TrackingJournal journal;
  private final TrackingStore store;
  private final Classifier classifier;
  private final RelayMetrics metrics;
  private final long timer;
  private boolean flushing;
  private Future<Void> lastFlush = Future.succeededFuture();

  private TrackingRecorder(Vertx vertx, TrackingJournal journal, TrackingStore store, Classifier classifier,
                           RelayMetrics metrics, long flushMs) {
    this.vertx = vertx;
    this.journal = journal;
    this.store = store;
    this.classifier = classifier;
    this.metrics = metrics;
    this.timer = vertx.setPeriodic(flushMs, id -> flush());
  }

  public static TrackingRecorder start(Vertx vertx, TrackingJournal journal, TrackingStore store,
                                       Classifier classifier, RelayMetrics metrics, long flushMs) {
    return new TrackingRecorder(vertx, journal, store, classifier, metrics, flushMs);
  }

  public Classifier classifier() {
    return classifier;
  }

  /** Journals a hit; the future completes when it is durable (before its event is written). */
  public Future<Void> record(Hit hit) {
    return journal.append(hit);
  }

  /** Writes what the journal holds now to the database (also run by the timer). */
  public synchronized Future<Void> flush() {
    if (flushing) {
      return lastFlush;
    }
    flushing = true;
    lastFlush = journal.rotate()
      .compose(segments -> {
        Future<Void> chain = Future.succeededFuture();
        for (TrackingJournal.Segment segment : segments) {
          chain = chain.compose(v -> write(segment.hits())).compose(v -> journal.written(segment));
        }
        return chain;
      })
      .onFailure(err -> LOG.warn("tracking events not written yet (kept in the journal, tried again): {}",
        err.toString()))
      .eventually(() -> {
        synchronized (this) {
          flushing = false;
        }
        return Future.succeededFuture();
      });
    return lastFlush;
  }

  private Future<Void> write(List<Hit> hits) {
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < hits.size(); from += CHUNK) {
      List<Hit> chunk = hits.subList(from, Math.min(hits.size(), from + CHUNK));
      chain = chain.compose(v -> store.pool().withTransaction(client -> writeChunk(client, chunk)));
    }
    return chain;
  }

  private Future<Void> writeChunk(io.vertx.sqlclient.SqlClient client, List<Hit> hits) {
    Map<Long, Long> earliest = new LinkedHashMap<>();
    for (Hit hit : hits) {
      earliest.merge(hit.messageId(), hit.at(), Math::min);
    }
    Long[] messageIds = earliest.keySet().toArray(Long[]::new);
    return store.context(client, messageIds).compose(context -> {
      long[] since = new long[messageIds.length];
      for (int i = 0; i < messageIds.length; i++) {
        TrackingStore.MessageContext message = context.get(messageIds[i]);
        long lookback = earliest.get(messageIds[i]) - classifier.lookbackMs();
        since[i] = message == null || message.sentAtMillis() == null ? lookback
          : Math.min(lookback, message.sentAtMillis());
      }
      return store.messageHits(client, messageIds, since)
        .compose(written -> write(client, hits, context, written));
    });
  }

  /** Judges each message's new hits with its written ones; inserts the new, re-marks written ones shown machine. */
  private Future<Void> write(io.vertx.sqlclient.SqlClient client, List<Hit> hits,
                             Map<Long, TrackingStore.MessageContext> context, List<TrackingStore.WrittenHit> written) {
    Map<Long, List<TrackingStore.WrittenHit>> writtenOf = new HashMap<>();
    for (TrackingStore.WrittenHit w : written) {
      writtenOf.computeIfAbsent(w.messageId(), k -> new ArrayList<>()).add(w);
    }
    Map<Long, List<Hit>> newOf = new LinkedHashMap<>();
    for (Hit hit : hits) {
      if (context.containsKey(hit.messageId())) {
        newOf.computeIfAbsent(hit.messageId(), k -> new ArrayList<>()).add(hit);
      } else {
        LOG.debug("tracking hit for message {}, which does not exist: not recorded", hit.messageId());
      }
    }
    List<TrackingStore.NewEvent> events = new ArrayList<>();
    List<Long> remarked = new ArrayList<>();
    List<String> remarkedReasons = new ArrayList<>();
    for (Map.Entry<Long, List<Hit>> entry : newOf.entrySet()) {
      TrackingStore.MessageContext message = context.get(entry.getKey());
      List<TrackingStore.WrittenHit> old = writtenOf.getOrDefault(entry.getKey(), List.of());
      List<Classifier.Seen> seen = new ArrayList<>();
      for (TrackingStore.WrittenHit w : old) {
        seen.add(new Classifier.Seen(w.type(), w.link(), w.method(), w.ip(), w.userAgent(), w.atMillis(),
          new Classifier.Verdict(w.klass(), w.klass() == EventClass.HUMAN ? null : w.reason())));
      }
      for (Hit hit : entry.getValue()) {
        seen.add(new Classifier.Seen(hit.type(), hit.link(), hit.method(), hit.ip(), hit.userAgent(), hit.at(),
          hit.verdict()));
      }
      List<Classifier.Verdict> verdicts = classifier.judge(seen, message.sentAtMillis());
      for (int i = 0; i < old.size(); i++) {
        if (old.get(i).klass() == EventClass.HUMAN && !verdicts.get(i).human()) {
          remarked.add(old.get(i).eventId());
          remarkedReasons.add(verdicts.get(i).reason());
        }
      }
      for (int i = 0; i < entry.getValue().size(); i++) {
        Hit hit = entry.getValue().get(i);
        Classifier.Verdict verdict = verdicts.get(old.size() + i).written();
        events.add(new TrackingStore.NewEvent(hit.messageId(), message.tenantId(), message.campaignId(), hit.type(),
          verdict.klass(), verdict.reason(), hit.eventData(), hit.at(), hit.id()));
      }
    }
    Future<List<String>> remarks = remarked.isEmpty() ? Future.succeededFuture(List.of())
      : store.reclassify(client, remarked.toArray(Long[]::new), remarkedReasons.toArray(String[]::new));
    return remarks.compose(types -> (events.isEmpty() ? Future.succeededFuture(List.<String[]>of())
      : store.insert(client, events))
      .map(inserted -> {
        for (String type : types) {
          metrics.remarked(metricType(type), "human", "machine");
        }
        for (String[] row : inserted) {
          metrics.tracking(metricType(row[0]), row[1]);
        }
        return null;
      }));
  }

  private static String metricType(String eventType) {
    return Hit.OPENED.equals(eventType) ? "open" : "click";
  }

  /** Stops the timer, writes what it can, and closes the journal (what is not written stays in it). */
  public Future<Void> close() {
    vertx.cancelTimer(timer);
    return flush().eventually(journal::close);
  }
}
