package dev.relay.gateway.dispatch;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.lifecycle.Priority;
import dev.relay.gateway.store.DispatchStore;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Produces the messages the dispatcher sends. It claims due messages under a lease while it holds fewer than
 * {@code dispatch.max-pending} (only transactional ones, once per idle poll, when it holds more), claims again at once
 * after a full claim or a recorded outcome and after an idle poll otherwise, and takes over what intake hands it.
 * Beside that, it reclaims expired leases, tells the handoff its pace, and learns every second which campaigns are
 * paused, giving back what it holds of them. Used from the dispatcher's event loop only.
 */
final class ClaimLoop {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimLoop.class);

  /** Most transactional messages a dispatcher too full for a whole claim takes at once. */
  private static final int TRANSACTIONAL_CLAIM = 100;

  /** How often the dispatcher learns which campaigns are paused (by any instance). */
  private static final long PAUSED_REFRESH_MS = 1000;

  /** Where the groups claimed or handed over together go. */
  interface Sink {
    void send(List<Claimed> messages, long leaseDeadlineNanos);
  }

  private final Vertx vertx;
  private final Context context;
  private final DispatchStore store;
  private final Handoff handoff;
  private final Dispatcher.Options options;
  private final DatabaseWatch database;
  private final SendPipeline pipeline;
  private final OutcomeRecorder recorder;
  private final Sink sink;
  private boolean claiming;
  private boolean stopping;
  private long claimTimer = -1;
  private long reclaimTimer = -1;
  private long pausedTimer = -1;
  private long paceTimer = -1;
  private Set<Long> paused = Set.of();
  private long lastTransactionalClaim = System.nanoTime() - TimeUnit.DAYS.toNanos(1);

  /**
   * @param pipeline where the messages of a campaign found paused are taken back from
   * @param recorder where messages not to be sent are released, and the pace is read
   */
  ClaimLoop(Vertx vertx, Context context, DispatchStore store, Handoff handoff, Dispatcher.Options options,
            DatabaseWatch database, SendPipeline pipeline, OutcomeRecorder recorder, Sink sink) {
    this.vertx = vertx;
    this.context = context;
    this.store = store;
    this.handoff = handoff;
    this.options = options;
    this.database = database;
    this.pipeline = pipeline;
    this.recorder = recorder;
    this.sink = sink;
  }

  void start() {
    long reclaimEvery = Math.max(1000, options.leaseSeconds() * 250L);
    reclaimTimer = vertx.setPeriodic(reclaimEvery, id -> store.reclaimExpired(options.claimBatch())
      .onSuccess(n -> {
        if (n > 0) {
          LOG.info("reclaimed {} messages whose lease expired", n);
        }
      })
      .onFailure(database::failed));
    handoff.open(context, this::takeOver);
    paceTimer = vertx.setPeriodic(1000, id -> handoff.paced(recorder.takeSent()));
    pausedTimer = vertx.setPeriodic(PAUSED_REFRESH_MS, id -> store.pausedCampaigns()
      .onSuccess(this::pausedNow)
      .onFailure(database::failed));
    claimSoon(0);
  }

  /** Claims no more, takes no more handoffs; what is delivered still is released. */
  void stop() {
    stopping = true;
    handoff.close();
    vertx.cancelTimer(claimTimer);
    vertx.cancelTimer(reclaimTimer);
    vertx.cancelTimer(pausedTimer);
    vertx.cancelTimer(paceTimer);
  }

  /** Claims after {@code delayMs} (at the end of this event-loop turn when 0), unless a claim is already due. */
  void claimSoon(long delayMs) {
    if (stopping || claimTimer >= 0) {
      return;
    }
    if (delayMs <= 0) {
      claimTimer = 0;
      context.runOnContext(v -> {
        claimTimer = -1;
        claim();
      });
    } else {
      claimTimer = vertx.setTimer(delayMs, id -> {
        claimTimer = -1;
        claim();
      });
    }
  }

  /** Pauses a campaign whose permanent failures passed the threshold, and gives back what is held of it. */
  void autoPause(long campaignId) {
    String reason = "paused by Relay: over " + options.pauseFailurePercent() + "% of the last "
      + options.pauseWindow() + " messages failed permanently";
    store.autoPause(campaignId, reason)
      .onSuccess(rows -> {
        rows.forEach(row -> LOG.warn("campaign '{}' of tenant {} {}", row.getString("name"), row.getLong("tenant_id"),
          reason));
        Set<Long> now = new HashSet<>(paused);
        now.add(campaignId);
        pausedNow(now);
      })
      .onFailure(err -> LOG.warn("campaign {} should pause ({}) but could not be paused: {}", campaignId, reason,
        err.toString()));
  }

  /**
   * Takes note of the campaigns paused now (by the API on any instance, or by this dispatcher), and gives back the
   * messages of those campaigns that it holds but has not handed to a provider yet.
   */
  private void pausedNow(Set<Long> campaigns) {
    paused = campaigns;
    if (campaigns.isEmpty() || stopping) {
      return;
    }
    int held = pipeline.takeBack(m -> campaigns.contains(m.campaignId()));
    if (held > 0) {
      LOG.info("gave back {} messages of paused campaigns", held);
    }
  }

  /** Messages intake stored leased to this process: sent like claimed ones, or released when stopping. */
  private void takeOver(List<Claimed> messages, long leaseDeadline) {
    List<Claimed> sending = new ArrayList<>(messages.size());
    for (Claimed m : messages) {
      if (stopping || paused.contains(m.campaignId())) {
        recorder.release(m);
      } else {
        sending.add(m);
      }
    }
    sink.send(sending, leaseDeadline);
  }

  private void claim() {
    if (stopping || claiming) {
      return;
    }
    int room = handoff.room();
    if (room < Math.min(options.claimBatch(), options.maxPending()) / 4 + 1) {
      claimTransactional();
      return;
    }
    int limit = Math.min(options.claimBatch(), room);
    claiming = true;
    store.claim(limit, options.leaseSeconds())
      .onComplete(ar -> claimed(ar, ar.succeeded() && ar.result().size() == limit ? 0 : options.idlePollMs()));
  }

  /**
   * While the dispatcher holds too many messages for a full claim (a campaign's backlog), it still claims due
   * transactional messages, once per idle poll, so that they are not sent after the backlog.
   */
  private void claimTransactional() {
    long now = System.nanoTime();
    long wait = lastTransactionalClaim + TimeUnit.MILLISECONDS.toNanos(options.idlePollMs()) - now;
    if (wait > 0) {
      claimSoon(TimeUnit.NANOSECONDS.toMillis(wait) + 1);
      return;
    }
    lastTransactionalClaim = now;
    claiming = true;
    store.claimTransactional(TRANSACTIONAL_CLAIM, options.leaseSeconds())
      .onComplete(ar -> claimed(ar, options.idlePollMs()));
  }

  private void claimed(AsyncResult<List<DispatchStore.ClaimedRow>> ar, long nextClaimMs) {
    claiming = false;
    if (ar.failed()) {
      database.failed(ar.cause());
      claimSoon(options.idlePollMs());
      return;
    }
    database.answered();
    long leaseDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.leaseSeconds());
    handoff.claimed(ar.result().size());
    List<Claimed> claimed = new ArrayList<>(ar.result().size());
    ar.result().forEach(row -> claimed.add(toClaimed(row)));
    if (stopping) {
      // Claimed while shutting down: give them straight back.
      claimed.forEach(recorder::release);
      return;
    }
    sink.send(claimed, leaseDeadline);
    claimSoon(nextClaimMs);
  }

  private static Claimed toClaimed(DispatchStore.ClaimedRow row) {
    List<Channel> channels = new ArrayList<>(row.channels().length);
    for (String name : row.channels()) {
      channels.add(Channel.fromWireName(name).orElseThrow(() -> new IllegalStateException("unknown channel " + name)));
    }
    return new Claimed(row.id(), row.attempt(), row.tenantId(), row.campaignId(), row.tenant(), row.campaign(),
      row.recipientId(), row.addresses(), row.locale(), row.variables(), row.expired(), row.channelIndex(),
      List.copyOf(channels), row.templateId(), Priority.of(row.priority()), row.timeZone(), "defer".equals(row.onCap()),
      row.topic());
  }
}
