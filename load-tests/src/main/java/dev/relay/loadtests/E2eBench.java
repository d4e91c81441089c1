package dev.relay.loadtests;

import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.adapters.testkit.SandboxServer.Receipt;
import dev.relay.gateway.render.CompiledTemplate;
import dev.relay.gateway.render.TemplateCompiler;
import dev.relay.gateway.render.TemplateDefinition;
import dev.relay.gateway.render.Tracking;
import dev.relay.gateway.track.TrackingTokens;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.HdrHistogram.Histogram;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The end-to-end measurement and its bare-client baseline, as {@code relay-bench e2e} runs them and
 * {@code relay-bench report} reuses them: post the messages to the gateway (or to several gateways on
 * one database, the clients spread over them) and wait until the sink has every one; then read them back,
 * render them as the dispatcher does, check them against what the sink received, and send them again
 * from a bare Vert.x HTTP client to the emptied sink.
 */
final class E2eBench {

  /** The project's goal: end to end through the gateway at least half of the bare client. */
  static final double GOAL_RATIO = 0.5;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final long HIGHEST_LATENCY_US = TimeUnit.HOURS.toMicros(2);

  /** The measurement's parameters (the {@code e2e} command's options of the same names). */
  record Settings(int messages, int batchSize, int clients, int sendBatch, int baselineConcurrency, int timeoutSeconds,
                  int warmupMessages) {
  }

  private final Settings settings;
  private final GatewayOptions gateway;
  private final Progress progress;

  E2eBench(Settings settings, GatewayOptions gateway, Progress progress) {
    this.settings = settings;
    this.gateway = gateway;
    this.progress = progress;
  }

  Settings settings() {
    return settings;
  }

