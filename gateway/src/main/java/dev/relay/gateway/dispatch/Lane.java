package dev.relay.gateway.dispatch;

import dev.relay.gateway.lifecycle.Priority;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.SendResult;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.throttle.AccountLimiter;
import dev.relay.gateway.throttle.Throttle;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The way to one provider account: a queue of messages routed to it (transactional ones ahead of marketing
 * ones, each kind in the order routed), at most {@code maxInFlight} of
 * them in provider calls at once, the account's circuit breaker, and its rate limit when it has one
 * (cells reserved in Redis for all the messages it can send at once; those not granted wait in the
 * queue for as long as {@code maxHoldMs} of sending, the rest are deferred). Used from the
 * dispatcher's event loop only.
 */
final class Lane {

  /** A message routed to this lane, with its content rendered for the lane's channel. */
  record Job(Claimed message, int channelIndex, String account, List<String> triedAccounts, long leaseDeadlineNanos,
             JsonObject content) {
  }

  /** Most reservations a rate-limited lane has Redis working on at once. */
  private static final int MAX_RESERVING = 2;

  private final Accounts.Entry account;
  private final CircuitBreaker breaker;
  private final int sendBatch;
  private final long leaseMarginNanos;
  private final BiConsumer<Job, SendResult> onResult;
  private final Consumer<Job> onLeaseRunningOut;
  private final JobQueue queue = new JobQueue();
  private final Context context;
  private final RelayMetrics metrics;
  private final AccountLimiter limiter;
  private final long maxHoldMs;
  private final BiConsumer<Job, Throttle.Decision> onDeferred;
  private int inFlight;
  private boolean drainScheduled;
  /** Reservations asked of Redis and not answered yet, and the cells they ask for. */
  private int reserving;
  private int reservingCells;
  private long waitTimer = -1;

  /**
   * @param limiter    the account's rate limit, or null when it has none
   * @param onDeferred takes a message the rate limit (or an unreachable Redis) puts back in the queue
   */
  Lane(Context context, Accounts.Entry account, CircuitBreaker breaker, int sendBatch, long leaseMarginMs,
       RelayMetrics metrics, BiConsumer<Job, SendResult> onResult, Consumer<Job> onLeaseRunningOut,
       AccountLimiter limiter, long maxHoldMs, BiConsumer<Job, Throttle.Decision> onDeferred) {
    this.limiter = limiter;
    this.maxHoldMs = maxHoldMs;
    this.onDeferred = onDeferred;
    this.context = context;
    this.metrics = metrics;
    this.account = account;
    this.breaker = breaker;
    this.sendBatch = sendBatch;
    this.leaseMarginNanos = leaseMarginMs * 1_000_000L;
    this.onResult = onResult;
    this.onLeaseRunningOut = onLeaseRunningOut;
  }

  String name() {
    return account.name();
  }

  boolean isOpen() {
    return breaker.state() == CircuitBreakerState.OPEN;
  }

  int inFlight() {
    return inFlight;
  }

  /**
   * Queues a message; the lane sends at the end of the current event-loop turn, so that the messages
   * routed together (a claim's worth) go out in full batches rather than one call each.
   */
  void enqueue(Job job) {
    queue.add(job);
    if (!drainScheduled) {
      drainScheduled = true;
      context.runOnContext(v -> {
        drainScheduled = false;
        drain();
      });
    }
  }

  /** Takes back every job not yet handed to the provider (for release at shutdown). */
  List<Job> takeQueued() {
    return takeQueued(job -> true);
  }

  /** Takes back the jobs not yet handed to the provider that match (e.g. of a campaign just paused). */
  List<Job> takeQueued(Predicate<Job> which) {
    List<Job> taken = new ArrayList<>();
    queue.removeIf(job -> {
      if (which.test(job)) {
        taken.add(job);
        return true;
      }
      return false;
    });
    return taken;
  }

  /** Sends full batches while there is room for one (or for what is left in the queue). */
  private void drain() {
    if (limiter != null) {
      drainLimited();
      return;
    }
    while (!queue.isEmpty()) {
      int n = Math.min(Math.min(sendBatch, account.maxInFlight()), queue.size());
      if (account.maxInFlight() - inFlight < n) {
        return;
      }
      List<Job> jobs = new ArrayList<>(n);
      long now = System.nanoTime();
      while (jobs.size() < n && !queue.isEmpty()) {
        Job job = queue.poll();
        if (job.leaseDeadlineNanos() - leaseMarginNanos < now) {
          // Its lease could run out during the call, and another instance would send it again.
          onLeaseRunningOut.accept(job);
        } else {
          jobs.add(job);
        }
      }
      if (!jobs.isEmpty()) {
        send(jobs);
      }
    }
  }

