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
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code relay-bench e2e}: messages per second end to end, from the first {@code POST /v1/batches} to
 * the moment the sink (the sandbox provider, run in this JVM) has received every message, against the
 * messages per second a bare Vert.x HTTP client reaches sending the same messages to the same sink,
 * both in one run.
 *
 * <p>The steps: start the sink; create the database {@code relay_bench_<timestamp>} and an API key;
 * write a config file with one {@code sandbox-email} account pointing at the sink and start the gateway
 * with it (dispatch on); post the messages from closed-loop clients and wait until all have arrived;
 * stop the gateway; read the sent messages back from the database and send them again, straight to the
 * emptied sink, from the bare client; report and drop the database.
 */
@Command(name = "e2e", mixinStandardHelpOptions = true, sortOptions = false,
  description = {
    "Measures delivery end to end (messages/s from the first POST /v1/batches until the sink has received every "
      + "message, through PostgreSQL, the dispatcher and the sandbox-email adapter) against a bare Vert.x HTTP "
      + "client sending the same messages to the same sink, in one run. Run it from the repository root."})
final class E2eCommand implements Callable<Integer> {

  /** The project's goal: end to end through the gateway at least half of the bare client. */
  static final double GOAL_RATIO = 0.5;
  /** The one account of the gateway's config file, and its adapter. */
  static final String ACCOUNT = "sandbox-email";
  static final String CHANNEL = "email";
  /** The gateway's tracking key and public URL, so that the baseline renders the very same links. */
  static final String TRACKING_KEYS = "e2e:" + Base64.getEncoder().encodeToString(
    "relay e2e benchmark tracking key".getBytes(StandardCharsets.UTF_8));
  static final String PUBLIC_BASE_URL = "http://127.0.0.1:8080";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final long HIGHEST_LATENCY_US = TimeUnit.HOURS.toMicros(2);
  private static final int MAX_MESSAGES = 1_000_000;

  @Spec
  CommandSpec spec;

  @Option(names = "--messages", defaultValue = "50000",
    description = "Messages sent through the gateway, and then by the bare client; a multiple of --batch-size "
      + "(default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--batch-size", defaultValue = "1000",
    description = "Recipients per POST /v1/batches (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--clients", defaultValue = "4",
    description = "Concurrent clients posting batches, each with one request in flight (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--send-batch", defaultValue = "50",
    description = "Messages per request to the sink: the bare client's, and the gateway's dispatch.send-batch "
      + "(RELAY_DISPATCH_SEND_BATCH) (default: ${DEFAULT-VALUE}).")
  int sendBatch;

  @Option(names = "--baseline-concurrency", defaultValue = "4",
    description = "Requests the bare client keeps in flight (default: ${DEFAULT-VALUE}).")
  int baselineConcurrency;

