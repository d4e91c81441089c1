package dev.relay.gateway.metrics;

import io.vertx.circuitbreaker.CircuitBreakerState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Relay's own meters, named in this one place (Prometheus names: base units, {@code _total} on counters).
 * Every label value is bounded by the code or by the configuration: an outcome, a channel, a configured
 * account or adapter, an event type; never a campaign, a recipient or a URL. The label combinations
 * that dashboards and alert rules name are registered at zero up front, so that they exist before
 * any traffic. Safe to use from any thread.
 */
public final class RelayMetrics {

  /** {@code relay_intake_messages_total{outcome}}: recipients of stored batches, accepted or rejected. */
  public static final String INTAKE_MESSAGES = "relay.intake.messages";
  /** {@code relay_intake_duration_seconds}: latency of {@code POST /v1/batches}, whatever its answer. */
  public static final String INTAKE_DURATION = "relay.intake.duration";
  /** {@code relay_messages_total{channel,provider,outcome}}: dispatch outcomes; provider is the account. */
  public static final String MESSAGES = "relay.messages";
  /** {@code relay_send_duration_seconds{channel,provider}}: one provider call (a batch of messages). */
  public static final String SEND_DURATION = "relay.send.duration";
  /** {@code relay_queue_depth{state}}: messages waiting (queued, retry) or being sent, from PostgreSQL. */
  public static final String QUEUE_DEPTH = "relay.queue.depth";
  /** {@code relay_queue_lag_seconds}: age of the oldest due message of an active campaign. */
  public static final String QUEUE_LAG = "relay.queue.lag";
  /** {@code relay_throttle_deferred_total{reason}}: messages put back without a provider call. */
  public static final String THROTTLE_DEFERRED = "relay.throttle.deferred";
  /** {@code relay_throttle_effective_rate{account}}: messages per second an account may send; +Inf unlimited. */
  public static final String THROTTLE_EFFECTIVE_RATE = "relay.throttle.effective.rate";
  /** {@code relay_webhook_events_total{adapter,type,verified}}: provider webhook events, and rejected calls. */
  public static final String WEBHOOK_EVENTS = "relay.webhook.events";
  /** {@code relay_tracking_events_total{type,class}}: opens and clicks, human or machine. */
  public static final String TRACKING_EVENTS = "relay.tracking.events";
  /**
   * {@code relay_tracking_remarked_total{type,from,to}}: opens and clicks counted in {@link #TRACKING_EVENTS} under
   * {@code from} and later re-marked {@code to} (a click written human, then found part of a scanner's burst). A
   * counter cannot go down, so the events counter keeps the first class and this one the corrections: human now is
   * {@code events{class="human"} - remarked{from="human"} + remarked{to="human"}}.
   */
  public static final String TRACKING_REMARKED = "relay.tracking.remarked";
  /**
   * {@code relay_experiment_decisions_total{outcome}}: campaign tests ended: winner (by the rule), fallback (the
   * configured variant), split (no winner, keep splitting), forced, cancelled (through the API).
   */
  public static final String EXPERIMENT_DECISIONS = "relay.experiment.decisions";
  /** {@code relay_experiment_released_total}: waiting messages queued after their test ended. */
  public static final String EXPERIMENT_RELEASED = "relay.experiment.released";
  /** The outcomes of {@link #EXPERIMENT_DECISIONS}. */
  public static final List<String> EXPERIMENT_OUTCOMES = List.of("winner", "fallback", "split", "forced", "cancelled");
  /** {@code relay_circuit_state{provider}}: 0 closed, 1 half-open, 2 open, per account. */
  public static final String CIRCUIT_STATE = "relay.circuit.state";
  /** Conversions posted, by result: accepted (stored), replayed (a key seen before) or rejected (nothing stored). */
  public static final String CONVERSIONS = "relay.conversions";
  public static final List<String> CONVERSION_RESULTS = List.of("accepted", "replayed", "rejected");

  /** Dispatch outcomes: the event each state change appends. */
  public static final List<String> OUTCOMES = List.of("sent", "retry", "failover", "deferred", "failed", "dead");
  /** Why a message was put back without a provider call; every reason throttling has or will have. */
  public static final List<String> DEFERRAL_REASONS = List.of("circuit_open", "account_rate", "tenant_rate",
    "campaign_rate", "quiet_hours", "frequency_cap", "redis_unavailable");
  /** States counted in {@link #QUEUE_DEPTH}. */
  public static final List<String> QUEUE_STATES = List.of("queued", "retry", "sending");
  /** The {@code type} of a webhook call whose signature, secret or timestamp did not verify. */
  public static final String WEBHOOK_REJECTED = "rejected";