  /**
   * Reserves cells for every message there is room to send now, in one round trip; sends those
   * granted, keeps in the queue what the account can send within {@code maxHoldMs} and defers the rest
   * to when its turn is likely to come. Asks again when enough cells are free to be worth it.
   */
  private void drainLimited() {
    // At most a burst's worth in provider calls at once: calls that stall between the reservation and
    // the provider (a cold connection, a pause) and then arrive together can then add no more than the
    // burst the limit allows anyway.
    int cap = Math.min(account.maxInFlight(), Math.max(1, limiter.limit().burst()));
    int room = cap - inFlight - reservingCells;
    int unreserved = queue.size() - reservingCells;
    int wanted = Math.min(room, unreserved);
    // Up to MAX_RESERVING reservations at once, so that a provider call that ends while Redis answers
    // another lane's worth is followed by the next one without waiting a round trip.
    if (reserving >= MAX_RESERVING || waitTimer >= 0 || wanted <= 0 || (room < Math.min(sendBatch, cap)
      && wanted < unreserved)) {
      return;
    }
    reserving++;
    reservingCells += wanted;
    limiter.reserve(wanted).onComplete(ar -> {
      reserving--;
      reservingCells -= wanted;
      if (ar.failed()) {
        List<Job> waiting = takeQueued();
        Throttle.Decision deferral = new Throttle.Decision(Throttle.Decision.Kind.DEFER, "redis_unavailable",
          2000, "Redis cannot be reached: account " + name() + "'s rate limit cannot be checked");
        waiting.forEach(job -> onDeferred.accept(job, deferral));
        return;
      }
      AccountLimiter.Reservation granted = ar.result();
      long now = System.nanoTime();
      List<Job> batch = new ArrayList<>(sendBatch);
      for (int i = 0; i < granted.granted() && !queue.isEmpty(); i++) {
        Job job = queue.poll();
        if (job.leaseDeadlineNanos() - leaseMarginNanos < now) {
          onLeaseRunningOut.accept(job);
          continue;
        }
        batch.add(job);
        if (batch.size() == sendBatch) {
          send(batch);
          batch = new ArrayList<>(sendBatch);
        }
      }
      if (!batch.isEmpty()) {
        send(batch);
      }
      if (queue.isEmpty()) {
        return;
      }
      if (granted.granted() >= wanted) {
        drain();
        return;
      }
      int hold = limiter.holdable(maxHoldMs);
      int position = 0;
      List<Job> kept = new ArrayList<>(Math.min(hold, queue.size()));
      while (!queue.isEmpty()) {
        Job job = queue.poll();
        if (kept.size() < hold) {
          kept.add(job);
        } else {
          onDeferred.accept(job, new Throttle.Decision(Throttle.Decision.Kind.DEFER, "account_rate",
            limiter.delayFor(kept.size() + position++, granted.retryInMs()),
            "account " + name() + "'s rate limit (" + limiter.effectiveRate() + "/s now)"));
        }
      }
      queue.addAll(kept);
      if (waitTimer < 0) {
        waitTimer = context.owner().setTimer(Math.max(1, granted.retryInMs()), id -> {
          waitTimer = -1;
          drain();
        });
      }
    });
  }

  private void send(List<Job> jobs) {
    inFlight += jobs.size();
    List<OutboundMessage> messages = new ArrayList<>(jobs.size());
    for (Job job : jobs) {
      Claimed m = job.message();
      String channel = m.channels().get(job.channelIndex()).wireName();
      messages.add(new OutboundMessage(m.id(), "relay-" + m.id(), m.attempt(), m.tenant(), m.campaign(),
        m.recipientId(), m.addresses().getString(channel), m.locale(), job.content()));
    }
    long started = System.nanoTime();
    Future<List<SendResult>> call = breaker.execute(() -> account.account().send(messages)
      .compose(results -> {
        if (results.size() != messages.size()) {
          return Future.failedFuture(new IllegalStateException(name() + " answered " + results.size()
            + " results for " + messages.size() + " messages"));
        }
        // A call whose every message failed transiently counts against the circuit, not one of mixed results.
        return results.stream().allMatch(SendResult::isTransient)
          ? Future.failedFuture(new ProviderFailure(results))
          : Future.succeededFuture(results);
      }));
    call.onComplete(ar -> {
      metrics.sendDuration(account.channel().wireName(), name(), System.nanoTime() - started);
      inFlight -= jobs.size();
      List<SendResult> results;
      if (ar.succeeded()) {
        results = ar.result();
      } else if (ar.cause() instanceof ProviderFailure) {
        results = ((ProviderFailure) ar.cause()).results;
      } else {
        String reason = name() + ": " + (ar.cause().getMessage() == null ? ar.cause().toString() : ar.cause().getMessage());
        results = Collections.nCopies(jobs.size(), SendResult.retryable(reason, null));
      }
      if (limiter != null) {
        results.stream().filter(SendResult::isThrottled).findFirst()
          .ifPresent(throttled -> limiter.throttled(throttled.retryAfter()));
      }
      for (int i = 0; i < jobs.size(); i++) {
        onResult.accept(jobs.get(i), results.get(i));
      }
      drain();
    });
  }

  /** Carries the results of a call that failed as a whole, so that none of them is lost. */
  private static final class ProviderFailure extends RuntimeException {
    private final List<SendResult> results;

    ProviderFailure(List<SendResult> results) {
      super(results.get(0).reason(), null, false, false);
      this.results = results;
    }
  }

  /**
   * A lane's queue: transactional messages go out before every marketing message routed earlier (a password reset is
   * not sent after a campaign's backlog); each kind keeps its order.
   */
  private static final class JobQueue {

    private final ArrayDeque<Job> transactional = new ArrayDeque<>();
    private final ArrayDeque<Job> marketing = new ArrayDeque<>();

    void add(Job job) {
      (job.message().priority() == Priority.TRANSACTIONAL ? transactional : marketing).add(job);
    }

    void addAll(List<Job> jobs) {
      jobs.forEach(this::add);
    }

    Job poll() {
      Job job = transactional.poll();
      return job != null ? job : marketing.poll();
    }

    boolean isEmpty() {
      return transactional.isEmpty() && marketing.isEmpty();
    }

    int size() {
      return transactional.size() + marketing.size();
    }

    void removeIf(Predicate<Job> which) {
      transactional.removeIf(which);
      marketing.removeIf(which);
    }
  }
}
