package dev.relay.gateway.dispatch;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.render.Renderer;
import dev.relay.gateway.store.DispatchStore;
import dev.relay.gateway.store.PreferenceStore;
import dev.relay.gateway.store.SuppressionStore;
import dev.relay.gateway.throttle.Throttle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The dispatcher of one process, a verticle that wires three pieces along a message's way: the {@link ClaimLoop}
 * claims due messages under a lease (and takes over those intake hands it), the {@link SendPipeline} takes each
 * group through its steps to a {@link Decision} per message, and the {@link OutcomeRecorder} records the decisions,
 * fenced by the attempt each message was claimed with. Everything here runs on this verticle's event loop.
 */
public final class Dispatcher extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

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
  private final Handoff handoff;
  private final Throttle throttle;
  private final SuppressionCheck suppressions;
  private ClaimLoop claims;
  private SendPipeline pipeline;
  private OutcomeRecorder recorder;

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
  }

  @Override
  public Future<?> start() {
    DatabaseWatch database = new DatabaseWatch(options.idlePollMs());
    recorder = new OutcomeRecorder(vertx, context, store, handoff, throttle, metrics, options);
    pipeline = new SendPipeline(vertx, context, accounts, renderer, throttle, suppressions, metrics, database, options);
    claims = new ClaimLoop(vertx, context, store, handoff, options, database, pipeline, recorder, this::dispatch);
    claims.start();
    return Future.succeededFuture();
  }

  /** Runs a claimed or handed-over group through the pipeline, recording each message's decision as it comes. */
  private void dispatch(List<Claimed> group, long leaseDeadlineNanos) {
    List<Future<Decision>> decisions = pipeline.run(group, leaseDeadlineNanos);
    for (int i = 0; i < decisions.size(); i++) {
      Claimed m = group.get(i);
      decisions.get(i).onComplete(ar -> {
        if (ar.succeeded()) {
          record(ar.result());
        } else {
          recorder.leaveLeased(m, ar.cause());
        }
      });
    }
  }

  /** Records a decision; an outcome makes room, so the claim loop claims again, and may pause its campaign. */
  private void record(Decision decision) {
    Claimed m = decision.message();
    if (decision.releases()) {
      recorder.release(m);
      return;
    }
    if (recorder.record(m, decision.outcome())) {
      claims.autoPause(m.campaignId());
    }
    claims.claimSoon(0);
  }

  /** Stops claiming, lets provider calls finish within the grace period, releases the rest, writes every outcome. */
  @Override
  public Future<?> stop() {
    claims.stop();
    int unsent = pipeline.stop();
    Future<Integer> released = recorder.flushReleases();
    Promise<Void> idle = Promise.promise();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.shutdownGraceMs());
    awaitIdle(idle, deadline);
    return Future.join(released, idle.future())
      .compose(v -> recorder.drain())
      .onComplete(ar -> LOG.info("dispatcher stopped: {} released, {} still in provider calls", unsent,
        pipeline.inFlight()));
  }

  private void awaitIdle(Promise<Void> idle, long deadlineNanos) {
    if (pipeline.idle() || System.nanoTime() > deadlineNanos) {
      idle.complete();
    } else {
      vertx.setTimer(20, id -> awaitIdle(idle, deadlineNanos));
    }
  }
}
