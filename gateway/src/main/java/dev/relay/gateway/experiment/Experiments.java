package dev.relay.gateway.experiment;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.store.ExperimentStore;
import dev.relay.gateway.store.ExperimentStore.Pending;
import dev.relay.gateway.store.ExperimentStore.Stored;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Chooses the winners of campaign tests and releases the recipients that waited for them. On every instance, every
 * {@code experiments.decide-interval-ms}: the tests whose wait has passed are decided (the figures read from the
 * per-variant counters, the {@link WinnerRule} applied, the decision kept by the one instance whose update finds the
 * test still testing), then every ended test's waiting messages are queued in chunks of
 * {@code experiments.release-chunk}, each chunk one transaction that skips what another instance is releasing. A
 * release cut short (a crash, a failing database) is finished by the next pass of any instance.
 */
public final class Experiments {

  private static final Logger LOG = LoggerFactory.getLogger(Experiments.class);
  private static final int DUE_BATCH = 20;

  /** The settings of the decider. */
  public record Options(int minWaitSeconds, long intervalMs, int releaseChunk) {
    public static Options from(RelayConfig config) {
      return new Options(config.integer(Setting.EXPERIMENTS_MIN_WAIT_SECONDS),
        config.integer(Setting.EXPERIMENTS_DECIDE_INTERVAL_MS), config.integer(Setting.EXPERIMENTS_RELEASE_CHUNK));
    }
  }

  private final Vertx vertx;
  private final ExperimentStore store;
  private final Options options;
  private final RelayMetrics metrics;
  private final ConversionCounts conversions;
  /** A pass runs on the timer's context or, after a force or cancel, on the API's: one at a time. */
  private final java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile boolean failing;

  /** @param conversions where the conversions metric is counted (POST /v1/conversions) */
  public Experiments(Vertx vertx, ExperimentStore store, Options options, RelayMetrics metrics,
                     ConversionCounts conversions) {
    this.vertx = vertx;
    this.store = store;
    this.options = options;
    this.metrics = metrics;
    this.conversions = java.util.Objects.requireNonNull(conversions, "conversions");
  }

  public Options options() {
    return options;
  }

  /** The tenant's campaign's test; empty when it has none. */
  public Future<java.util.Optional<Stored>> find(long tenantId, String campaign) {
    return store.find(tenantId, campaign);
  }

  /** Starts passing every interval; the timer's id. */
  public long start() {
    return vertx.setPeriodic(options.intervalMs(), options.intervalMs(), id -> pass());
  }

