package dev.relay.gateway.track;

import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.store.TrackingStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    Set<Long> ids = new LinkedHashSet<>();
    long earliestClick = Long.MAX_VALUE;
    for (Hit hit : hits) {
      ids.add(hit.messageId());
      if (Hit.CLICKED.equals(hit.type())) {
        earliestClick = Math.min(earliestClick, hit.at());
      }
    }
    Long[] messageIds = ids.toArray(Long[]::new);
    long since = earliestClick == Long.MAX_VALUE ? Long.MAX_VALUE : earliestClick - classifier.burstMs();
    return store.context(client, messageIds)
      .compose(context -> (since == Long.MAX_VALUE
        ? Future.succeededFuture(List.<TrackingStore.WrittenClick>of())
        : store.recentClicks(client, messageIds, since))
        .compose(written -> {
          List<TrackingStore.NewEvent> events = new ArrayList<>();
          List<Classifier.Click> clicks = new ArrayList<>();
          for (TrackingStore.WrittenClick w : written) {
            clicks.add(new Classifier.Click(w.messageId(), String.valueOf(w.link()), w.atMillis(),
              new Classifier.Verdict(w.klass(), null)));
          }
          int firstNew = clicks.size();
          Map<Integer, Integer> eventOfClick = new HashMap<>();
          for (Hit hit : hits) {
            TrackingStore.MessageContext message = context.get(hit.messageId());
            if (message == null) {
              LOG.debug("tracking hit for message {}, which does not exist: not recorded", hit.messageId());
              continue;
            }
            Classifier.Verdict verdict = hit.verdict();
            if (Hit.CLICKED.equals(hit.type())) {
              verdict = classifier.afterSend(verdict, hit.at(), message.sentAtMillis());
              if (!"head-request".equals(verdict.reason())) {
                eventOfClick.put(clicks.size(), events.size());
                clicks.add(new Classifier.Click(hit.messageId(), hit.link(), hit.at(), verdict));
              }
            }
            events.add(new TrackingStore.NewEvent(hit.messageId(), message.tenantId(), message.campaignId(), hit.type(),
              verdict.klass(), verdict.reason(), hit.eventData(), hit.at(), hit.id()));
          }
          List<Long> reclassify = new ArrayList<>();
          for (int index : classifier.bursts(clicks)) {
            if (index < firstNew) {
              if ("human".equals(written.get(index).klass())) {
                reclassify.add(written.get(index).eventId());
              }
            } else {
              int e = eventOfClick.get(index);
              TrackingStore.NewEvent event = events.get(e);
              if ("human".equals(event.klass())) {
                events.set(e, new TrackingStore.NewEvent(event.messageId(), event.tenantId(), event.campaignId(),
                  event.type(), "machine", "link-burst", event.data(), event.atMillis(), event.hit()));
              }
            }
          }
          Future<List<String>> remarked = reclassify.isEmpty() ? Future.succeededFuture(List.of())
            : store.reclassify(client, reclassify.toArray(Long[]::new), "link-burst");
          return remarked.compose(types -> (events.isEmpty() ? Future.succeededFuture(List.<String[]>of())
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