  /** The label value for a channel or provider a message never reached (e.g. expired before routing). */
  public static final String NONE = "none";

  private static final Duration[] INTAKE_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
  private static final Duration[] SEND_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);

  private final MeterRegistry registry;
  private final Timer intakeDuration;
  private final Map<String, Counter> intake = new ConcurrentHashMap<>();
  private final Map<String, Counter> messages = new ConcurrentHashMap<>();
  private final Map<String, Counter> conversions = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> queueDepth = new ConcurrentHashMap<>();
  private final AtomicLong queueLagMillis = new AtomicLong();
  private final Map<String, AtomicReference<DoubleSupplier>> rates = new ConcurrentHashMap<>();
  private final Map<String, Counter> experimentDecisions = new ConcurrentHashMap<>();
  private final Counter experimentReleased;

  public RelayMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.intakeDuration = Timer.builder(INTAKE_DURATION)
      .description("Latency of POST /v1/batches, from the request to the answer")
      .serviceLevelObjectives(INTAKE_BUCKETS)
      .register(registry);
    for (String outcome : List.of("accepted", "rejected")) {
      intake.put(outcome, Counter.builder(INTAKE_MESSAGES).tag("outcome", outcome)
        .description("Recipients of batch requests: accepted (stored) or rejected one by one")
        .register(registry));
    }
    for (String result : CONVERSION_RESULTS) {
      conversions.put(result, Counter.builder(CONVERSIONS).tag("result", result)
        .description("Conversions posted: accepted (stored and attributed), replayed (same key and body) or rejected")
        .register(registry));
    }
    for (String state : QUEUE_STATES) {
      AtomicLong value = new AtomicLong();
      queueDepth.put(state, value);
      Gauge.builder(QUEUE_DEPTH, value, AtomicLong::get).tag("state", state)
        .description("Messages in the queue by state, counted in PostgreSQL (all instances)")
        .register(registry);
    }
    Gauge.builder(QUEUE_LAG, queueLagMillis, v -> v.get() / 1000.0).baseUnit("seconds")
      .description("How long the oldest due message of an active campaign has waited to be sent")
      .register(registry);
    DEFERRAL_REASONS.forEach(reason -> deferredCounter(reason));
    for (String outcome : EXPERIMENT_OUTCOMES) {
      experimentDecisions.put(outcome, Counter.builder(EXPERIMENT_DECISIONS).tag("outcome", outcome)
        .description("Campaign tests ended, by outcome").register(registry));
    }
    experimentReleased = Counter.builder(EXPERIMENT_RELEASED)
      .description("Messages that waited for their campaign's test and were queued once it ended").register(registry);
    for (String type : List.of("open", "click")) {
      for (String klass : List.of("human", "machine")) {
        trackingCounter(type, klass);
      }
      remarkedCounter(type, "human", "machine");
    }
  }

  /** Counts a campaign test ended with this outcome (one of {@link #EXPERIMENT_OUTCOMES}). */
  public void experimentDecided(String outcome) {
    Counter counter = experimentDecisions.get(outcome);
    if (counter == null) {
      throw new IllegalArgumentException("no experiment outcome '" + outcome + "'");
    }
    counter.increment();
  }

  /** Counts waiting messages queued after their test ended. */
  public void experimentReleased(long messages) {
    experimentReleased.increment(messages);
  }

  /** Counts recipients of a stored batch: {@code accepted} or {@code rejected}. */
  public void intake(String outcome, int messages) {
    Counter counter = intake.get(outcome);
    if (counter == null) {
      throw new IllegalArgumentException("no intake outcome '" + outcome + "'");
    }
    counter.increment(messages);
  }

  /** Counts one posted conversion by its result, one of {@link #CONVERSION_RESULTS}. */
  public void conversion(String result) {
    Counter counter = conversions.get(result);
    if (counter == null) {
      throw new IllegalArgumentException("no conversion result '" + result + "'");
    }
    counter.increment();
  }

  /** Records how long one {@code POST /v1/batches} took. */
  public void intakeDuration(long nanos) {
    intakeDuration.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Registers an account's meters at zero: its outcomes, its send latency and its effective rate. */
  public void account(String channel, String account) {
    OUTCOMES.forEach(outcome -> messageCounter(channel, account, outcome));
    sendTimer(channel, account);
    effectiveRate(account, () -> Double.POSITIVE_INFINITY);
  }

  /** Counts one dispatch outcome (an event of {@link #OUTCOMES}) of a message on a channel and account. */
  public void message(String channel, String account, String outcome) {
    String c = channel == null ? NONE : channel;
    String a = account == null ? NONE : account;
    // Called once per message: a map lookup, rather than building and sorting a meter id each time.
    messages.computeIfAbsent(c + '\n' + a + '\n' + outcome, k -> messageCounter(c, a, outcome)).increment();
  }

  /** Records one provider call of an account. */
  public void sendDuration(String channel, String account, long nanos) {
    sendTimer(channel, account).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Counts a message put back without a provider call, for one of {@link #DEFERRAL_REASONS}. */
  public void deferred(String reason) {
    if (!DEFERRAL_REASONS.contains(reason)) {
      throw new IllegalArgumentException("no deferral reason '" + reason + "'");
    }
    deferredCounter(reason).increment();
  }

  /** Reports an account's effective send rate (messages per second) from now on. */
  public void effectiveRate(String account, DoubleSupplier perSecond) {
    rates.computeIfAbsent(account, name -> {
      AtomicReference<DoubleSupplier> current = new AtomicReference<>();
      Gauge.builder(THROTTLE_EFFECTIVE_RATE, current, c -> c.get().getAsDouble()).tag("account", name)
        .description("Messages per second the account may send now; +Inf when it has no rate limit")
        .register(registry);
      return current;
    }).set(perSecond);
  }

  /** Registers a provider webhook adapter's series at zero. */
  public void webhookAdapter(String adapter, List<String> eventTypes) {
    webhookCounter(adapter, WEBHOOK_REJECTED, false);
    eventTypes.forEach(type -> webhookCounter(adapter, type, true));
  }

  /** Counts a verified webhook event of an adapter, or (with {@link #WEBHOOK_REJECTED}) a rejected call. */
  public void webhook(String adapter, String type, boolean verified) {
    webhookCounter(adapter, type.toLowerCase(Locale.ROOT), verified).increment();
  }

  /** Counts an open or click, {@code human} or {@code machine}. */
  public void tracking(String type, String klass) {
    trackingCounter(type, klass).increment();
  }

  /** Counts an open or click counted {@code from} one class by {@link #tracking} and re-marked {@code to} the other. */
  public void remarked(String type, String from, String to) {
    remarkedCounter(type, from, to).increment();
  }

  /** Reports an account's circuit breaker as 0 closed, 1 half-open, 2 open. */
  public void circuit(String account, Supplier<CircuitBreakerState> state) {
    Gauge.builder(CIRCUIT_STATE, state, s -> s.get() == CircuitBreakerState.OPEN ? 2
        : s.get() == CircuitBreakerState.HALF_OPEN ? 1 : 0).tag("provider", account)
      .description("Circuit breaker of a provider account: 0 closed, 1 half-open, 2 open")
      .strongReference(true)
      .register(registry);
  }

  /** Replaces the queue gauges with a fresh count from PostgreSQL. */
  public void queue(long queued, long retry, long sending, double lagSeconds) {
    queueDepth.get("queued").set(queued);
    queueDepth.get("retry").set(retry);
    queueDepth.get("sending").set(sending);
    queueLagMillis.set(Math.round(lagSeconds * 1000));
  }

  private Counter messageCounter(String channel, String account, String outcome) {
    return Counter.builder(MESSAGES).tags("channel", channel, "provider", account, "outcome", outcome)
      .description("Dispatch outcomes of messages by channel, provider account and outcome")
      .register(registry);
  }

  private Timer sendTimer(String channel, String account) {
    return Timer.builder(SEND_DURATION).tags("channel", channel, "provider", account)
      .description("Latency of one provider call (a batch of messages) by channel and provider account")
      .serviceLevelObjectives(SEND_BUCKETS)
      .register(registry);
  }

  private Counter deferredCounter(String reason) {
    return Counter.builder(THROTTLE_DEFERRED).tag("reason", reason)
      .description("Messages put back without a provider call, by reason")
      .register(registry);
  }

  private Counter webhookCounter(String adapter, String type, boolean verified) {
    return Counter.builder(WEBHOOK_EVENTS).tags("adapter", adapter, "type", type, "verified", Boolean.toString(verified))
      .description("Provider webhook events by adapter and type; verified=false counts calls that failed verification")
      .register(registry);
  }

  private Counter trackingCounter(String type, String klass) {
    return Counter.builder(TRACKING_EVENTS).tags("type", type, "class", klass)
      .description("Opens and clicks recorded by the tracking endpoints, human or machine")
      .register(registry);
  }

  private Counter remarkedCounter(String type, String from, String to) {
    return Counter.builder(TRACKING_REMARKED).tags("type", type, "from", from, "to", to)
      .description("Opens and clicks re-marked from one class to the other after they were counted")
      .register(registry);
  }

  private static Duration[] seconds(double... values) {
    Duration[] durations = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      durations[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
    }
    return durations;
  }
}
