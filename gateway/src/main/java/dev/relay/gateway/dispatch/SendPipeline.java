package dev.relay.gateway.dispatch;

import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.SendResult;
import dev.relay.gateway.lifecycle.Priority;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.render.RenderException;
import dev.relay.gateway.render.Renderer;
import dev.relay.gateway.throttle.AccountLimiter;
import dev.relay.gateway.throttle.Throttle;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The way of a claimed or handed-over group to its providers, in named steps that return futures. For the group:
 * {@link #checkPreferences} (the suppression list and the topic preferences, one look-up each) and {@link #throttle}
 * (quiet hours, frequency caps, tenant and campaign rates). Then for each message: {@link #route} (the first channel of
 * its fallback list it has an address and an account for, through an account not yet tried whose circuit is not
 * open), {@link #render}, {@link #send} (through the account's lane) and {@link #classify} (sent, failover to the next
 * channel, the next account, retry with backoff, or failed). Each message's future ends with its {@link Decision}.
 * Used from the dispatcher's event loop only.
 */
final class SendPipeline {

  private static final Logger LOG = LoggerFactory.getLogger(SendPipeline.class);

  /** A group step's verdict on one message: go on with {@code message}, or end with {@code decision}. */
  private record Screened(Claimed message, Decision decision) {

    static Screened goOn(Claimed message) {
      return new Screened(message, null);
    }

    static Screened end(Decision decision) {
      return new Screened(decision.message(), decision);
    }
  }

  /** Where a message stands before a route: the channel to start from, the accounts tried, the last failure. */
  private record Attempt(Claimed message, int from, List<String> tried, long leaseDeadlineNanos,
                         SendResult lastFailure) {
  }

  /** A provider's answer for a message sent through a lane. */
  private record Answer(Lane.Job job, SendResult result) {
  }

  /** A step decided a message's end before the last step: carried past the steps left, to the chain's end. */
  private static final class Decided extends RuntimeException {
    private final Decision decision;

    Decided(Decision decision) {
      super(null, null, false, false);
      this.decision = decision;
    }
  }

  private final Context context;
  private final Accounts accounts;
  private final Renderer renderer;
  private final Throttle throttle;
  private final SuppressionCheck suppressions;
  private final RelayMetrics metrics;
  private final DatabaseWatch database;
  private final Dispatcher.Options options;
  private final Backoff backoff;
  private final Map<String, Lane> lanes = new HashMap<>();
  /** The jobs in lanes, and the promise of each one's answer. */
  private final Map<Lane.Job, Promise<SendResult>> waiting = new IdentityHashMap<>();
  private int admitting;
  private boolean stopping;

  SendPipeline(Vertx vertx, Context context, Accounts accounts, Renderer renderer, Throttle throttle,
               SuppressionCheck suppressions, RelayMetrics metrics, DatabaseWatch database,
               Dispatcher.Options options) {
    this.context = context;
    this.accounts = accounts;
    this.renderer = renderer;
    this.throttle = throttle;
    this.suppressions = suppressions;
    this.metrics = metrics;
    this.database = database;
    this.options = options;
    this.backoff = new Backoff(options.backoffBaseMs(), options.backoffMaxMs());
    for (Accounts.Entry account : accounts.all()) {
      lanes.put(account.name(), lane(vertx, account));
    }
  }

  private Lane lane(Vertx vertx, Accounts.Entry account) {
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
    return new Lane(context, account, breaker, options.sendBatch(), leaseMarginMs, metrics,
      (job, result) -> onContext(() -> waiting.remove(job).complete(result)),
      job -> unsent(job, Outcome.deferred(job.message(), job.channelIndex(), 0,
        "its lease ran out while account " + job.account() + " had no room")),
      limiter, throttle.maxHoldMs(),
      (job, deferral) -> unsent(job, deferred(job.message(), job.channelIndex(), deferral)));
  }

  /** Runs a group claimed or handed over together; one future per message, in the group's order. */
  List<Future<Decision>> run(List<Claimed> group, long leaseDeadlineNanos) {
    if (group.isEmpty()) {
      return List.of();
    }
    Future<List<Screened>> screened = checkPreferences(group).compose(this::throttle);
    List<Future<Decision>> decisions = new ArrayList<>(group.size());
    for (int i = 0; i < group.size(); i++) {
      int at = i;
      decisions.add(screened.compose(all -> {
        Screened s = all.get(at);
        return s.decision() != null ? Future.succeededFuture(s.decision())
          : deliver(new Attempt(s.message(), s.message().channelIndex(), List.of(), leaseDeadlineNanos, null));
      }));
    }
    return decisions;
  }

  /**
   * Drops the addresses that are suppressed or whose channel the recipient opted out of the batch's topic on; a message
   * left with none ends opted out or suppressed. When either list cannot be read, the group is deferred, not sent.
   */
  private Future<List<Screened>> checkPreferences(List<Claimed> group) {
    return onContext(suppressions.check(group))
      .map(verdicts -> verdicts.stream().map(SendPipeline::screened).toList())
      .recover(failure -> {
        database.failed(failure);
        return Future.succeededFuture(group.stream().map(m -> Screened.end(Decision.record(m, Outcome.deferred(m,
          m.channelIndex(), options.idlePollMs(), "the suppression list or the topic preferences could not be read: "
            + failure)))).toList());
      });
  }

  private static Screened screened(SuppressionCheck.Verdict verdict) {
    Claimed m = verdict.message();
    if (verdict.optedOutReason() != null) {
      return Screened.end(Decision.record(m, Outcome.optedOut(m, m.channelIndex(), verdict.optedOutReason())));
    } else if (verdict.suppressedReason() != null) {
      return Screened.end(Decision.record(m, Outcome.suppressed(m, m.channelIndex(), verdict.suppressedReason())));
    }
    return Screened.goOn(m);
  }

  /**
   * Passes the messages still going through the throttle in one call: those it lets through go on (or are given back
   * when the dispatcher is stopping), the others end capped or deferred. Redis unreachable defers them all.
   */
  private Future<List<Screened>> throttle(List<Screened> screened) {
    List<Claimed> going = screened.stream().filter(s -> s.decision() == null).map(Screened::message).toList();
    if (!throttle.screens() || going.isEmpty()) {
      return Future.succeededFuture(screened);
    }
    List<Throttle.Candidate> candidates = new ArrayList<>(going.size());
    going.forEach(m -> candidates.add(new Throttle.Candidate(m.id(), m.tenantId(), m.campaignId(), m.recipientId(),
      m.priority() == Priority.TRANSACTIONAL || m.expired(), m.timeZone(), m.deferWhenCapped())));
    admitting += going.size();
    return onContext(throttle.admit(candidates))
      .otherwise(failure -> Collections.nCopies(going.size(),
        new Throttle.Decision(Throttle.Decision.Kind.DEFER, "redis_unavailable", 1000, failure.toString())))
      .map(admitted -> {
        admitting -= going.size();
        List<Screened> next = new ArrayList<>(screened.size());
        int i = 0;
        for (Screened s : screened) {
          next.add(s.decision() != null ? s : admitted(s.message(), admitted.get(i++)));
        }
        return next;
      });
  }

  private Screened admitted(Claimed m, Throttle.Decision decision) {
    return switch (decision.kind()) {
      case SEND -> stopping ? Screened.end(Decision.release(m)) : Screened.goOn(m);
      case CAP -> Screened.end(Decision.record(m, Outcome.capped(m, m.channelIndex(), decision.detail())));
      default -> Screened.end(Decision.record(m, deferred(m, m.channelIndex(), decision)));
    };
  }

  /** Routes, renders, sends and classifies one message; a transient failure comes back here for the next account. */
  private Future<Decision> deliver(Attempt attempt) {
    return route(attempt)
      .compose(this::render)
      .compose(this::send)
      .compose(this::classify)
      .recover(failure -> failure instanceof Decided decided
        ? Future.succeededFuture(decided.decision) : Future.failedFuture(failure));
  }

  /**
   * The first channel from {@code attempt.from()} that the message has an address and an account for, through the
   * first account not yet tried whose circuit is not open.
   */
  private Future<Lane.Job> route(Attempt attempt) {
    Claimed m = attempt.message();
    int from = attempt.from();
    if (m.expired()) {
      return decided(m, Outcome.dead(m, from, null, null, "its time to live passed before it could be sent"));
    }
    if (m.attempt() > options.maxAttempts()) {
      return decided(m, Outcome.dead(m, from, null, null, "attempts exhausted"));
    }
    int index = m.reachableChannel(from);
    while (index >= 0 && accounts.forChannel(m.channels().get(index)).isEmpty()) {
      index = m.reachableChannel(index + 1);
    }
    SendResult lastFailure = attempt.lastFailure();
    if (index < 0) {
      return decided(m, Outcome.failed(m, from, null, null, lastFailure != null && lastFailure.isPermanent()
        ? lastFailure.reason() : "no address with a configured account on any remaining channel of "
        + m.channels().stream().map(Channel::wireName).toList()));
    }
    Channel channel = m.channels().get(index);
    for (Accounts.Entry account : accounts.forChannel(channel)) {
      if (!attempt.tried().contains(account.name()) && !lanes.get(account.name()).isOpen()) {
        return Future.succeededFuture(new Lane.Job(m, index, account.name(), attempt.tried(),
          attempt.leaseDeadlineNanos(), null));
      }
    }
    if (lastFailure == null) {
      metrics.deferred("circuit_open");
      return decided(m, Outcome.deferred(m, index, options.breakerResetMs(),
        "every " + channel.wireName() + " account's circuit is open"));
    }
    List<String> tried = attempt.tried();
    return decided(m, retryLater(m, index, channel.wireName(), tried.get(tried.size() - 1), lastFailure));
  }

  /**
   * The message's content on its channel; a batch stored before templates sends its variables as they are. One that
   * cannot be rendered fails, naming why; a template that cannot be loaded defers it.
   */
  private Future<Lane.Job> render(Lane.Job job) {
    Claimed m = job.message();
    Channel channel = m.channels().get(job.channelIndex());
    Future<JsonObject> content = m.templateId() == null || channel == Channel.WEBHOOK
      ? Future.succeededFuture(m.variables())
      : onContext(renderer.render(m.templateId(), channel, m.id(), m.locale(), m.timeZone(), m.variables()));
    return content.compose(
      rendered -> Future.succeededFuture(new Lane.Job(m, job.channelIndex(), job.account(), job.triedAccounts(),
        job.leaseDeadlineNanos(), rendered)),
      failure -> failure instanceof RenderException
        ? decided(m, Outcome.failed(m, job.channelIndex(), channel.wireName(), null,
          "template could not be rendered: " + failure.getMessage()))
        : decided(m, Outcome.deferred(m, job.channelIndex(), options.idlePollMs(),
          "template could not be loaded: " + failure)));
  }

  /**
   * Queues the message on its account's lane; the future ends with the provider's answer. A message the lane gives
   * back unsent (its lease running out, the account's rate limit) ends deferred; one taken back ends released.
   */
  private Future<Answer> send(Lane.Job job) {
    if (stopping) {
      return Future.failedFuture(new Decided(Decision.release(job.message())));
    }
    Promise<SendResult> answer = Promise.promise();
    waiting.put(job, answer);
    lanes.get(job.account()).enqueue(job);
    return answer.future().map(result -> new Answer(job, result));
  }

  /**
   * Accepted: sent. Permanent: failover to the next channel the message has an address for, or failed. Transient:
   * the next account of the channel, or, when none is left, a retry with backoff.
   */
  private Future<Decision> classify(Answer answer) {
    Lane.Job job = answer.job();
    SendResult result = answer.result();
    Claimed m = job.message();
    String channel = m.channels().get(job.channelIndex()).wireName();
    String account = job.account();
    switch (result.kind()) {
      case ACCEPTED:
        return Future.succeededFuture(Decision.record(m, Outcome.sent(m, job.channelIndex(), channel, account,
          result.providerMessageId(), result.details().map(JsonObject::encode).orElse(null))));
      case PERMANENT:
        int next = m.reachableChannel(job.channelIndex() + 1);
        return Future.succeededFuture(Decision.record(m, next >= 0
          ? Outcome.failover(m, next, channel, account, result.reason())
          : Outcome.failed(m, job.channelIndex(), channel, account, result.reason())));
      default:
        List<String> tried = new ArrayList<>(job.triedAccounts());
        tried.add(account);
        return deliver(new Attempt(m, job.channelIndex(), tried, job.leaseDeadlineNanos(), result));
    }
  }

  /** A retry after the backoff, or dead when the message has had its last attempt. */
  private Outcome retryLater(Claimed m, int index, String channel, String account, SendResult last) {
    if (m.attempt() >= options.maxAttempts()) {
      return Outcome.dead(m, index, channel, account, "attempts exhausted; last: " + last.reason());
    }
    long delay = backoff.delayMs(m.attempt(), last.retryAfter());
    return Outcome.retry(m, index, channel, account, delay, last.reason());
  }

  /** Puts a message back without a provider call for the throttle's reason; its attempt does not count. */
  private Outcome deferred(Claimed m, int channelIndex, Throttle.Decision deferral) {
    metrics.deferred(deferral.reason());
    return Outcome.deferred(m, channelIndex, deferral.delayMs(), deferral.detail());
  }

  private void unsent(Lane.Job job, Outcome outcome) {
    waiting.remove(job).fail(new Decided(Decision.record(job.message(), outcome)));
  }

  /** Takes back the messages queued in lanes, not handed to a provider yet, that match; they end released. */
  int takeBack(Predicate<Claimed> which) {
    List<Lane.Job> taken = new ArrayList<>();
    lanes.values().forEach(lane -> taken.addAll(lane.takeQueued(job -> which.test(job.message()))));
    taken.forEach(job -> waiting.remove(job).fail(new Decided(Decision.release(job.message()))));
    return taken.size();
  }

  /** Sends nothing more: takes back every message queued in lanes; how many. */
  int stop() {
    stopping = true;
    return takeBack(m -> true);
  }

  /** Messages in provider calls now. */
  int inFlight() {
    return lanes.values().stream().mapToInt(Lane::inFlight).sum();
  }

  /** Whether no message is with the throttle or in a provider call. */
  boolean idle() {
    return admitting == 0 && lanes.values().stream().allMatch(l -> l.inFlight() == 0);
  }

  private static <T> Future<T> decided(Claimed m, Outcome outcome) {
    return Future.failedFuture(new Decided(Decision.record(m, outcome)));
  }

  /** The future's result on the dispatcher's context: the throttle, renderer and stores may answer elsewhere. */
  private <T> Future<T> onContext(Future<T> future) {
    Promise<T> promise = Promise.promise();
    future.onComplete(ar -> onContext(() -> promise.handle(ar)));
    return promise.future();
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }
}