  /** The gateway's environment: the config file with the sink's account, dispatch on, no queue bound. */
  Map<String, String> gatewayEnvironment(String database, Path config) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("RELAY_CONFIG", config.toAbsolutePath().toString());
    env.put("RELAY_INTAKE_MAX_QUEUE_DEPTH", "100000000");
    env.put("RELAY_DISPATCH_ENABLED", "true");
    // The bare client's request size is the gateway's: both send groups of --send-batch messages.
    env.put("RELAY_DISPATCH_SEND_BATCH", Integer.toString(settings.sendBatch()));
    env.put("RELAY_SANDBOX_PORT", "0");
    env.put("RELAY_TRACKING_KEYS", E2eCommand.TRACKING_KEYS);
    env.put("RELAY_HTTP_PUBLIC_BASE_URL", E2eCommand.PUBLIC_BASE_URL);
    return gateway.environment(database, env);
  }

  static void awaitReady(Vertx vertx, GatewayProcess child) {
    WebClient probe = WebClient.create(vertx);
    try {
      child.awaitReady(vertx, probe, READY_TIMEOUT).await();
    } finally {
      probe.close();
    }
  }

  /** An unmeasured pass: its size, time, and whether all of it arrived. */
  record Warmup(long messages, double seconds, long errors, boolean complete) {
  }

  /**
   * The gateway phase: the POSTs, the arrivals, what the sink holds, and where the CPU went (all the
   * gateways' CPU as {@code gateway}); {@code gateways} is how many instances shared the work.
   */
  record GatewayRun(int gateways, Warmup warm, IntakeLoad.Phase posted, Arrivals.Outcome arrival, long firstBatch,
                    Instant[] postStarts, List<Receipt> receipts, JsonObject cpu, BenchDatabase.WalPosition writes) {

    /** The first POST's start: the phase's origin (when nothing was posted, the moment it gave up). */
    Instant firstPost() {
      return postStarts[0] == null ? arrival.endedAt() : postStarts[0];
    }

    /** The moment the last POST was answered. */
    Instant postsEnd() {
      return firstPost().plusNanos(posted.endNanos - posted.startNanos);
    }

    /**
     * The delivery latency of every message that arrived by {@code cutoff} (its first arrival), how many
     * did, how many of them by {@code postsEnd}, how many in each second from {@code start}, and the time
     * of the last first arrival.
     */
    Deliveries deliveries(int batchSize, Instant start, Instant postsEnd, Instant cutoff) {
      Histogram latency = new Histogram(HIGHEST_LATENCY_US, 3);
      Set<String> seen = new HashSet<>();
      List<Long> perSecond = new ArrayList<>();
      Instant last = null;
      long unmatched = 0;
      long whilePosting = 0;
      for (Receipt r : receipts) {
        if (r.receivedAt().isAfter(cutoff) || !seen.add(r.idempotencyKey())) {
          continue;
        }
        if (!r.receivedAt().isAfter(postsEnd)) {
          whilePosting++;
        }
        int second = (int) Math.max(0, Duration.between(start, r.receivedAt()).toSeconds());
        while (perSecond.size() <= second) {
          perSecond.add(0L);
        }
        perSecond.set(second, perSecond.get(second) + 1);
        long micros = deliveryMicros(batchSize, r);
        if (micros < 0) {
          unmatched++;
          continue;
        }
        latency.recordValue(Math.min(HIGHEST_LATENCY_US, Math.max(1, micros)));
        if (last == null || r.receivedAt().isAfter(last)) {
          last = r.receivedAt();
        }
      }
      return new Deliveries(latency, seen.size(), whilePosting, perSecond, last, unmatched);
    }

    /** The time from the start of the POST of a receipt's batch to the receipt; -1 for a message of no batch of the phase. */
    long deliveryMicros(int batchSize, Receipt r) {
      long index = Recipients.indexOf(r.recipientId());
      long batch = index < 0 ? -1 : index / batchSize - firstBatch;
      if (batch < 0 || batch >= postStarts.length || postStarts[(int) batch] == null) {
        return -1;
      }
      return Duration.between(postStarts[(int) batch], r.receivedAt()).toNanos() / 1_000;
    }
  }

  /**
   * {@code delivered}: distinct messages that arrived; {@code whilePosting}: those that arrived before the
   * last POST was answered; {@code perSecond}: arrivals in each second since the first POST;
   * {@code unmatched}: those of no batch of the phase.
   */
  record Deliveries(Histogram latencyMicros, long delivered, long whilePosting, List<Long> perSecond,
                    Instant lastArrival, long unmatched) {
  }

  /**
   * What is known once the gateways stopped: their exit codes, the sink's final counts, the messages' states,
   * and PostgreSQL's WAL position (null when it could not be read).
   */
  record AfterGateway(List<Integer> exitCodes, long duplicates, long received, JsonObject states,
                      BenchDatabase.WalPosition writes) {
  }

  /** The bare client's run, and the check that it sent what the gateway sent. */
  record BaselineRun(SinkBaseline.Result result, long unique, long duplicates, JsonObject cpu,
                     Warmup warm, JsonObject checks, List<Double> passRates) {

    BaselineRun withPasses(List<Double> rates) {
      return new BaselineRun(result, unique, duplicates, cpu, warm, checks, List.copyOf(rates));
    }
  }

  /** Timed passes of the bare client; the median is its figure. */
  static final int BASELINE_PASSES = 5;

  /** The longest the bare client warms up, whatever the gateway's warm-up took. */
  static final int BASELINE_WARMUP_MAX_SECONDS = 30;

  /**
   * Optionally warms the whole path up; then posts the measured batches (all made beforehand, numbers from
   * {@code nextBatch}) from the closed-loop clients, spread over the {@code children}, and waits until the
   * sink has every message, the timeout passes or a gateway dies.
   */
  GatewayRun measureGateway(Vertx vertx, SandboxServer sink, List<GatewayProcess> children, String apiKey,
                            BenchSession session, Recipients recipients, AtomicLong nextBatch) {
    int batchSize = settings.batchSize();
    int messages = settings.messages();
    int warmupMessages = settings.warmupMessages();
    int timeoutSeconds = settings.timeoutSeconds();
    List<Integer> ports = children.stream().map(GatewayProcess::port).toList();
    BooleanSupplier alive = () -> children.stream().allMatch(GatewayProcess::isAlive);
    try (IntakeLoad load = new IntakeLoad(vertx, ports, apiKey, settings.clients(), false, alive)) {
      Warmup warm = null;
      if (warmupMessages > 0) {
        progress.say("warm-up: %d messages end to end, not measured", warmupMessages);
        sink.reset();
        Supplier<IntakeLoad.Batch> pool = IntakeLoad.pregenerated(recipients, nextBatch, warmupMessages / batchSize);
        long start = System.nanoTime();
        Arrivals arrivals = Arrivals.watch(vertx, sink, warmupMessages, start + TimeUnit.SECONDS.toNanos(timeoutSeconds),
          alive, progress);
        IntakeLoad.Phase posted = load.run(pool, Duration.ofSeconds(timeoutSeconds)).await();
        arrivals.expect(Math.min(warmupMessages, posted.recipientsAccepted));
        Arrivals.Outcome arrival = arrivals.outcome().await();
        int duplicates = sink.duplicateCount();
        warm = new Warmup(warmupMessages, (System.nanoTime() - start) / 1e9, posted.errors,
          arrival.complete() && posted.errors == 0 && arrival.unique() == warmupMessages && duplicates == 0);
        progress.say("warm-up: %d of %d arrived in %.1f s, %d POST errors", arrival.unique(), warmupMessages,
          warm.seconds(), posted.errors);
        if (!warm.complete()) {
          throw new IllegalStateException("the warm-up did not deliver every message exactly once ("
            + (arrival.reason() != null ? arrival.reason()
            : posted.errors > 0 ? posted.errors + " POST errors" : duplicates + " duplicates at the sink") + "); see "
            + String.join(", ", children.stream().map(c -> c.log().toString()).toList()));
        }
      }

      int batches = messages / batchSize;
      long firstBatch = nextBatch.get();
      progress.say("pre-generating %d batches of %d recipients", batches, batchSize);
      Supplier<IntakeLoad.Batch> pool = IntakeLoad.pregenerated(recipients, nextBatch, batches);
      Instant[] postStarts = new Instant[batches];
      Supplier<IntakeLoad.Batch> timed = () -> {
        IntakeLoad.Batch batch = pool.get();
        if (batch != null) {
          postStarts[(int) (batch.number() - firstBatch)] = Instant.now();
        }
        return batch;
      };
      session.checkpoint(progress);
      sink.reset();
      progress.say("measuring: %d messages in batches of %d from %d clients%s, until all are at the sink (timeout %d s)",
        messages, batchSize, settings.clients(), children.size() > 1 ? " over " + children.size() + " gateways" : "",
        timeoutSeconds);
      BenchDatabase.WalPosition writes = walPosition(session);
      CpuUsage cpu = new CpuUsage(children.stream().mapToLong(GatewayProcess::pid).toArray());
      CpuUsage.Snapshot before = cpu.snapshot();
      Arrivals arrivals = Arrivals.watch(vertx, sink, messages, System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds),
        alive, progress);
      var posts = load.run(timed, Duration.ofSeconds(timeoutSeconds))
        .onSuccess(p -> {
          progress.say("all POSTs answered: %d requests, %d recipients accepted, %d errors in %.2f s",
            p.requests, p.recipientsAccepted, p.errors, p.elapsedSeconds());
          arrivals.expect(Math.min(messages, p.recipientsAccepted));
        });
      Arrivals.Outcome arrival = arrivals.outcome().await();
      CpuUsage.Snapshot after = cpu.snapshot();
      progress.say("%s: %d of %d messages at the sink", arrival.complete() ? "done" : "stopped", arrival.unique(),
        messages);
      IntakeLoad.Phase posted = posts.await();
      JsonObject split = CpuUsage.between(before, after, Runtime.getRuntime().availableProcessors());
      return new GatewayRun(children.size(), warm, posted, arrival, firstBatch, postStarts, sink.receipts(), split,
        writes);
    }
  }

  /** PostgreSQL's WAL position now; null, and said on the progress lines, when it cannot be read. */
  private BenchDatabase.WalPosition walPosition(BenchSession session) {
    try {
      return session.pg().walPosition();
    } catch (SQLException e) {
      progress.say("PostgreSQL's WAL position not read (%s); the result has no postgresql_writes", e.getMessage());
      return null;
    }
  }

  /**
   * Stops the gateways (SIGTERM: each finishes its calls and writes its outcomes), then reads the sink's
   * final counts, PostgreSQL's WAL position (the phase's outcomes all written) and the messages' states.
   */
  AfterGateway stop(List<GatewayProcess> children, SandboxServer sink, BenchSession session) throws SQLException {
    List<Integer> exitCodes = new ArrayList<>();
    for (GatewayProcess child : children) {
      int exitCode = child.stop();
      exitCodes.add(exitCode);
      if (children.size() == 1) {
        progress.say("stopped the gateway (exit code %d)", exitCode);
      } else {
        progress.say("stopped the gateway (pid %d, exit code %d)", child.pid(), exitCode);
      }
    }
    BenchDatabase.WalPosition writes = walPosition(session);
    return new AfterGateway(exitCodes, sink.duplicateCount(), sink.receivedCount(),
      session.pg().messageStates(session.database()), writes);
  }

  /**
   * Reads the messages back as the dispatcher read them (id, address, locale, variables, template),
   * renders each with the gateway's renderer and tracking key (before the clock starts), builds the
   * sandbox protocol's message for each as the adapter does, checks them against what the sink received
   * from the gateway, empties the sink and sends them again from the bare client.
   */
  BaselineRun measureBaseline(Vertx vertx, SandboxServer sink, BenchSession session, GatewayRun run)
    throws Exception {
    int batchSize = settings.batchSize();
    long firstMeasured = run.firstBatch() * batchSize;
    List<JsonObject> warmMessages = new ArrayList<>();
    List<JsonObject> timedMessages = new ArrayList<>();
    BaselineRenderer renderer = new BaselineRenderer();
    for (BenchDatabase.StoredMessage m : session.pg().storedMessages(session.database())) {
      long index = Recipients.indexOf(m.recipientId());
      (index < firstMeasured ? warmMessages : timedMessages).add(sandboxMessage(m, renderer.render(m)));
    }
    JsonObject checks = comparePayloads(timedMessages, run.receipts());
    List<List<JsonObject>> requests = groups(timedMessages);
    try (SinkBaseline client = new SinkBaseline(vertx, sink.url(), settings.baselineConcurrency())) {
      Warmup warm = null;
      if (!warmMessages.isEmpty()) {
        warm = warmUp(client, sink, groups(warmMessages), requests, run.warm() == null ? 0 : run.warm().seconds());
      }
      progress.say("baseline: %d messages to the sink from a bare HTTP client, %d requests of up to %d, %d in flight, "
        + "%d passes", timedMessages.size(), requests.size(), settings.sendBatch(), settings.baselineConcurrency(),
        BASELINE_PASSES);
      List<BaselineRun> passes = new ArrayList<>();
      for (int pass = 1; pass <= BASELINE_PASSES; pass++) {
        sink.reset();
        CpuUsage cpu = new CpuUsage(-1);
        CpuUsage.Snapshot before = cpu.snapshot();
        SinkBaseline.Result result = client.run(requests).await();
        JsonObject split = CpuUsage.between(before, cpu.snapshot(), Runtime.getRuntime().availableProcessors());
        BaselineRun done = new BaselineRun(result, sink.uniqueCount(), sink.duplicateCount(), split, warm, checks,
          List.of());
        progress.say("baseline pass %d: %d messages in %.2f s (%.1f messages/s), %d errors", pass, result.messages,
          result.seconds(), baselineRate(done), result.errors);
        passes.add(done);
      }
      return median(passes);
    }
  }

  /**
   * Warms the bare client up for as long as the gateway's warm-up took, within
   * {@value #BASELINE_WARMUP_MAX_SECONDS} s: the warm-up messages once, then untimed passes of the
   * measured ones. With only the warm-up messages (a few seconds against the gateway's ten or more), its
   * passes still sped up as they went (25,000 messages/s in the first three, 55,000 and 44,000 in the
   * last two), so the median pass measured a client still warming up.
   */
  private Warmup warmUp(SinkBaseline client, SandboxServer sink, List<List<JsonObject>> warmRequests,
                        List<List<JsonObject>> requests, double gatewayWarmupSeconds) {
    double target = Math.min(gatewayWarmupSeconds, BASELINE_WARMUP_MAX_SECONDS);
    long messages = 0;
    long errors = 0;
    boolean complete = true;
    double seconds = 0;
    List<List<JsonObject>> next = warmRequests;
    do {
      sink.reset();
      long expected = next.stream().mapToLong(List::size).sum();
      SinkBaseline.Result w = client.run(next).await();
      messages += w.messages;
      errors += w.errors;
      complete &= w.errors == 0 && w.accepted == expected;
      seconds += w.seconds();
      next = requests;
    } while (seconds < target);
    progress.say("baseline warm-up: %d messages in %.2f s (the gateway's took %.1f s), %d errors", messages, seconds,
      gatewayWarmupSeconds, errors);
    return new Warmup(messages, seconds, errors, complete);
  }

  /**
   * The pass the baseline reports: the first one that went wrong (errors, a lost or a duplicated message),
   * so that the run fails on it; otherwise the median pass by rate. A pass lasts a second or two, and
   * on a shared machine one pass's rate moved by 2.5 times, so one pass was not a baseline to divide by.
   */
  static BaselineRun median(List<BaselineRun> passes) {
    List<Double> rates = passes.stream().map(E2eBench::baselineRate).toList();
    for (BaselineRun pass : passes) {
      if (pass.result().errors > 0 || pass.duplicates() > 0 || pass.unique() != pass.result().messages) {
        return pass.withPasses(rates);
      }
    }
    List<BaselineRun> sorted = new ArrayList<>(passes);
    sorted.sort(java.util.Comparator.comparingDouble(E2eBench::baselineRate));
    return sorted.get(sorted.size() / 2).withPasses(rates);
  }

  /** Renders stored messages as the dispatcher does, each template version and locale compiled once. */
  private static final class BaselineRenderer {
    private final Tracking tracking = new Tracking(E2eCommand.PUBLIC_BASE_URL,
      TrackingTokens.fromSetting(E2eCommand.TRACKING_KEYS));
    private final Map<String, CompiledTemplate> compiled = new HashMap<>();

    JsonObject render(BenchDatabase.StoredMessage m) {
      CompiledTemplate template = compiled.computeIfAbsent(m.templateId() + "|" + m.locale(),
        k -> {
          TemplateDefinition definition =
            TemplateDefinition.parse(new JsonObject(m.definition()));
          return TemplateCompiler.compile(m.templateId(), definition,
            definition.variantFor(m.locale()));
        });
      return template.render(Channel.EMAIL, m.id(), m.locale(), m.timeZone(),
        new JsonObject(m.variables()), tracking);
    }
  }

  /** The message as the sandbox adapter encodes it for its first attempt. */
  private static JsonObject sandboxMessage(BenchDatabase.StoredMessage m, JsonObject content) {
    return new JsonObject()
      .put("idempotency_key", "relay-" + m.id())
      .put("attempt", 1)
      .put("channel", E2eCommand.CHANNEL)
      .put("to", m.email())
      .put("tenant", Recipients.TENANT)
      .put("campaign", Recipients.CAMPAIGN)
      .put("recipient_id", m.recipientId())
      .put("locale", m.locale())
      .put("content", content);
  }

  private List<List<JsonObject>> groups(List<JsonObject> all) {
    int sendBatch = settings.sendBatch();
    List<List<JsonObject>> groups = new ArrayList<>();
    for (int i = 0; i < all.size(); i += sendBatch) {
      groups.add(all.subList(i, Math.min(all.size(), i + sendBatch)));
    }
    return groups;
  }

  /**
   * Whether the bare client sends what the gateway sent: every message the sink received from the
   * gateway (first arrival per key) has the same key, attempt, channel, address, tenant, campaign,
   * recipient, locale and content as the baseline's message with that key.
   */
  private static JsonObject comparePayloads(List<JsonObject> baseline, List<Receipt> receipts) {
    Map<String, JsonObject> byKey = new HashMap<>();
    baseline.forEach(m -> byKey.put(m.getString("idempotency_key"), m));
    Set<String> seen = new HashSet<>();
    long compared = 0;
    long different = 0;
    String sample = null;
    for (Receipt r : receipts) {
      if (!seen.add(r.idempotencyKey())) {
        continue;
      }
      compared++;
      JsonObject m = byKey.get(r.idempotencyKey());
      boolean same = m != null
        && m.getInteger("attempt") == r.attempt()
        && Objects.equals(m.getString("channel"), r.channel())
        && Objects.equals(m.getString("to"), r.address())
        && Objects.equals(m.getString("tenant"), r.tenant())
        && Objects.equals(m.getString("campaign"), r.campaign())
        && Objects.equals(m.getString("recipient_id"), r.recipientId())
        && Objects.equals(m.getString("locale"), r.locale())
        && Objects.equals(m.getJsonObject("content"), r.content());
      if (!same) {
        different++;
        if (sample == null) {
          sample = r.idempotencyKey() + ": gateway sent " + r + ", baseline has " + m;
        }
      }
    }
    return new JsonObject()
      .put("baseline_messages", baseline.size())
      .put("payloads_compared", compared)
      .put("payloads_different", different)
      .put("payloads_identical", compared > 0 && different == 0)
      .put("difference_sample", sample);
  }


  /** Not every message arrived, a POST failed or had a rejected recipient, or the sink received a duplicate. */
  boolean gatewayFailed(GatewayRun run, AfterGateway after) {
    return !run.arrival().complete() || run.posted().errors > 0 || run.posted().recipientsRejected > 0
      || run.posted().abortReason != null || after.duplicates() > 0;
  }

  /** The gateway phase failed, or the bare client erred, missed a message or sent other messages than the gateway. */
  boolean failed(GatewayRun run, AfterGateway after, BaselineRun baseline) {
    return gatewayFailed(run, after)
      || baseline.result().errors > 0 || baseline.unique() != settings.messages() || baseline.duplicates() > 0
      || !baseline.checks().getBoolean("payloads_identical");
  }

  /** Messages per second of the gateway phase, unrounded: those that arrived over the time until the last did. */
  double gatewayRate(GatewayRun run) {
    return timing(run).rate();
  }

  /** When the phase ended, and what arrived by then. */
  private record Timing(Instant firstPost, Instant postsEnd, Instant end, double seconds, long delivered,
                        Deliveries deliveries) {
    double rate() {
      return Reports.perSecond(delivered, seconds);
    }
  }

  private Timing timing(GatewayRun run) {
    Arrivals.Outcome arrival = run.arrival();
    // Complete: timed to the last first arrival. Not: to the moment the phase gave up, counting what had arrived by then.
    Instant firstPost = run.firstPost();
    Instant postsEnd = run.postsEnd();
    Deliveries deliveries = run.deliveries(settings.batchSize(), firstPost, postsEnd, arrival.endedAt());
    Instant end = arrival.complete() && deliveries.lastArrival() != null ? deliveries.lastArrival() : arrival.endedAt();
    double seconds = Duration.between(firstPost, end).toNanos() / 1e9;
    long delivered = Math.min(deliveries.delivered(), settings.messages());
    return new Timing(firstPost, postsEnd, end, seconds, delivered, deliveries);
  }

  /** The gateway phase as the {@code gateway} section of the e2e result. */
  JsonObject gatewayJson(GatewayRun run, AfterGateway after) {
    IntakeLoad.Phase posted = run.posted();
    Arrivals.Outcome arrival = run.arrival();
    Timing t = timing(run);
    Deliveries deliveries = t.deliveries();
    double seconds = t.seconds();
    long delivered = t.delivered();
    double postSeconds = posted.elapsedSeconds();
    double afterSeconds = Math.max(0, seconds - postSeconds);
    long afterDelivered = delivered - deliveries.whilePosting();
    Histogram postLatency = posted.latencyMicros;
    JsonObject gatewayReport = new JsonObject()
      .put("seconds", Reports.round(seconds, 3))
      .put("messages", (long) settings.messages())
      .put("delivered", delivered)
      .put("messages_per_second", Reports.round(t.rate(), 1))
      .put("complete", arrival.complete())
      .put("aborted", arrival.complete() ? posted.abortReason : arrival.reason())
      .put("duplicates", after.duplicates())
      .put("received_with_duplicates", after.received())
      .put("posts", new JsonObject()
        .put("requests", posted.requests)
        .put("seconds", Reports.round(postSeconds, 3))
        .put("recipients_accepted", posted.recipientsAccepted)
        .put("recipients_per_second", Reports.round(Reports.perSecond(posted.recipientsAccepted, postSeconds), 1))
        .put("recipients_rejected", posted.recipientsRejected)
        .put("errors", posted.errors)
        .put("errors_by_kind", new JsonObject(new LinkedHashMap<>(posted.errorsByKind)))
        .put("error_samples", new JsonArray(new ArrayList<>(posted.errorSamples)))
        .put("latency_ms", new JsonObject()
          .put("p50", Reports.millis(postLatency.getValueAtPercentile(50)))
          .put("p99", Reports.millis(postLatency.getValueAtPercentile(99)))
          .put("max", Reports.millis(postLatency.getMaxValue()))))
      .put("while_posting", new JsonObject()
        .put("seconds", Reports.round(Math.min(postSeconds, seconds), 3))
        .put("delivered", deliveries.whilePosting())
        .put("messages_per_second", Reports.round(Reports.perSecond(deliveries.whilePosting(), Math.min(postSeconds, seconds)), 1)))
      .put("after_posting", new JsonObject()
        .put("seconds", Reports.round(afterSeconds, 3))
        .put("delivered", afterDelivered)
        .put("messages_per_second", Reports.round(Reports.perSecond(afterDelivered, afterSeconds), 1)))
      .put("arrivals_per_second", new JsonArray(new ArrayList<>(deliveries.perSecond())))
      .put("delivery_latency_ms", new JsonObject()
        .put("p50", Reports.millis(deliveries.latencyMicros().getValueAtPercentile(50)))
        .put("p99", Reports.millis(deliveries.latencyMicros().getValueAtPercentile(99)))
        .put("max", Reports.millis(deliveries.latencyMicros().getMaxValue()))
        .put("mean", Reports.round(deliveries.latencyMicros().getMean() / 1000.0, 2))
        .put("unmatched_receipts", deliveries.unmatched()))
      .put("cpu_cores", run.cpu())
      .put("message_states", after.states());
    if (run.writes() != null && after.writes() != null) {
      gatewayReport.put("postgresql_writes", run.writes().perRow(after.writes(), delivered));
    }
    if (after.exitCodes().size() == 1) {
      gatewayReport.put("gateway_exit_code", after.exitCodes().get(0));
    } else {
      gatewayReport.put("gateway_exit_codes", new JsonArray(new ArrayList<>(after.exitCodes())));
    }
    if (run.warm() != null) {
      gatewayReport.put("warmup", warmJson(run.warm()));
    }
    return gatewayReport;
  }

  /**
   * The gateway phase over time, from the first POST to the last arrival: messages arriving at the sink
   * ({@code arrivals_per_second}, first arrivals only) and recipients accepted by the POSTs answered
   * ({@code recipients_accepted_per_second}) per second of each interval; the p50/p99 of the POSTs
   * answered ({@code post}) and of the delivery latency of the messages arriving ({@code delivery}) in it.
   */
  JsonObject gatewaySeries(GatewayRun run) {
    Timing t = timing(run);
    TimeSeries series = TimeSeries.over(Duration.between(t.firstPost(), t.end()).toNanos())
      .rate("arrivals_per_second").rate("recipients_accepted_per_second").latency("post").latency("delivery");
    Set<String> seen = new HashSet<>();
    for (Receipt r : run.receipts()) {
      if (r.receivedAt().isAfter(t.end()) || !seen.add(r.idempotencyKey())) {
        continue;
      }
      long at = Duration.between(t.firstPost(), r.receivedAt()).toNanos();
      series.count("arrivals_per_second", at, 1);
      long micros = run.deliveryMicros(settings.batchSize(), r);
      if (micros >= 0) {
        series.sample("delivery", at, Math.max(1, micros));
      }
    }
    series.add(run.posted().completions, run.posted().startNanos, "recipients_accepted_per_second", "post");
    return series.toJson();
  }

  /** The bare client's phase over time: messages answered {@code accepted} per second, request p50/p99. */
  static JsonObject baselineSeries(BaselineRun baseline) {
    SinkBaseline.Result b = baseline.result();
    TimeSeries series = TimeSeries.over(b.endNanos - b.startNanos).rate("messages_accepted_per_second").latency("request");
    series.add(b.completions, b.startNanos, "messages_accepted_per_second", "request");
    return series.toJson();
  }

  /** Messages per second of the bare client, unrounded. */
  static double baselineRate(BaselineRun baseline) {
    return Reports.perSecond(baseline.unique(), baseline.result().seconds());
  }

  /** The bare client's phase as the {@code baseline} section of the e2e result. */
  JsonObject baselineJson(BaselineRun baseline) {
    SinkBaseline.Result b = baseline.result();
    JsonObject baselineReport = new JsonObject()
      .put("seconds", Reports.round(b.seconds(), 3))
      .put("messages", b.messages)
      .put("delivered", baseline.unique())
      .put("messages_per_second", Reports.round(baselineRate(baseline), 1))
      .put("passes_messages_per_second", new JsonArray(baseline.passRates().stream()
        .map(rate -> (Object) Reports.round(rate, 1)).toList()))
      .put("requests", b.requests)
      .put("send_batch", settings.sendBatch())
      .put("concurrency", settings.baselineConcurrency())
      .put("duplicates", baseline.duplicates())
      .put("errors", b.errors)
      .put("error_samples", new JsonArray(new ArrayList<>(b.errorSamples)))
      .put("latency_ms", new JsonObject()
        .put("p50", Reports.millis(b.latencyMicros.getValueAtPercentile(50)))
        .put("p99", Reports.millis(b.latencyMicros.getValueAtPercentile(99)))
        .put("max", Reports.millis(b.latencyMicros.getMaxValue())))
      .put("cpu_cores", baseline.cpu());
    if (baseline.warm() != null) {
      baselineReport.put("warmup", warmJson(baseline.warm()));
    }
    return baselineReport;
  }

  /** The whole result of {@code relay-bench e2e}. */
  JsonObject report(BenchSession session, boolean keepDb, Path config, Map<String, String> env, GatewayRun run,
                    AfterGateway after, BaselineRun baseline) {
    double gatewayRate = gatewayRate(run);
    double baselineRate = baselineRate(baseline);
    double ratio = baselineRate > 0 ? gatewayRate / baselineRate : 0;
    return new JsonObject()
      .put("benchmark", "e2e")
      .put("started_at", session.startedAt().toString())
      .put("machine", session.machine())
      .put("parameters", gateway.describe(new JsonObject()
          .put("messages", settings.messages())
          .put("batch_size", settings.batchSize())
          .put("clients", settings.clients())
          .put("send_batch", settings.sendBatch())
          .put("gateway_send_batch", Integer.parseInt(env.getOrDefault("RELAY_DISPATCH_SEND_BATCH", "50")))
          .put("baseline_concurrency", settings.baselineConcurrency())
          .put("timeout_seconds", settings.timeoutSeconds())
          .put("warmup_messages", settings.warmupMessages()))
        .put("database", session.database())
        .put("database_kept", keepDb))
      .put("gateway", gatewayJson(run, after))
      .put("baseline", baselineJson(baseline))
      .put("ratio", Reports.round(ratio, 4))
      .put("goal_ratio", GOAL_RATIO)
      .put("goal_met", ratio >= GOAL_RATIO)
      .put("checks", baseline.checks())
      .put("gateway_config", config.toAbsolutePath().toString())
      .put("gateway_log", session.gatewayLog().toString());
  }

  private static JsonObject warmJson(Warmup warm) {
    return new JsonObject()
      .put("messages", warm.messages())
      .put("seconds", Reports.round(warm.seconds(), 2))
      .put("errors", warm.errors())
      .put("complete", warm.complete());
  }
}