  @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
    description = "Longest the gateway phase may take from its first POST; after it, what arrived is reported "
      + "and the run fails (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = "--warmup-messages", defaultValue = "0",
    description = "Messages sent end to end (and by the bare client) before the measured phases, not measured; "
      + "a multiple of --batch-size; 0 for none (default: ${DEFAULT-VALUE}).")
  int warmupMessages;

  @Mixin
  GatewayOptions gateway;

  @Option(names = "--keep-db", description = "Keep the benchmark database instead of dropping it at the end.")
  boolean keepDb;

  @Option(names = "--out", defaultValue = "load-tests/results/e2e.json", paramLabel = "FILE",
    description = "JSON result; the gateway's log and config file go next to it as <name>-gateway.log and "
      + "<name>-gateway.yaml (default: ${DEFAULT-VALUE}).")
  Path out;

  private final Progress progress = new Progress();

  @Override
  public Integer call() throws Exception {
    validate();
    try (BenchSession session = BenchSession.open(out, gateway.database(), keepDb)) {
      Vertx vertx = Vertx.vertx();
      SandboxServer sink = null;
      GatewayProcess child = null;
      try {
        sink = SandboxServer.start(vertx, "127.0.0.1", 0).await();
        progress.say("sink (the sandbox provider) listening at %s", sink.url());
        Path config = session.sibling("-gateway.yaml");
        writeConfig(config, sink.url());
        Map<String, String> env = gatewayEnvironment(session.database(), config);
        Path gatewayLog = session.gatewayLog();
        progress.say("creating database %s and an API key with %s", session.database(), gateway.jar);
        String apiKey = GatewayProcess.createApiKey(gateway.jar, env, gatewayLog, Recipients.TENANT);
        child = GatewayProcess.start(gateway.jar, gateway.jvmArgs, env, gatewayLog);
        progress.say("started the gateway (pid %d) on 127.0.0.1:%d, config %s, log %s", child.pid(), child.port(),
          config, gatewayLog);
        awaitReady(vertx, child);

        GatewayRun run = measureGateway(vertx, sink, child, apiKey, session);
        int exitCode = child.stop();
        progress.say("stopped the gateway (exit code %d)", exitCode);
        AfterGateway after = new AfterGateway(exitCode, sink.duplicateCount(), sink.receivedCount(),
          session.pg().messageStates(session.database()));
        BaselineRun baseline = measureBaseline(vertx, sink, session, run);

        JsonObject result = report(session, config, env, run, after, baseline);
        Files.writeString(out, result.encodePrettily() + "\n", StandardCharsets.UTF_8);
        System.out.print(summary(result));
        System.out.println("Result written to " + out);
        return failed(run, after, baseline) ? 1 : 0;
      } finally {
        if (child != null) {
          child.close();
        }
        if (sink != null) {
          sink.close().await();
        }
        vertx.close().await();
      }
    }
  }

  private void validate() {
    if (batchSize < 1 || batchSize > 10_000) {
      throw new ParameterException(spec.commandLine(), "--batch-size must be 1 to 10000 (the gateway's default limit)");
    }
    if (messages < batchSize || messages > MAX_MESSAGES || messages % batchSize != 0) {
      throw new ParameterException(spec.commandLine(),
        "--messages must be a multiple of --batch-size from --batch-size to " + MAX_MESSAGES);
    }
    if (warmupMessages < 0 || warmupMessages > MAX_MESSAGES || warmupMessages % batchSize != 0) {
      throw new ParameterException(spec.commandLine(),
        "--warmup-messages must be 0 or a multiple of --batch-size up to " + MAX_MESSAGES);
    }
    if (clients < 1 || clients > 256 || baselineConcurrency < 1 || baselineConcurrency > 256) {
      throw new ParameterException(spec.commandLine(), "--clients and --baseline-concurrency must be 1 to 256");
    }
    if (sendBatch < 1 || sendBatch > 10_000) {
      throw new ParameterException(spec.commandLine(), "--send-batch must be 1 to 10000");
    }
    if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
      throw new ParameterException(spec.commandLine(), "--timeout must be 1 to 3600 seconds");
    }
    gateway.requireJar();
  }

  /** One account, {@code sandbox-email}, sending to the sink. */
  static void writeConfig(Path config, String sinkUrl) throws java.io.IOException {
    Files.writeString(config, String.join("\n",
      "# Written by relay-bench e2e: the gateway sends email to the benchmark's sink.",
      "accounts:",
      "  - name: " + ACCOUNT,
      "    adapter: " + ACCOUNT,
      "    settings:",
      "      url: \"" + sinkUrl + "\"",
      ""), StandardCharsets.UTF_8);
  }

  private Map<String, String> gatewayEnvironment(String database, Path config) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("RELAY_CONFIG", config.toAbsolutePath().toString());
    settings.put("RELAY_INTAKE_MAX_QUEUE_DEPTH", "100000000");
    settings.put("RELAY_DISPATCH_ENABLED", "true");
    // The bare client's request size is the gateway's: both send groups of --send-batch messages.
    settings.put("RELAY_DISPATCH_SEND_BATCH", Integer.toString(sendBatch));
    settings.put("RELAY_SANDBOX_PORT", "0");
    settings.put("RELAY_TRACKING_KEYS", TRACKING_KEYS);
    settings.put("RELAY_HTTP_PUBLIC_BASE_URL", PUBLIC_BASE_URL);
    return gateway.environment(database, settings);
  }

  private static void awaitReady(Vertx vertx, GatewayProcess child) {
    WebClient probe = WebClient.create(vertx);
    try {
      child.awaitReady(vertx, probe, READY_TIMEOUT).await();
    } finally {
      probe.close();
    }
  }

  /** An unmeasured pass: its size, time, and whether all of it arrived. */
  private record Warmup(long messages, double seconds, long errors, boolean complete) {
  }

  /** The gateway phase: the POSTs, the arrivals, what the sink holds, and where the CPU went. */
  private record GatewayRun(Warmup warm, IntakeLoad.Phase posted, Arrivals.Outcome arrival, long firstBatch,
                            Instant[] postStarts, List<Receipt> receipts, JsonObject cpu) {

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
        long index = Recipients.indexOf(r.recipientId());
        long batch = index < 0 ? -1 : index / batchSize - firstBatch;
        if (batch < 0 || batch >= postStarts.length || postStarts[(int) batch] == null) {
          unmatched++;
          continue;
        }
        long micros = Duration.between(postStarts[(int) batch], r.receivedAt()).toNanos() / 1_000;
        latency.recordValue(Math.min(HIGHEST_LATENCY_US, Math.max(1, micros)));
        if (last == null || r.receivedAt().isAfter(last)) {
          last = r.receivedAt();
        }
      }
      return new Deliveries(latency, seen.size(), whilePosting, perSecond, last, unmatched);
    }
  }

  /**
   * {@code delivered}: distinct messages that arrived; {@code whilePosting}: those that arrived before the
   * last POST was answered; {@code perSecond}: arrivals in each second since the first POST;
   * {@code unmatched}: those of no batch of the phase.
   */
  private record Deliveries(Histogram latencyMicros, long delivered, long whilePosting, List<Long> perSecond,
                            Instant lastArrival, long unmatched) {
  }

  /** What is known once the gateway stopped: its exit code, the sink's final counts, the messages' states. */
  private record AfterGateway(int exitCode, long duplicates, long received, JsonObject states) {
  }

  /** The bare client's run, and the check that it sent what the gateway sent. */
  private record BaselineRun(SinkBaseline.Result result, long unique, long duplicates, JsonObject cpu,
                             Warmup warm, JsonObject checks) {
  }

  /**
   * Optionally warms the whole path up; then posts the measured batches (all made beforehand) from the
   * closed-loop clients and waits until the sink has every message, the timeout passes or the gateway dies.
   */
  private GatewayRun measureGateway(Vertx vertx, SandboxServer sink, GatewayProcess child, String apiKey,
                                    BenchSession session) {
    Recipients recipients = new Recipients(batchSize);
    AtomicLong nextBatch = new AtomicLong();
    try (IntakeLoad load = new IntakeLoad(vertx, child.port(), apiKey, clients, false, child::isAlive)) {
      Warmup warm = null;
      if (warmupMessages > 0) {
        progress.say("warm-up: %d messages end to end, not measured", warmupMessages);
        Supplier<IntakeLoad.Batch> pool = IntakeLoad.pregenerated(recipients, nextBatch, warmupMessages / batchSize);
        long start = System.nanoTime();
        Arrivals arrivals = Arrivals.watch(vertx, sink, warmupMessages, start + TimeUnit.SECONDS.toNanos(timeoutSeconds),
          child::isAlive, progress);
        IntakeLoad.Phase posted = load.run(pool, Duration.ofSeconds(timeoutSeconds)).await();
        arrivals.expect(Math.min(warmupMessages, posted.recipientsAccepted));
        Arrivals.Outcome arrival = arrivals.outcome().await();
        warm = new Warmup(warmupMessages, (System.nanoTime() - start) / 1e9, posted.errors,
          arrival.complete() && posted.errors == 0 && arrival.unique() == warmupMessages);
        progress.say("warm-up: %d of %d arrived in %.1f s, %d POST errors", arrival.unique(), warmupMessages,
          warm.seconds(), posted.errors);
        if (!warm.complete()) {
          throw new IllegalStateException("the warm-up did not deliver every message ("
            + (arrival.reason() == null ? posted.errors + " POST errors" : arrival.reason()) + "); see "
            + session.gatewayLog());
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
      progress.say("measuring: %d messages in batches of %d from %d clients, until all are at the sink (timeout %d s)",
        messages, batchSize, clients, timeoutSeconds);
      CpuUsage cpu = new CpuUsage(child.pid());
      CpuUsage.Snapshot before = cpu.snapshot();
      Arrivals arrivals = Arrivals.watch(vertx, sink, messages, System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds),
        child::isAlive, progress);
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
      return new GatewayRun(warm, posted, arrival, firstBatch, postStarts, sink.receipts(), split);
    }
  }

  /**
   * Reads the messages back as the dispatcher read them (id, address, locale, variables, template),
   * renders each with the gateway's renderer and tracking key (before the clock starts), builds the
   * sandbox protocol's message for each as the adapter does, checks them against what the sink received
   * from the gateway, empties the sink and sends them again from the bare client.
   */
  private BaselineRun measureBaseline(Vertx vertx, SandboxServer sink, BenchSession session, GatewayRun run)
    throws Exception {
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
    try (SinkBaseline client = new SinkBaseline(vertx, sink.url(), baselineConcurrency)) {
      Warmup warm = null;
      if (!warmMessages.isEmpty()) {
        sink.reset();
        SinkBaseline.Result w = client.run(groups(warmMessages)).await();
        warm = new Warmup(warmMessages.size(), w.seconds(), w.errors, w.errors == 0 && w.accepted == warmMessages.size());
        progress.say("baseline warm-up: %d messages in %.2f s, %d errors", w.messages, w.seconds(), w.errors);
      }
      sink.reset();
      progress.say("baseline: %d messages to the sink from a bare HTTP client, %d requests of up to %d, %d in flight",
        timedMessages.size(), requests.size(), sendBatch, baselineConcurrency);
      CpuUsage cpu = new CpuUsage(-1);
      CpuUsage.Snapshot before = cpu.snapshot();
      SinkBaseline.Result result = client.run(requests).await();
      JsonObject split = CpuUsage.between(before, cpu.snapshot(), Runtime.getRuntime().availableProcessors());
      progress.say("baseline: %d messages in %.2f s, %d errors", result.messages, result.seconds(), result.errors);
      return new BaselineRun(result, sink.uniqueCount(), sink.duplicateCount(), split, warm, checks);
    }
  }

  /** Renders stored messages as the dispatcher does, each template version and locale compiled once. */
  private static final class BaselineRenderer {
    private final Tracking tracking = new Tracking(PUBLIC_BASE_URL,
      TrackingTokens.fromSetting(TRACKING_KEYS));
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
      .put("channel", CHANNEL)
      .put("to", m.email())
      .put("tenant", Recipients.TENANT)
      .put("campaign", Recipients.CAMPAIGN)
      .put("recipient_id", m.recipientId())
      .put("locale", m.locale())
      .put("content", content);
  }

  private List<List<JsonObject>> groups(List<JsonObject> all) {
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

  private boolean failed(GatewayRun run, AfterGateway after, BaselineRun baseline) {
    return !run.arrival().complete() || run.posted().errors > 0 || run.posted().recipientsRejected > 0
      || run.posted().abortReason != null || after.duplicates() > 0
      || baseline.result().errors > 0 || baseline.unique() != messages || baseline.duplicates() > 0
      || !baseline.checks().getBoolean("payloads_identical");
  }

  private JsonObject report(BenchSession session, Path config, Map<String, String> env, GatewayRun run,
                            AfterGateway after, BaselineRun baseline) {
    IntakeLoad.Phase posted = run.posted();
    Arrivals.Outcome arrival = run.arrival();
    // Complete: timed to the last first arrival. Not: to the moment the phase gave up, counting what had arrived by then.
    Instant firstPost = run.postStarts()[0] == null ? arrival.endedAt() : run.postStarts()[0];
    double postSeconds = posted.elapsedSeconds();
    Instant postsEnd = firstPost.plusNanos(posted.endNanos - posted.startNanos);
    Deliveries deliveries = run.deliveries(batchSize, firstPost, postsEnd, arrival.endedAt());
    Instant end = arrival.complete() && deliveries.lastArrival() != null ? deliveries.lastArrival() : arrival.endedAt();
    double seconds = Duration.between(firstPost, end).toNanos() / 1e9;
    long delivered = Math.min(deliveries.delivered(), messages);
    double gatewayRate = Reports.perSecond(delivered, seconds);
    double afterSeconds = Math.max(0, seconds - postSeconds);
    long afterDelivered = delivered - deliveries.whilePosting();
    Histogram postLatency = posted.latencyMicros;
    JsonObject gatewayReport = new JsonObject()
      .put("seconds", Reports.round(seconds, 3))
      .put("messages", (long) messages)
      .put("delivered", delivered)
      .put("messages_per_second", Reports.round(gatewayRate, 1))
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
      .put("message_states", after.states())
      .put("gateway_exit_code", after.exitCode());
    if (run.warm() != null) {
      gatewayReport.put("warmup", warmJson(run.warm()));
    }
    SinkBaseline.Result b = baseline.result();
    double baselineRate = Reports.perSecond(baseline.unique(), b.seconds());
    JsonObject baselineReport = new JsonObject()
      .put("seconds", Reports.round(b.seconds(), 3))
      .put("messages", b.messages)
      .put("delivered", baseline.unique())
      .put("messages_per_second", Reports.round(baselineRate, 1))
      .put("requests", b.requests)
      .put("send_batch", sendBatch)
      .put("concurrency", baselineConcurrency)
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
    double ratio = baselineRate > 0 ? gatewayRate / baselineRate : 0;
    return new JsonObject()
      .put("benchmark", "e2e")
      .put("started_at", session.startedAt().toString())
      .put("machine", session.machine())
      .put("parameters", gateway.describe(new JsonObject()
          .put("messages", messages)
          .put("batch_size", batchSize)
          .put("clients", clients)
          .put("send_batch", sendBatch)
          .put("gateway_send_batch", Integer.parseInt(env.getOrDefault("RELAY_DISPATCH_SEND_BATCH", "50")))
          .put("baseline_concurrency", baselineConcurrency)
          .put("timeout_seconds", timeoutSeconds)
          .put("warmup_messages", warmupMessages))
        .put("database", session.database())
        .put("database_kept", keepDb))
      .put("gateway", gatewayReport)
      .put("baseline", baselineReport)
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

  private static String summary(JsonObject r) {
    JsonObject p = r.getJsonObject("parameters");
    JsonObject g = r.getJsonObject("gateway");
    JsonObject posts = g.getJsonObject("posts");
    JsonObject postLat = posts.getJsonObject("latency_ms");
    JsonObject del = g.getJsonObject("delivery_latency_ms");
    JsonObject b = r.getJsonObject("baseline");
    JsonObject bLat = b.getJsonObject("latency_ms");
    JsonObject checks = r.getJsonObject("checks");
    StringBuilder s = new StringBuilder();
    s.append(Reports.header("Relay e2e benchmark", r));
    s.append(String.format(Locale.ROOT,
      "  parameters %d messages in batches of %d from %d clients; %d messages per provider request; "
        + "bare client %d requests in flight; warm-up %d messages; timeout %d s%n",
      p.getInteger("messages"), p.getInteger("batch_size"), p.getInteger("clients"), p.getInteger("send_batch"),
      p.getInteger("baseline_concurrency"), p.getInteger("warmup_messages"), p.getInteger("timeout_seconds")));
    s.append(String.format(Locale.ROOT, "  database   %s (%s)%n", p.getString("database"),
      p.getBoolean("database_kept") ? "kept" : "dropped"));
    s.append(String.format(Locale.ROOT,
      "Gateway: POST /v1/batches -> PostgreSQL -> dispatcher -> %s adapter -> sink%n", ACCOUNT));
    s.append(String.format(Locale.ROOT, "  delivered  %d of %d in %.3f s = %.1f messages/s, duplicates %d%n",
      g.getLong("delivered"), g.getLong("messages"), g.getDouble("seconds"), g.getDouble("messages_per_second"),
      g.getLong("duplicates")));
    s.append(String.format(Locale.ROOT,
      "  posts      %d requests, %d recipients accepted in %.3f s = %.1f recipients/s, errors %d; "
        + "latency p50 %.2f ms, p99 %.2f ms%n",
      posts.getLong("requests"), posts.getLong("recipients_accepted"), posts.getDouble("seconds"),
      posts.getDouble("recipients_per_second"), posts.getLong("errors"), postLat.getDouble("p50"), postLat.getDouble("p99")));
    JsonObject whilePosting = g.getJsonObject("while_posting");
    JsonObject afterPosting = g.getJsonObject("after_posting");
    s.append(String.format(Locale.ROOT,
      "  arrivals   %d while the POSTs ran (%.3f s, %.1f messages/s), %d after them (%.3f s, %.1f messages/s)%n",
      whilePosting.getLong("delivered"), whilePosting.getDouble("seconds"), whilePosting.getDouble("messages_per_second"),
      afterPosting.getLong("delivered"), afterPosting.getDouble("seconds"), afterPosting.getDouble("messages_per_second")));
    s.append(String.format(Locale.ROOT,
      "  delivery   latency (receipt - start of its batch's POST) p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
      del.getDouble("p50"), del.getDouble("p99"), del.getDouble("max")));
    s.append(Reports.cpuLine(g.getJsonObject("cpu_cores")));
    s.append(String.format(Locale.ROOT, "  states     %s after the gateway stopped (exit code %d)%n",
      g.getJsonObject("message_states").encode(), g.getInteger("gateway_exit_code")));
    for (Object sample : posts.getJsonArray("error_samples")) {
      s.append("  error      ").append(sample).append('\n');
    }
    if (g.getString("aborted") != null) {
      s.append("  INCOMPLETE ").append(g.getString("aborted")).append('\n');
    }
    s.append(String.format(Locale.ROOT,
      "Baseline: bare Vert.x HttpClient -> the same sink, same messages, requests of %d, %d in flight%n",
      b.getInteger("send_batch"), b.getInteger("concurrency")));
    s.append(String.format(Locale.ROOT,
      "  delivered  %d of %d in %.3f s = %.1f messages/s, duplicates %d, errors %d; request latency p50 %.2f ms, p99 %.2f ms%n",
      b.getLong("delivered"), b.getLong("messages"), b.getDouble("seconds"), b.getDouble("messages_per_second"),
      b.getLong("duplicates"), b.getLong("errors"), bLat.getDouble("p50"), bLat.getDouble("p99")));
    s.append(Reports.cpuLine(b.getJsonObject("cpu_cores")));
    for (Object sample : b.getJsonArray("error_samples")) {
      s.append("  error      ").append(sample).append('\n');
    }
    s.append(String.format(Locale.ROOT,
      "Check: the bare client's messages are the gateway's (key, attempt, address, content, ...): %s "
        + "(%d of %d compared, %d different)%n",
      checks.getBoolean("payloads_identical") ? "yes" : "NO", checks.getLong("payloads_compared"),
      checks.getLong("baseline_messages"), checks.getLong("payloads_different")));
    s.append(String.format(Locale.ROOT, "Ratio gateway/bare client: %.4f (goal >= %.1f: %s)%n", r.getDouble("ratio"),
      r.getDouble("goal_ratio"), r.getBoolean("goal_met") ? "met" : "NOT met"));
    return s.toString();
  }
}
