package dev.relay.gateway.dispatch;

import dev.relay.gateway.lifecycle.Priority;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.SendResult;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.lifecycle.MessageState;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.render.RenderException;
import dev.relay.gateway.render.Renderer;
import dev.relay.gateway.store.DispatchStore;
import dev.relay.gateway.throttle.AccountLimiter;
import dev.relay.gateway.throttle.Throttle;
import dev.relay.gateway.store.PreferenceStore;
import dev.relay.gateway.store.SuppressionStore;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The send pipeline of one process: claims due messages with {@code FOR UPDATE SKIP LOCKED} under a
 * lease, routes each to an account of the first channel of its fallback list that it has an address
 * for, sends through the account's lane (bounded in-flight, circuit breaker), and records outcomes in
 * batches, each fenced by the attempt it was claimed with. Retryable failures fail over to the next
 * account of the channel and are otherwise retried with backoff; permanent ones fail over to the next
 * channel of the list, or fail the message. Everything here runs on this verticle's event loop.
 */
public final class Dispatcher extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

  /** Most transactional messages a dispatcher too full for a whole claim takes at once. */
  private static final int TRANSACTIONAL_CLAIM = 100;

  /** How often the dispatcher learns which campaigns are paused (by any instance). */
  private static final long PAUSED_REFRESH_MS = 1000;

  /** The dispatcher's settings. */
  public record Options(int claimBatch, int maxPending, long idlePollMs, int leaseSeconds, int maxAttempts,
                        long backoffBaseMs, long backoffMaxMs, long sendTimeoutMs, int sendBatch, long flushMs,
                        long shutdownGraceMs, int breakerFailures, long breakerResetMs, int pauseWindow,
                        int pauseFailurePercent) {

    public static Options from(RelayConfig config) {
      return new Options(config.integer(Setting.DISPATCH_CLAIM_BATCH), config.integer(Setting.DISPATCH_MAX_PENDING),
        config.integer(Setting.DISPATCH_IDLE_POLL_MS), config.integer(Setting.DISPATCH_LEASE_SECONDS),
        config.integer(Setting.DISPATCH_MAX_ATTEMPTS), config.integer(Setting.DISPATCH_BACKOFF_BASE_MS),
        config.integer(Setting.DISPATCH_BACKOFF_MAX_MS), config.integer(Setting.DISPATCH_SEND_TIMEOUT_MS),
        config.integer(Setting.DISPATCH_SEND_BATCH), config.integer(Setting.DISPATCH_FLUSH_MS),
        config.integer(Setting.DISPATCH_SHUTDOWN_GRACE_SECONDS) * 1000L,
        config.integer(Setting.DISPATCH_BREAKER_FAILURES), config.integer(Setting.DISPATCH_BREAKER_RESET_MS),
        config.integer(Setting.DISPATCH_PAUSE_WINDOW), config.integer(Setting.DISPATCH_PAUSE_FAILURE_PERCENT));
    }
  }

  private final DispatchStore store;
  private final Renderer renderer;
  private final Accounts accounts;
  private final Options options;
  private final RelayMetrics metrics;
  private final Backoff backoff;
  private final Map<String, Lane> lanes = new HashMap<>();
  private final Handoff handoff;
  private final Throttle throttle;
  private int admitting;
  private final SuppressionCheck suppressions;
  private OutcomeWriter writer;
  private PauseGuard pauseGuard;
  private boolean claiming;
  private boolean stopping;
  private long claimTimer = -1;
  private long reclaimTimer = -1;
  private long pausedTimer = -1;
  private long paceTimer = -1;
  private int sentThisSecond;
  private Set<Long> paused = Set.of();
  private boolean databaseFailing;
  private long lastTransactionalClaim = System.nanoTime() - TimeUnit.DAYS.toNanos(1);

  /**
   * @param handoff where intake hands this dispatcher the messages it stored leased to it, and the
   *                bound on messages held that claims and handoffs share
   */
  public Dispatcher(DispatchStore store, Renderer renderer, Accounts accounts, Options options, Handoff handoff,
                    Throttle throttle, RelayMetrics metrics, SuppressionStore suppressions,
                    PreferenceStore preferences) {
    this.store = store;
    this.suppressions = new SuppressionCheck(suppressions, preferences);
    this.renderer = renderer;
    this.throttle = throttle;
    this.metrics = metrics;
    this.accounts = accounts;
    this.options = options;
    this.handoff = handoff;
    this.backoff = new Backoff(options.backoffBaseMs(), options.backoffMaxMs());
  }

  @Override
  public Future<?> start() {
    writer = new OutcomeWriter(vertx, store, options.flushMs());
    pauseGuard = new PauseGuard(options.pauseWindow(), options.pauseFailurePercent());
    for (Accounts.Entry account : accounts.all()) {
      CircuitBreaker breaker = CircuitBreaker.create("relay-" + account.name(), vertx, new CircuitBreakerOptions()
        .setMaxFailures(options.breakerFailures())
        .setTimeout(options.sendTimeoutMs())
        .setResetTimeout(options.breakerResetMs())
        .setNotificationAddress(null))
        .openHandler(v -> LOG.warn("circuit of account {} opened", account.name()))
        .closeHandler(v -> LOG.info("circuit of account {} closed", account.name()));
      metrics.circuit(account.name(), breaker::state);
      long leaseMarginMs = Math.min(options.sendTimeoutMs(), options.leaseSeconds() * 500L);
      AccountLimiter limiter = account.limit() == null ? null : throttle.limiter(account.name(), account.limit());
      if (limiter != null) {
        metrics.effectiveRate(account.name(), limiter::effectiveRate);
      }
      lanes.put(account.name(), new Lane(context, account, breaker, options.sendBatch(), leaseMarginMs, metrics,
        (job, result) -> onContext(() -> handle(job, result)),
        job -> complete(job.message(), Outcome.deferred(job.message(), job.channelIndex(), 0,
          "its lease ran out while account " + job.account() + " had no room")),
        limiter, throttle.maxHoldMs(), (job, deferral) -> defer(job.message(), job.channelIndex(), deferral)));
    }
    long reclaimEvery = Math.max(1000, options.leaseSeconds() * 250L);
    reclaimTimer = vertx.setPeriodic(reclaimEvery, id -> store.reclaimExpired(options.claimBatch())
      .onSuccess(n -> {
        if (n > 0) {
          LOG.info("reclaimed {} messages whose lease expired", n);
        }
      })
      .onFailure(this::databaseFailed));
    handoff.open(context, this::takeOver);
    paceTimer = vertx.setPeriodic(1000, id -> {
      handoff.paced(sentThisSecond);
      sentThisSecond = 0;
    });
    pausedTimer = vertx.setPeriodic(PAUSED_REFRESH_MS, id -> store.pausedCampaigns()
      .onSuccess(this::pausedNow)
      .onFailure(this::databaseFailed));
    claimSoon(0);
    return Future.succeededFuture();
  }

  /**
   * Takes note of the campaigns paused now (by the API on any instance, or by this dispatcher), and
   * gives back the messages of those campaigns that it holds but has not handed to a provider yet.
   */
  private void pausedNow(Set<Long> campaigns) {
    paused = campaigns;
    if (campaigns.isEmpty() || stopping) {
      return;
    }
    List<Lane.Job> held = new ArrayList<>();
    lanes.values().forEach(lane -> held.addAll(lane.takeQueued(job -> campaigns.contains(job.message().campaignId()))));
    if (!held.isEmpty()) {
      LOG.info("gave back {} messages of paused campaigns", held.size());
      release(held);
    }
  }

  /** Messages intake stored leased to this process: sent like claimed ones, or released when stopping. */
  private void takeOver(List<Claimed> messages, long leaseDeadline) {
    List<Lane.Job> unsent = new ArrayList<>();
    List<Claimed> sending = new ArrayList<>(messages.size());
    for (Claimed m : messages) {
      if (stopping || paused.contains(m.campaignId())) {
        unsent.add(new Lane.Job(m, m.channelIndex(), null, List.of(), leaseDeadline, null));
      } else {
        sending.add(m);
      }
    }
    release(unsent);
    checkThenRoute(sending, leaseDeadline);
  }

  /**
   * Passes claimed and handed-over messages through the throttle (quiet hours, frequency caps, tenant
   * and campaign rates), then routes those it lets through; the others are deferred or capped.
   */
  private void admit(List<Claimed> messages, long leaseDeadline) {
    if (!throttle.screens() || messages.isEmpty()) {
      messages.forEach(m -> route(m, m.channelIndex(), List.of(), leaseDeadline, null));
      return;
    }
    List<Throttle.Candidate> candidates = new ArrayList<>(messages.size());
    messages.forEach(m -> candidates.add(new Throttle.Candidate(m.id(), m.tenantId(), m.campaignId(), m.recipientId(),
      m.priority() == Priority.TRANSACTIONAL || m.expired(), m.timeZone(), m.deferWhenCapped())));
    admitting += messages.size();
    throttle.admit(candidates).onComplete(ar -> onContext(() -> {
      admitting -= messages.size();
      for (int i = 0; i < messages.size(); i++) {
        Claimed m = messages.get(i);
        Throttle.Decision decision = ar.succeeded() ? ar.result().get(i)
          : new Throttle.Decision(Throttle.Decision.Kind.DEFER, "redis_unavailable", 1000, ar.cause().toString());
        switch (decision.kind()) {
          case SEND -> {
            if (stopping) {
              release(List.of(new Lane.Job(m, m.channelIndex(), null, List.of(), leaseDeadline, null)));
            } else {
              route(m, m.channelIndex(), List.of(), leaseDeadline, null);
            }
          }
          case CAP -> complete(m, Outcome.capped(m, m.channelIndex(), decision.detail()));
          default -> defer(m, m.channelIndex(), decision);
        }
      }
    }));
  }

  /** Puts a message back without a provider call for the throttle's reason; its attempt does not count. */
  private void defer(Claimed m, int channelIndex, Throttle.Decision deferral) {
    metrics.deferred(deferral.reason());
    complete(m, Outcome.deferred(m, channelIndex, deferral.delayMs(), deferral.detail()));
  }

  /** Stops claiming, lets provider calls finish within the grace period, releases the rest, writes every outcome. */
  @Override
  public Future<?> stop() {
    stopping = true;
    handoff.close();
    vertx.cancelTimer(claimTimer);
    vertx.cancelTimer(reclaimTimer);
    vertx.cancelTimer(pausedTimer);
    vertx.cancelTimer(paceTimer);
    List<Lane.Job> unsent = new ArrayList<>();
    lanes.values().forEach(lane -> unsent.addAll(lane.takeQueued()));
    Future<Integer> released = release(unsent);
    Promise<Void> idle = Promise.promise();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.shutdownGraceMs());
    awaitIdle(idle, deadline);
    return Future.join(released, idle.future())
      .compose(v -> writer.drain())
      .onComplete(ar -> LOG.info("dispatcher stopped: {} released, {} still in provider calls", unsent.size(),
        lanes.values().stream().mapToInt(Lane::inFlight).sum()));
  }

  private void awaitIdle(Promise<Void> idle, long deadlineNanos) {
    if (admitting == 0 && lanes.values().stream().allMatch(l -> l.inFlight() == 0) || System.nanoTime() > deadlineNanos) {
      idle.complete();
    } else {
      vertx.setTimer(20, id -> awaitIdle(idle, deadlineNanos));
    }
  }

  private Future<Integer> release(List<Lane.Job> jobs) {
    if (jobs.isEmpty()) {
      return Future.succeededFuture(0);
    }
    Long[] ids = new Long[jobs.size()];
    Integer[] attempts = new Integer[jobs.size()];
    for (int i = 0; i < jobs.size(); i++) {
      ids[i] = jobs.get(i).message().id();
      attempts[i] = jobs.get(i).message().attempt();
    }
    handoff.done(jobs.size());
    return store.release(ids, attempts)
      .onFailure(err -> LOG.warn("releasing {} messages failed; their leases will expire: {}", jobs.size(), err.toString()));
  }

  private void claimSoon(long delayMs) {
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
      databaseFailed(ar.cause());
      claimSoon(options.idlePollMs());
      return;
    }
    if (databaseFailing) {
      databaseFailing = false;
      LOG.info("claiming again: the database answers");
    }
    long leaseDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.leaseSeconds());
    handoff.claimed(ar.result().size());
    if (stopping) {
      // Claimed while shutting down: give them straight back.
      List<Lane.Job> unsent = new ArrayList<>();
      for (DispatchStore.ClaimedRow row : ar.result()) {
        unsent.add(new Lane.Job(toClaimed(row), row.channelIndex(), null, List.of(), leaseDeadline, null));
      }
      release(unsent);
      return;
    }
    List<Claimed> claimed = new ArrayList<>(ar.result().size());
    ar.result().forEach(row -> claimed.add(toClaimed(row)));
    checkThenRoute(claimed, leaseDeadline);
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

  /**
   * The pipeline's first step, one suppression look-up and one topic-preference look-up for the group: suppressed
   * addresses and channels the recipient opted out of the batch's topic on are dropped before routing, and a message
   * with none left ends suppressed or opted out. When either cannot be read, the group is deferred, not sent.
   */
  private void checkThenRoute(List<Claimed> messages, long leaseDeadline) {
    if (messages.isEmpty()) {
      return;
    }
    suppressions.check(messages).onComplete(ar -> onContext(() -> {
      if (ar.failed()) {
        databaseFailed(ar.cause());
        messages.forEach(m -> complete(m, Outcome.deferred(m, m.channelIndex(), options.idlePollMs(),
          "the suppression list or the topic preferences could not be read: " + ar.cause())));
        return;
      }
      List<Claimed> passed = new ArrayList<>(ar.result().size());
      for (SuppressionCheck.Verdict verdict : ar.result()) {
        Claimed m = verdict.message();
        if (verdict.optedOutReason() != null) {
          complete(m, Outcome.optedOut(m, m.channelIndex(), verdict.optedOutReason()));
        } else if (verdict.suppressedReason() != null) {
          complete(m, Outcome.suppressed(m, m.channelIndex(), verdict.suppressedReason()));
        } else {
          passed.add(m);
        }
      }
      // Then the throttle (frequency caps, quiet hours, tenant and campaign rates), then routing.
      admit(passed, leaseDeadline);
    }));
  }

  /**
   * Sends a message on the first channel from {@code from} that it has an address and an account for,
   * through the first account not yet tried whose circuit is not open.
   */
  private void route(Claimed m, int from, List<String> tried, long leaseDeadline, SendResult lastFailure) {
    if (m.expired()) {
      complete(m, Outcome.dead(m, from, null, null, "its time to live passed before it could be sent"));
      return;
    }
    if (m.attempt() > options.maxAttempts()) {
      complete(m, Outcome.dead(m, from, null, null, "attempts exhausted"));
      return;
    }
    int index = m.reachableChannel(from);
    while (index >= 0 && accounts.forChannel(m.channels().get(index)).isEmpty()) {
      index = m.reachableChannel(index + 1);
    }
    if (index < 0) {
      complete(m, Outcome.failed(m, from, null, null, lastFailure != null && lastFailure.isPermanent()
        ? lastFailure.reason() : "no address with a configured account on any remaining channel of "
        + m.channels().stream().map(Channel::wireName).toList()));
      return;
    }
    Channel channel = m.channels().get(index);
    for (Accounts.Entry account : accounts.forChannel(channel)) {
      Lane lane = lanes.get(account.name());
      if (!tried.contains(account.name()) && !lane.isOpen()) {
        Lane.Job job = new Lane.Job(m, index, account.name(), tried, leaseDeadline, null);
        render(m, channel).onComplete(ar -> onContext(() -> rendered(lane, job, ar)));
        return;
      }
    }
    if (lastFailure == null) {
      metrics.deferred("circuit_open");
      complete(m, Outcome.deferred(m, index, options.breakerResetMs(),
        "every " + channel.wireName() + " account's circuit is open"));
    } else {
      retryLater(m, index, channel.wireName(), tried.get(tried.size() - 1), lastFailure.reason(), lastFailure);
    }
  }

  /** The message's content on this channel; a batch stored before templates sends its variables as they are. */
  private Future<JsonObject> render(Claimed m, Channel channel) {
    if (m.templateId() == null || channel == Channel.WEBHOOK) {
      return Future.succeededFuture(m.variables());
    }
    return renderer.render(m.templateId(), channel, m.id(), m.locale(), m.timeZone(), m.variables());
  }

  /** Hands a rendered message to its lane; one that cannot be rendered fails, naming why. */
  private void rendered(Lane lane, Lane.Job job, AsyncResult<JsonObject> result) {
    Claimed m = job.message();
    String channel = m.channels().get(job.channelIndex()).wireName();
    if (result.succeeded()) {
      Lane.Job withContent = new Lane.Job(m, job.channelIndex(), job.account(), job.triedAccounts(),
        job.leaseDeadlineNanos(), result.result());
      if (stopping) {
        release(List.of(withContent));
      } else {
        lane.enqueue(withContent);
      }
    } else if (result.cause() instanceof RenderException) {
      complete(m, Outcome.failed(m, job.channelIndex(), channel, null,
        "template could not be rendered: " + result.cause().getMessage()));
    } else {
      complete(m, Outcome.deferred(m, job.channelIndex(), options.idlePollMs(),
        "template could not be loaded: " + result.cause()));
    }
  }

  private void handle(Lane.Job job, SendResult result) {
    Claimed m = job.message();
    String channel = m.channels().get(job.channelIndex()).wireName();
    String account = job.account();
    switch (result.kind()) {
      case ACCEPTED:
        complete(m, Outcome.sent(m, job.channelIndex(), channel, account, result.providerMessageId(),
          result.details().map(JsonObject::encode).orElse(null)));
        break;
      case PERMANENT:
        int next = m.reachableChannel(job.channelIndex() + 1);
        if (next >= 0) {
          complete(m, Outcome.failover(m, next, channel, account, result.reason()));
        } else {
          complete(m, Outcome.failed(m, job.channelIndex(), channel, account, result.reason()));
        }
        break;
      default:
        List<String> tried = new ArrayList<>(job.triedAccounts());
        tried.add(account);
        route(m, job.channelIndex(), tried, job.leaseDeadlineNanos(), result);
        break;
    }
  }

  private void retryLater(Claimed m, int index, String channel, String account, String reason, SendResult last) {
    if (m.attempt() >= options.maxAttempts()) {
      complete(m, Outcome.dead(m, index, channel, account, "attempts exhausted; last: " + reason));
    } else {
      long delay = backoff.delayMs(m.attempt(), last == null ? java.util.Optional.empty() : last.retryAfter());
      complete(m, Outcome.retry(m, index, channel, account, delay, reason));
    }
  }

  private void complete(Claimed m, Outcome outcome) {
    handoff.done(1);
    if (outcome.state() == MessageState.SENT) {
      sentThisSecond++;
    }
    throttle.completed(m.id(), outcome.state() == MessageState.SENT);
    writer.add(outcome);
    metrics.message(outcome.channel() != null ? outcome.channel() : m.channels().get(outcome.channelIndex()).wireName(),
      outcome.account(), outcome.event());
    boolean terminal = outcome.state() == MessageState.SENT || outcome.state() == MessageState.FAILED;
    if (terminal && pauseGuard.record(m.campaignId(), outcome.state() == MessageState.FAILED)) {
      String reason = "paused by Relay: over " + options.pauseFailurePercent() + "% of the last "
        + options.pauseWindow() + " messages failed permanently";
      store.autoPause(m.campaignId(), reason)
        .onSuccess(rows -> {
          rows.forEach(row -> LOG.warn("campaign '{}' of tenant {} {}", row.getString("name"), row.getLong("tenant_id"),
            reason));
          Set<Long> now = new HashSet<>(paused);
          now.add(m.campaignId());
          pausedNow(now);
        })
        .onFailure(err -> LOG.warn("campaign {} should pause ({}) but could not be paused: {}", m.campaignId(), reason,
          err.toString()));
    }
    claimSoon(0);
  }

  /** Logs a failing database once, not at every poll, until it answers again. */
  private void databaseFailed(Throwable failure) {
    if (!databaseFailing) {
      databaseFailing = true;
      LOG.warn("dispatch cannot reach the database, retrying every {} ms: {}", options.idlePollMs(), failure.toString());
    }
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }
}