  /** One pass: decide what is due, release what waits; a pass already running makes this a no-op. */
  public Future<Void> pass() {
    if (!running.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    return store.due(DUE_BATCH)
      .compose(due -> sequentially(due, test -> decide(test).recover(err -> skipped("decided", test, err))))
      .compose(v -> store.releasing())
      .compose(list -> sequentially(list, test -> release(test).recover(err -> skipped("released", test, err))))
      .transform(ar -> {
        running.set(false);
        if (ar.failed()) {
          if (!failing) {
            LOG.warn("experiments not decided or released now; the next pass tries again: {}", ar.cause().toString());
          }
          failing = true;
        } else {
          failing = false;
        }
        return Future.succeededFuture();
      });
  }

  /** One test that fails does not hold up the others; it is tried again by the next pass. */
  private static <T> Future<T> skipped(String what, Pending test, Throwable err) {
    LOG.warn("experiment of campaign {} not {} now; the next pass tries again: {}", test.campaignId(), what,
      err.toString());
    return Future.succeededFuture();
  }

  private static <T> Future<Void> sequentially(List<T> items, java.util.function.Function<T, Future<?>> step) {
    Future<?> chain = Future.succeededFuture();
    for (T item : items) {
      chain = chain.compose(v -> step.apply(item));
    }
    return chain.mapEmpty();
  }

  /** Decides one test whose wait has passed by its rule; the decision is kept only if it was still testing. */
  private Future<Boolean> decide(Pending test) {
    ExperimentConfig config = ExperimentConfig.fromJson(test.config());
    return figures(test.campaignId(), config).compose(figures -> {
      List<WinnerRule.Arm> arms = new ArrayList<>();
      for (String variant : config.variants()) {
        Figures f = figures.getOrDefault(variant, Figures.NONE);
        arms.add(new WinnerRule.Arm(variant, f.sent(), Math.min(f.sent(), f.counted(config.metric()))));
      }
      WinnerRule.Result result = WinnerRule.decide(arms, config.confidence());
      String outcome;
      String winner;
      if (result.winner() != null) {
        outcome = "winner";
        winner = result.winner();
      } else if (ExperimentConfig.SPLIT.equals(config.fallback())) {
        outcome = "split";
        winner = null;
      } else {
        outcome = "fallback";
        winner = config.fallback();
      }
      JsonObject decision = new JsonObject().put("outcome", outcome).put("metric", config.metric().wireName())
        .put("figures", figuresJson(config, figures)).put("rule", result.toJson());
      return end(test.campaignId(), "decided", winner, decision, outcome);
    });
  }

  /**
   * Ends a test now, as the API asks: {@code winner} forced, or cancelled when null (its waiting recipients then get
   * their own stable variants). False when it was not testing any more.
   */
  public Future<Boolean> endNow(Stored test, String winner) {
    ExperimentConfig config = ExperimentConfig.fromJson(test.config());
    String outcome = winner == null ? "cancelled" : "forced";
    return figures(test.campaignId(), config).compose(figures -> end(test.campaignId(),
      winner == null ? "cancelled" : "decided", winner, new JsonObject().put("outcome", outcome)
        .put("metric", config.metric().wireName()).put("figures", figuresJson(config, figures))
        .put("rule", new JsonObject().put("name", outcome.equals("forced") ? "forced through the API"
          : "cancelled through the API")), outcome))
      .onSuccess(ended -> {
        if (ended) {
          // The release starts now rather than at the next pass (when a pass is running, that one or the next).
          vertx.runOnContext(v -> pass());
        }
      });
  }

  private Future<Boolean> end(long campaignId, String status, String winner, JsonObject decision, String outcome) {
    return store.end(campaignId, status, winner, decision).onSuccess(won -> {
      if (won) {
        metrics.experimentDecided(outcome);
        LOG.info("experiment of campaign {} {}: {}", campaignId, outcome, winner == null ? "no single winner" : winner);
      }
    });
  }

  /** Queues the waiting messages of an ended test, chunk by chunk, until none is left. */
  private Future<Void> release(Pending test) {
    String by = test.winner() == null ? test.status() : "winner";
    return store.releaseChunk(test.campaignId(), options.releaseChunk(),
        w -> test.winner() != null ? test.winner() : stableVariant(w.batchVariants(), test.tenantId(), test.campaign(),
          w.recipientId()), by)
      .compose(n -> {
        if (n > 0) {
          metrics.experimentReleased(n);
        }
        return n == options.releaseChunk() ? release(test) : Future.succeededFuture();
      });
  }

  /** The variant a recipient gets from a batch's variants ({@code {"a": {"weight": 1, …}, …}}) by its stable draw. */
  public static String stableVariant(JsonObject batchVariants, long tenantId, String campaign, String recipientId) {
    List<Assignment.Weighted> weighted = new ArrayList<>();
    for (String name : batchVariants.fieldNames()) {
      Object spec = batchVariants.getValue(name);
      double weight = spec instanceof JsonObject ? ((JsonObject) spec).getDouble("weight", 1.0) : 1.0;
      weighted.add(new Assignment.Weighted(name, weight));
    }
    return Assignment.variant(weighted, Assignment.unit(Assignment.VARIANT, tenantId, campaign, recipientId));
  }

  /** One variant's figures: messages sent, and of them those a person clicked, a person opened, anyone opened. */
  public record Figures(long sent, long humanClicks, long humanOpens, long opens, long clicks, Long conversions) {
    static final Figures NONE = new Figures(0, 0, 0, 0, 0, null);

    long counted(ExperimentConfig.Metric metric) {
      switch (metric) {
        case HUMAN_CLICKS:
          return humanClicks;
        case HUMAN_OPENS:
          return humanOpens;
        default:
          return conversions == null ? 0 : conversions;
      }
    }

    JsonObject toJson(ExperimentConfig.Metric metric) {
      long counted = counted(metric);
      return new JsonObject().put("sent", sent).put("human_clicks", humanClicks).put("human_opens", humanOpens)
        .put("clicks", clicks).put("opens", opens).put("conversions", conversions)
        .put("rate", sent == 0 ? null : Math.round(1e6 * Math.min(counted, sent) / sent) / 1e6);
    }
  }

  /** The figures of every variant of a campaign, from its per-variant counters (and conversions). */
  public Future<Map<String, Figures>> figures(long campaignId, ExperimentConfig config) {
    Future<Map<String, Long>> converted = config.metric() == ExperimentConfig.Metric.CONVERSIONS
      ? conversions.convertedByVariant(campaignId) : Future.succeededFuture(null);
    return store.counters(campaignId, List.of("sent", "clicked_human", "opened_human", "opened", "clicked"))
      .compose(counters -> converted.map(conv -> {
        Map<String, Figures> figures = new java.util.TreeMap<>();
        for (String variant : config.variants()) {
          Map<String, Long> c = counters.getOrDefault(variant, Map.of());
          figures.put(variant, new Figures(c.getOrDefault("sent", 0L), c.getOrDefault("clicked_human", 0L),
            c.getOrDefault("opened_human", 0L), c.getOrDefault("opened", 0L), c.getOrDefault("clicked", 0L),
            conv == null ? null : conv.getOrDefault(variant, 0L)));
        }
        return figures;
      }));
  }

  static JsonObject figuresJson(ExperimentConfig config, Map<String, Figures> figures) {
    JsonObject json = new JsonObject();
    figures.forEach((variant, f) -> json.put(variant, f.toJson(config.metric())));
    return json;
  }

  /** What GET /v1/campaigns/{name}/experiment shows: config, status, live figures, the decision and its rule. */
  public Future<JsonObject> view(Stored test) {
    ExperimentConfig config = ExperimentConfig.fromJson(test.config());
    return figures(test.campaignId(), config).compose(figures -> store.waiting(test.campaignId()).map(waiting ->
      new JsonObject()
        .put("campaign", test.campaign())
        .put("status", test.status())
        .put("config", test.config())
        .put("created_at", format(test.createdAt()))
        .put("decide_at", format(test.decideAt()))
        .put("decided_at", format(test.decidedAt()))
        .put("winner", test.winner())
        .put("waiting", waiting)
        .put("variants", figuresJson(config, figures))
        .put("decision", test.decision())
        .put("rule", RULE)));
  }

  private static String format(java.time.OffsetDateTime time) {
    return time == null ? null : dev.relay.gateway.store.MessageStore.format(time);
  }

  /** The rule as shown with every test. */
  static final String RULE = "Two-proportion z-test (pooled) of the variant with the highest rate (metric / messages "
    + "sent) against each other variant, two-sided; the best variant wins when every p-value is below "
    + "(1 - confidence) / (variants - 1) (Bonferroni). Otherwise the fallback: the named variant, or split (each "
    + "remaining recipient gets its own stable variant).";
}
