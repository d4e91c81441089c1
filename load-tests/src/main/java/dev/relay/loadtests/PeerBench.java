package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.adapters.testkit.SandboxServer.Receipt;
import dev.relay.gateway.render.ShippedTemplates;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;

/**
 * Relay end to end against a mature durable queue doing the same job on the same machine in the same run:
 * graphile-worker ({@link GraphilePeer}). Both bulk-enqueue the same recipients (Relay's {@code POST /v1/batches}
 * bodies; the peer turns each into one job per recipient with {@code addJobs}, one transaction per body), render
 * the shipped {@code welcome} email of the same size, POST it to the same sink in requests of {@code --send-batch},
 * and record the outcome (Relay its message state, the peer the job's completion).
 *
 * <p>One gateway and the peer's worker processes stay up for the whole comparison. Each side first runs a cold
 * round (its first messages after start), then an unmeasured warm-up of the same size for both, then
 * {@code --peer-rounds} warm rounds, one of each side per round, the order alternating so that drift of the machine
 * favours neither. With {@code --gateway-aot-cache} that gateway starts from the cache, and then
 * {@code --peer-cold-pairs} pairs of fresh gateways, one with the cache and one without, the order alternating, run
 * cold once each. Every run of both sides uses the same recipients. Measured per run: messages per second from the
 * first request (Relay's first POST, the peer's first addJobs) to the last first arrival at the sink; the CPU of the
 * side's own processes (the gateway; the peer's workers and its enqueuing process) and of PostgreSQL's; the WAL
 * written until every message's outcome is recorded; and exactly-once at the sink.
 */
final class PeerBench {

  /** The goals: Relay's throughput at least 1.5 times the peer's ... */
  static final double GOAL_THROUGHPUT_RATIO = 1.5;
  /** ... its CPU per delivered message at most 0.7 times the peer's ... */
  static final double GOAL_CPU_RATIO = 0.7;
  /** ... and its WAL per delivered message at most 1,200 bytes. */
  static final double GOAL_WAL_BYTES = 1200;
  /** The peer's task name and the graphile-worker version its lockfile pins. */
  static final String PEER_NAME = "graphile-worker";
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(60);
  private static final long SETTLE_POLL_MS = 50;
  private static final int CONTENT_SAMPLE = 2000;
  /** How long both sides are watched with nothing to do, for the floor their idle polling puts under the figures. */
  private static final long IDLE_MS = 3000;
  /** How far the two sides' mean message size may differ before the comparison is said not to be like for like. */
  static final double CONTENT_TOLERANCE = 0.01;

  /** What Relay's side shares with the other end-to-end runs of a report: database, environment, key, recipients. */
  record RelaySide(BenchSession session, Map<String, String> env, String apiKey, Recipients recipients,
                   AtomicLong nextBatch, Path gatewayLog) {
  }

  /** The comparison's JSON and what went wrong in it (empty when nothing did). */
  record Outcome(JsonObject json, List<String> problems) {
  }

  private final E2eBench.Settings base;
  private final PeerOptions options;
  private final GatewayOptions gateway;
  private final Progress progress;

  /** {@code base}: batch size, clients, send batch and timeout of the e2e runs (its message counts are not used). */
  PeerBench(E2eBench.Settings base, PeerOptions options, GatewayOptions gateway, Progress progress) {
    this.base = base;
    this.options = options;
    this.gateway = gateway;
    this.progress = progress;
  }

  /**
   * Runs the comparison: starts a gateway on Relay's database and the peer on a database of its own (created
   * here, dropped at the end unless {@code keepDb}), then the cold runs, the warm-ups and the rounds.
   */
  Outcome run(Vertx vertx, SandboxServer sink, RelaySide relay, Path out, boolean keepDb) throws Exception {
    GraphilePeer.Settings peerSettings = options.settings(base.sendBatch(), base.clients());
    Path peerLog = relay.session().sibling("-peer.log");
    Files.deleteIfExists(peerLog);
    GraphilePeer.install(options.dir, options.npm, peerLog, progress);
    List<JsonObject> phases = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    JsonObject idle = null;
    BenchDatabase pg = relay.session().pg();
    try (BenchSession peerDb = BenchSession.open(out, pg, keepDb, "_peer")) {
      pg.create(peerDb.database());
      String connection = pg.connectionUri(peerDb.database());
      Path template = relay.session().sibling("-peer-template.json");
      Files.writeString(template, welcomeDefinition().encode(), StandardCharsets.UTF_8);
      Path bodies = relay.session().sibling("-peer-batches.ndjson");
      try (GatewayProcess child = GatewayProcess.start(gateway.jar, gateway.jvmArgs(), relay.env(), relay.gatewayLog())) {
        progress.say("peer comparison: started the gateway (pid %d) on 127.0.0.1:%d, log %s", child.pid(), child.port(),
          relay.gatewayLog());
        E2eBench.awaitReady(vertx, child);
        Sides sides = new Sides(vertx, sink, relay, child, peerDb, connection, bodies);
        JsonObject relayCold = sides.relay("cold", 0, options.messages);
        phases.add(relayCold);
        progress.say("peer comparison: starting %d graphile-worker processes, log %s", peerSettings.workers(), peerLog);
        try (GraphilePeer peer = GraphilePeer.start(options.dir, options.node, peerSettings, connection, sink.url(),
          template, E2eCommand.TRACKING_KEYS, E2eCommand.PUBLIC_BASE_URL, peerLog)) {
          sides.peer = peer;
          phases.add(sides.peerRun("cold", 0, options.messages, sides.relayFirst(relayCold)));
          if (options.warmupMessages > 0) {
            long first = relay.nextBatch().get();
            phases.add(sides.relay("warmup", 0, options.warmupMessages));
            phases.add(sides.peerRun("warmup", 0, options.warmupMessages, first));
          }
          idle = sides.idle(child, peer);
          for (int round = 1; round <= options.rounds; round++) {
            long first = relay.nextBatch().get();
            if (round % 2 == 1) {
              phases.add(sides.relay("round", round, options.messages));
              phases.add(sides.peerRun("round", round, options.messages, first));
            } else {
              phases.add(sides.peerRun("round", round, options.messages, first));
              phases.add(sides.relay("round", round, options.messages));
            }
          }
        }
        progress.say("peer comparison: stopped the peer; stopping the gateway (exit code %d)", child.stop());
        if (gateway.aotCache != null) {
          // The first cold run was a gateway with the cache; each pair starts with the arm that went second before.
          for (int pair = 1; pair <= options.coldPairs; pair++) {
            boolean cacheFirst = pair % 2 == 0;
            phases.add(freshCold(vertx, sink, relay, peerDb, connection, bodies, cacheFirst, pair));
            phases.add(freshCold(vertx, sink, relay, peerDb, connection, bodies, !cacheFirst, pair));
          }
        }
      } finally {
        Files.deleteIfExists(bodies);
      }
      for (JsonObject phase : phases) {
        problems.addAll(phaseProblems(phase));
      }
      JsonObject json = report(phases, peerSettings, peerDb.database(), keepDb);
      JsonObject size = json.getJsonObject("content_bytes_per_message");
      if (!size.getBoolean("same_size")) {
        problems.add("the two sides sent messages of different sizes: " + size.encode());
      }
      json.put("idle", idle).put("peer_log", peerLog.toString()).put("gateway_log", relay.gatewayLog().toString());
      return new Outcome(json, problems);
    }
  }

  /**
   * One cold run of a gateway of its own, started with the AOT cache or without it, after the comparison's gateway
   * has stopped: its first {@code --peer-messages} messages, then it is stopped. {@code --peer-cold-pairs} pairs of
   * these, the order alternating, measure what the cache changes in the first minute of a campaign in the same run,
   * on the same database, without one arm always meeting the database the other warmed.
   */
  private JsonObject freshCold(Vertx vertx, SandboxServer sink, RelaySide relay, BenchSession peerDb, String connection,
                               Path bodies, boolean withCache, int pair) throws Exception {
    List<String> jvmArgs = withCache ? gateway.jvmArgs() : gateway.jvmArgs;
    try (GatewayProcess child = GatewayProcess.start(gateway.jar, jvmArgs, relay.env(), relay.gatewayLog())) {
      progress.say("peer comparison: started a gateway %s the AOT cache (pid %d) on 127.0.0.1:%d",
        withCache ? "with" : "without", child.pid(), child.port());
      E2eBench.awaitReady(vertx, child);
      JsonObject run = new Sides(vertx, sink, relay, child, peerDb, connection, bodies)
        .relay(withCache ? "cold" : COLD_WITHOUT_AOT_CACHE, pair, options.messages);
      progress.say("peer comparison: stopping that gateway (exit code %d)", child.stop());
      return run;
    }
  }

  /** The phase of Relay's cold run without the AOT cache, when the comparison's gateway has one. */
  static final String COLD_WITHOUT_AOT_CACHE = "cold_without_aot_cache";

  /**
   * The tuning pass: the peer alone, in each configuration of {@code grid} in turn (fresh worker processes, the
   * warm-up, then {@code --peer-rounds} measured runs), every configuration on the same recipients; the one with the
   * most messages per second over its runs is {@code best}. What a user tuning graphile-worker for a machine does.
   */
  Outcome tune(Vertx vertx, SandboxServer sink, BenchSession session, Path out, boolean keepDb,
               List<GraphilePeer.Settings> grid) throws Exception {
    Path peerLog = session.sibling("-peer.log");
    Files.deleteIfExists(peerLog);
    GraphilePeer.install(options.dir, options.npm, peerLog, progress);
    List<String> problems = new ArrayList<>();
    JsonArray configurations = new JsonArray();
    BenchDatabase pg = session.pg();
    try (BenchSession peerDb = BenchSession.open(out, pg, keepDb, "_peer")) {
      pg.create(peerDb.database());
      String connection = pg.connectionUri(peerDb.database());
      Path template = session.sibling("-peer-template.json");
      Files.writeString(template, welcomeDefinition().encode(), StandardCharsets.UTF_8);
      Path bodies = session.sibling("-peer-batches.ndjson");
      Recipients recipients = new Recipients(base.batchSize());
      int batchSize = base.batchSize();
      try {
        for (GraphilePeer.Settings settings : grid) {
          RelaySide none = new RelaySide(session, Map.of(), null, recipients, new AtomicLong(), null);
          Sides sides = new Sides(vertx, sink, none, null, peerDb, connection, bodies);
          List<JsonObject> phases = new ArrayList<>();
          progress.say("peer tuning: %s", settings.toJson().encode());
          try (GraphilePeer peer = GraphilePeer.start(options.dir, options.node, settings, connection, sink.url(),
            template, E2eCommand.TRACKING_KEYS, E2eCommand.PUBLIC_BASE_URL, peerLog)) {
            sides.peer = peer;
            if (options.warmupMessages > 0) {
              phases.add(sides.peerRun("warmup", 0, options.warmupMessages,
                none.nextBatch().getAndAdd(options.warmupMessages / batchSize)));
            }
            for (int round = 1; round <= options.rounds; round++) {
              phases.add(sides.peerRun("round", round, options.messages,
                none.nextBatch().getAndAdd(options.messages / batchSize)));
            }
          }
          phases.forEach(p -> problems.addAll(phaseProblems(p)));
          configurations.add(new JsonObject()
            .put("configuration", settings.toJson())
            .put("options", settings.options())
            .put("warm", aggregate(phases.stream().filter(p -> p.getString("phase").equals("round")).toList()))
            .put("phases", new JsonArray(new ArrayList<>(phases))));
        }
      } finally {
        Files.deleteIfExists(bodies);
      }
      JsonObject best = best(configurations);
      progress.say("peer tuning: the fastest configuration: %s", best == null ? "none" : best.getString("options"));
      return new Outcome(new JsonObject()
        .put("peer", new JsonObject().put("name", PEER_NAME).put("version", peerVersion(options.dir))
          .put("node", nodeVersion(options.node)))
        .put("parameters", new JsonObject().put("messages", options.messages)
          .put("warmup_messages", options.warmupMessages).put("rounds", options.rounds).put("batch_size", batchSize)
          .put("clients", base.clients()).put("send_batch", base.sendBatch()))
        .put("best", best)
        .put("configurations", configurations)
        .put("peer_log", peerLog.toString()), problems);
    }
  }

  /** The configuration with the most messages per second over its measured runs; null when there is none. */
  static JsonObject best(JsonArray configurations) {
    JsonObject best = null;
    for (Object o : configurations) {
      JsonObject c = (JsonObject) o;
      if (best == null || c.getJsonObject("warm").getDouble("messages_per_second")
        > best.getJsonObject("warm").getDouble("messages_per_second")) {
        best = c;
      }
    }
    return best == null ? null : best.copy().put("phases", new JsonArray());
  }

  /** The shipped {@code welcome} template's definition, as the gateway stores it: what the peer renders. */
  static JsonObject welcomeDefinition() {
    return ShippedTemplates.load(PeerBench.class.getClassLoader()).stream()
      .filter(t -> t.name().equals("welcome"))
      .findFirst()
      .orElseThrow(() -> new IllegalStateException("the gateway's jar ships no 'welcome' template"))
      .definition();
  }

  /** The two sides' runs, with what they share. */
  private final class Sides {
    private final Vertx vertx;
    private final SandboxServer sink;
    private final RelaySide relay;
    private final GatewayProcess child;
    private final BenchSession peerDb;
    private final String connection;
    private final Path bodies;
    private GraphilePeer peer;

    Sides(Vertx vertx, SandboxServer sink, RelaySide relay, GatewayProcess child, BenchSession peerDb,
          String connection, Path bodies) {
      this.vertx = vertx;
      this.sink = sink;
      this.relay = relay;
      this.child = child;
      this.peerDb = peerDb;
      this.connection = connection;
      this.bodies = bodies;
    }

    /** The first batch of a Relay run: the peer's run of the same kind sends the same recipients. */
    long relayFirst(JsonObject relayPhase) {
      return relayPhase.getLong("first_batch");
    }

    /** One run of Relay's gateway, kept up: posts, waits for the sink, then for every message's outcome. */
    JsonObject relay(String phase, int round, int messages) throws SQLException {
      progress.say("peer comparison: Relay, %s%s, %d messages", phase, round > 0 ? " " + round : "", messages);
      E2eBench e2e = new E2eBench(new E2eBench.Settings(messages, base.batchSize(), base.clients(), base.sendBatch(),
        base.baselineConcurrency(), base.timeoutSeconds(), 0), gateway, progress);
      BenchSession session = relay.session();
      E2eBench.GatewayRun run = e2e.measureGateway(vertx, sink, List.of(child), relay.apiKey(), session,
        relay.recipients(), relay.nextBatch());
      long requests = sink.requestCount();
      long left = settle(() -> session.pg().queryLong(session.database(),
        "SELECT count(*) FROM messages WHERE state IN ('queued', 'sending', 'retry')"));
      BenchDatabase.WalPosition end = walPosition(session.pg());
      E2eBench.AfterGateway after = new E2eBench.AfterGateway(List.of(), sink.duplicateCount(), sink.receivedCount(),
        new JsonObject(), end);
      JsonObject g = e2e.gatewayJson(run, after);
      JsonObject posts = g.getJsonObject("posts");
      JsonObject json = phase("relay", phase, round, messages, g.getLong("delivered"), g.getDouble("seconds"),
        g.getBoolean("complete"), g.getString("aborted"), g.getLong("duplicates"), g.getJsonObject("cpu_cores"),
        g.getJsonObject("postgresql_writes"), requests, contentBytes(run.receipts()))
        .put("first_batch", run.firstBatch())
        .put("in_flight_after", left)
        .put("intake", new JsonObject()
          .put("requests", posts.getLong("requests"))
          .put("errors", posts.getLong("errors"))
          .put("recipients_rejected", posts.getLong("recipients_rejected"))
          .put("error_samples", posts.getJsonArray("error_samples"))
          .put("seconds", posts.getDouble("seconds")));
      say(json);
      return json;
    }

    /** One run of the peer, on the recipients of batches {@code first}...: enqueues, waits for the sink and the completions. */
    JsonObject peerRun(String phase, int round, int messages, long first) throws Exception {
      progress.say("peer comparison: %s, %s%s, %d messages", PEER_NAME, phase, round > 0 ? " " + round : "", messages);
      int batches = messages / base.batchSize();
      try (BufferedWriter w = Files.newBufferedWriter(bodies, StandardCharsets.UTF_8)) {
        for (long b = first; b < first + batches; b++) {
          w.write(new String(relay.recipients().requestBody(b), StandardCharsets.UTF_8));
          w.write('\n');
        }
      }
      try (GraphilePeer.Enqueuer enqueuer = peer.enqueuer(connection, bodies, base.clients())) {
        peerDb.checkpoint(progress);
        sink.reset();
        BenchDatabase.WalPosition start = walPosition(peerDb.pg());
        CpuUsage cpu = new CpuUsage(LongStream.concat(LongStream.of(peer.workerPids()), LongStream.of(enqueuer.pid()))
          .toArray());
        CpuUsage.Snapshot before = cpu.snapshot();
        BooleanSupplier alive = peer::alive;
        Arrivals arrivals = Arrivals.watch(vertx, sink, messages,
          System.nanoTime() + TimeUnit.SECONDS.toNanos(base.timeoutSeconds()), alive, progress);
        Instant started = Instant.now();
        enqueuer.go();
        JsonObject done = enqueuer.awaitDone(Duration.ofSeconds(base.timeoutSeconds()));
        arrivals.expect(Math.min(messages, done.getLong("jobs")));
        Arrivals.Outcome arrival = arrivals.outcome().await();
        CpuUsage.Snapshot after = cpu.snapshot();
        long requests = sink.requestCount();
        List<Receipt> receipts = sink.receipts();
        long left = settle(() -> peerDb.pg().queryLong(peerDb.database(),
          "SELECT count(*) FROM graphile_worker._private_jobs"));
        BenchDatabase.WalPosition end = walPosition(peerDb.pg());
        JsonObject split = peerCpu(CpuUsage.between(before, after, Runtime.getRuntime().availableProcessors()));
        Set<String> seen = new HashSet<>();
        Instant last = null;
        for (Receipt r : receipts) {
          if (seen.add(r.idempotencyKey()) && (last == null || r.receivedAt().isAfter(last))) {
            last = r.receivedAt();
          }
        }
        Instant endedAt = arrival.complete() && last != null ? last : arrival.endedAt();
        double seconds = Duration.between(started, endedAt).toNanos() / 1e9;
        JsonObject writes = start == null || end == null ? null : start.perRow(end, Math.min(seen.size(), messages));
        JsonObject json = phase("peer", phase, round, messages, Math.min(seen.size(), messages), seconds,
          arrival.complete(), arrival.reason(), receipts.size() - (long) seen.size(), split, writes, requests,
          contentBytes(receipts))
          .put("first_batch", first)
          .put("jobs_left", left)
          .put("intake", new JsonObject()
            .put("jobs", done.getLong("jobs"))
            .put("errors", done.getLong("errors"))
            .put("error_samples", done.getJsonArray("error_samples", new JsonArray()))
            .put("seconds", Reports.round(done.getDouble("seconds"), 3)));
        say(json);
        return json;
      }
    }

    /**
     * Both sides up with nothing to do for a few seconds: the cores of the gateway, of the peer's workers and of
     * PostgreSQL, and the WAL written per second. Each side's idle polling runs during the other's runs, so this is
     * the floor under every run's PostgreSQL CPU and WAL that is not the run's own work.
     */
    JsonObject idle(GatewayProcess gatewayProcess, GraphilePeer workers) {
      CpuUsage relayCpu = new CpuUsage(gatewayProcess.pid());
      CpuUsage peerCpu = new CpuUsage(workers.workerPids());
      BenchDatabase.WalPosition walFrom = walPosition(peerDb.pg());
      CpuUsage.Snapshot relayFrom = relayCpu.snapshot();
      CpuUsage.Snapshot peerFrom = peerCpu.snapshot();
      vertx.timer(IDLE_MS).await();
      CpuUsage.Snapshot relayTo = relayCpu.snapshot();
      CpuUsage.Snapshot peerTo = peerCpu.snapshot();
      BenchDatabase.WalPosition walTo = walPosition(peerDb.pg());
      int cores = Runtime.getRuntime().availableProcessors();
      JsonObject relaySplit = CpuUsage.between(relayFrom, relayTo, cores);
      JsonObject peerSplit = CpuUsage.between(peerFrom, peerTo, cores);
      JsonObject json = new JsonObject()
        .put("seconds", IDLE_MS / 1000.0)
        .put("gateway_cores", relaySplit.getValue("gateway"))
        .put("peer_cores", peerSplit.getValue("gateway"))
        .put("postgresql_cores", relaySplit.getValue("postgresql"))
        .put("other_cores", relaySplit.getValue("other"))
        .put("wal_bytes_per_second", walFrom == null || walTo == null ? null
          : Reports.round((walTo.bytes() - walFrom.bytes()) * 1000.0 / IDLE_MS, 1));
      progress.say("peer comparison: both sides idle for %d s: %s", IDLE_MS / 1000, json.encode());
      return json;
    }

    /** Polls until {@code count} is 0 (every outcome recorded) or the timeout passes; returns the last count. */
    private long settle(Count count) throws SQLException {
      long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
      long left = count.get();
      while (left > 0 && System.nanoTime() < deadline) {
        vertx.timer(SETTLE_POLL_MS).await();
        left = count.get();
      }
      return left;
    }

    private void say(JsonObject phase) {
      progress.say("peer comparison: %s %s: %d of %d in %.2f s = %.1f messages/s, %.3f ms CPU/message, %s B WAL/message, "
          + "duplicates %d", phase.getString("side"), phase.getString("phase"), phase.getLong("delivered"),
        phase.getLong("messages"), phase.getDouble("seconds"), phase.getDouble("messages_per_second"),
        phase.getDouble("cpu_ms_per_message", Double.NaN), phase.getValue("wal_bytes_per_message"),
        phase.getLong("duplicates"));
    }
  }

  /** The side's CPU split with its own processes as {@code own_processes} (the peer is no gateway, nor a JVM). */
  static JsonObject peerCpu(JsonObject split) {
    JsonObject copy = split.copy();
    if (copy.containsKey("gateway")) {
      copy.put("own_processes", copy.remove("gateway"));
    }
    JsonObject jvm = copy.getJsonObject("jvm_threads");
    if (jvm != null) {
      jvm.remove("gateway");
    }
    return copy;
  }

  /**
   * Cores the gateway's JIT compiler threads took in a CPU split ({@link CpuUsage}), part of its own; null when the
   * split has none (the peer's side, or no {@code /proc}).
   */
  static Double jitCores(JsonObject cpu) {
    JsonObject gateway = cpu == null ? null : cpu.getJsonObject("jvm_threads", new JsonObject()).getJsonObject("gateway");
    return gateway == null ? null : gateway.getDouble(CpuUsage.JvmWork.JIT_COMPILER.key);
  }

  /** Cores of the side's own processes and of PostgreSQL in a CPU split; null when it was not read. */
  static Double ownCores(JsonObject cpu) {
    if (cpu == null || !cpu.containsKey("postgresql")) {
      return null;
    }
    double own = cpu.containsKey("gateway") ? cpu.getDouble("gateway") : cpu.getDouble("own_processes", 0.0);
    return own + cpu.getDouble("postgresql");
  }

  /** One run of one side as JSON, with the figures the comparison is made of. */
  static JsonObject phase(String side, String phase, int round, long messages, long delivered, double seconds,
                          boolean complete, String aborted, long duplicates, JsonObject cpu, JsonObject writes,
                          long sinkRequests, Double contentBytes) {
    double rate = Reports.perSecond(delivered, seconds);
    Double cores = ownCores(cpu);
    Long walBytes = writes == null ? null : writes.getLong("wal_bytes");
    return new JsonObject()
      .put("side", side)
      .put("phase", phase)
      .put("round", round)
      .put("messages", messages)
      .put("delivered", delivered)
      .put("seconds", Reports.round(seconds, 3))
      .put("messages_per_second", Reports.round(rate, 1))
      .put("complete", complete)
      .put("aborted", aborted)
      .put("duplicates", duplicates)
      .put("cpu_cores", cpu)
      .put("own_cores", cores == null ? null : Reports.round(cores, 2))
      .put("cpu_ms_per_message", cores == null || rate <= 0 ? null : Reports.round(cores * 1000 / rate, 4))
      .put("wal_bytes", walBytes)
      .put("wal_bytes_per_message", walBytes == null || delivered == 0 ? null
        : Reports.round((double) walBytes / delivered, 1))
      .put("sink_requests", sinkRequests)
      .put("messages_per_request", sinkRequests == 0 ? null : Reports.round((double) delivered / sinkRequests, 2))
      .put("content_bytes_per_message", contentBytes == null ? null : Reports.round(contentBytes, 1));
  }

  /**
   * One side's runs of a kind, together: messages per second over their summed time, CPU milliseconds per message
   * (each run's cores times its seconds, summed, over the messages), WAL bytes per message, duplicates and lost
   * messages; the CPU or WAL figure is null when any run lacks it.
   */
  static JsonObject aggregate(List<JsonObject> runs) {
    long delivered = 0;
    long messages = 0;
    long duplicates = 0;
    double seconds = 0;
    double cpuSeconds = 0;
    long wal = 0;
    double jitSeconds = 0;
    boolean jitKnown = !runs.isEmpty();
    boolean cpuKnown = !runs.isEmpty();
    boolean walKnown = !runs.isEmpty();
    JsonArray rates = new JsonArray();
    for (JsonObject run : runs) {
      delivered += run.getLong("delivered");
      messages += run.getLong("messages");
      duplicates += run.getLong("duplicates");
      seconds += run.getDouble("seconds");
      rates.add(run.getDouble("messages_per_second"));
      Double cores = run.getDouble("own_cores");
      if (cores == null) {
        cpuKnown = false;
      } else {
        cpuSeconds += cores * run.getDouble("seconds");
      }
      Double jit = jitCores(run.getJsonObject("cpu_cores"));
      if (jit == null) {
        jitKnown = false;
      } else {
        jitSeconds += jit * run.getDouble("seconds");
      }
      Long bytes = run.getLong("wal_bytes");
      if (bytes == null) {
        walKnown = false;
      } else {
        wal += bytes;
      }
    }
    return new JsonObject()
      .put("runs", runs.size())
      .put("messages", messages)
      .put("delivered", delivered)
      .put("seconds", Reports.round(seconds, 3))
      .put("messages_per_second", Reports.round(Reports.perSecond(delivered, seconds), 1))
      .put("runs_messages_per_second", rates)
      .put("cpu_ms_per_message", cpuKnown && delivered > 0 ? Reports.round(cpuSeconds * 1000 / delivered, 4) : null)
      .put("wal_bytes_per_message", walKnown && delivered > 0 ? Reports.round((double) wal / delivered, 1) : null)
      .put("jit_ms_per_message", jitKnown && delivered > 0 ? Reports.round(jitSeconds * 1000 / delivered, 4) : null)
      .put("duplicates", duplicates)
      .put("lost", messages - delivered);
  }

  /** Relay's figures over the peer's: throughput, CPU per message and WAL per message; null where one is missing. */
  static JsonObject ratios(JsonObject relay, JsonObject peer) {
    return new JsonObject()
      .put("throughput", ratio(relay.getDouble("messages_per_second"), peer.getDouble("messages_per_second")))
      .put("cpu_per_message", ratio(relay.getDouble("cpu_ms_per_message"), peer.getDouble("cpu_ms_per_message")))
      .put("wal_per_message", ratio(relay.getDouble("wal_bytes_per_message"), peer.getDouble("wal_bytes_per_message")));
  }

  private static Double ratio(Double a, Double b) {
    return a == null || b == null || b <= 0 ? null : Reports.round(a / b, 4);
  }

  /** The three goals, judged on the warm rounds: each with its figure, the goal and whether it is met. */
  static JsonArray goals(JsonObject warm) {
    JsonObject r = warm.getJsonObject("ratios");
    Double throughput = r.getDouble("throughput");
    Double cpu = r.getDouble("cpu_per_message");
    Double wal = warm.getJsonObject("relay").getDouble("wal_bytes_per_message");
    return new JsonArray()
      .add(ReportWriter.goal("peer_throughput_ratio", "Relay messages/s ÷ " + PEER_NAME + " messages/s (warm)", throughput,
        ">= " + GOAL_THROUGHPUT_RATIO, throughput != null && throughput >= GOAL_THROUGHPUT_RATIO))
      .add(ReportWriter.goal("peer_cpu_ratio", "Relay CPU ms per message ÷ " + PEER_NAME + "'s (own processes + PostgreSQL, warm)",
        cpu, "<= " + GOAL_CPU_RATIO, cpu != null && cpu <= GOAL_CPU_RATIO))
      .add(ReportWriter.goal("relay_wal_per_message", "Relay WAL bytes per delivered message (warm)", wal,
        "<= " + Math.round(GOAL_WAL_BYTES), wal != null && wal <= GOAL_WAL_BYTES));
  }

  /** The comparison's JSON from all runs: the warm and the cold figures of both sides, their ratios, the goals. */
  static JsonObject summarize(List<JsonObject> phases) {
    JsonObject warm = kind(phases, "round");
    JsonObject cold = kind(phases, "cold");
    JsonArray goals = goals(warm);
    List<JsonObject> withoutCache = phases.stream()
      .filter(p -> p.getString("phase").equals(COLD_WITHOUT_AOT_CACHE) && p.getString("side").equals("relay")).toList();
    long duplicates = 0;
    long lost = 0;
    for (JsonObject p : phases) {
      duplicates += p.getLong("duplicates");
      lost += p.getLong("messages") - p.getLong("delivered");
    }
    JsonObject summary = new JsonObject()
      .put("warm", warm)
      .put("cold", cold);
    if (!withoutCache.isEmpty()) {
      JsonObject relay = aggregate(withoutCache);
      summary.put(COLD_WITHOUT_AOT_CACHE, new JsonObject()
        .put("relay", relay)
        .put("peer", cold.getJsonObject("peer"))
        .put("ratios", ratios(relay, cold.getJsonObject("peer"))));
    }
    return summary
      .put("content_bytes_per_message", contentSizes(phases))
      .put("goals", goals)
      .put("goals_met", goals.stream().allMatch(g -> ((JsonObject) g).getBoolean("met")))
      .put("duplicates", duplicates)
      .put("lost", lost);
  }

  /**
   * The mean size of a message's content (as JSON) each side sent, over all its runs, and whether they are within
   * {@value #CONTENT_TOLERANCE} of each other: the check that both rendered a message of the same size.
   */
  static JsonObject contentSizes(List<JsonObject> phases) {
    Double relay = meanContent(phases, "relay");
    Double peer = meanContent(phases, "peer");
    boolean same = relay != null && peer != null && Math.abs(relay - peer) <= CONTENT_TOLERANCE * relay;
    return new JsonObject().put("relay", relay).put("peer", peer).put("same_size", same);
  }

  private static Double meanContent(List<JsonObject> phases, String side) {
    double sum = 0;
    int n = 0;
    for (JsonObject p : phases) {
      Double bytes = p.getDouble("content_bytes_per_message");
      if (side.equals(p.getString("side")) && bytes != null) {
        sum += bytes;
        n++;
      }
    }
    return n == 0 ? null : Reports.round(sum / n, 1);
  }

  private static JsonObject kind(List<JsonObject> phases, String kind) {
    JsonObject relay = aggregate(phases.stream()
      .filter(p -> p.getString("phase").equals(kind) && p.getString("side").equals("relay")).toList());
    JsonObject peer = aggregate(phases.stream()
      .filter(p -> p.getString("phase").equals(kind) && p.getString("side").equals("peer")).toList());
    return new JsonObject().put("relay", relay).put("peer", peer).put("ratios", ratios(relay, peer));
  }

  /** What went wrong in one run: lost or duplicated messages, failed requests, outcomes not recorded. */
  static List<String> phaseProblems(JsonObject p) {
    List<String> problems = new ArrayList<>();
    String label = p.getString("side") + " " + p.getString("phase") + (p.getInteger("round") > 0 ? " " + p.getInteger("round") : "")
      + ": ";
    if (!p.getBoolean("complete") || p.getLong("delivered") < p.getLong("messages")) {
      problems.add(label + (p.getLong("messages") - p.getLong("delivered")) + " of " + p.getLong("messages")
        + " messages never arrived" + (p.getString("aborted") == null ? "" : " (" + p.getString("aborted") + ")"));
    }
    if (p.getLong("duplicates") > 0) {
      problems.add(label + "the sink received " + p.getLong("duplicates") + " duplicates");
    }
    JsonObject intake = p.getJsonObject("intake", new JsonObject());
    if (intake.getLong("errors", 0L) > 0) {
      problems.add(label + intake.getLong("errors") + " enqueue requests failed: " + intake.getJsonArray("error_samples"));
    }
    if (intake.containsKey("jobs") && intake.getLong("jobs") < p.getLong("messages")) {
      problems.add(label + "the peer enqueued " + intake.getLong("jobs") + " jobs for " + p.getLong("messages")
        + " messages");
    }
    if (intake.getLong("recipients_rejected", 0L) > 0) {
      problems.add(label + intake.getLong("recipients_rejected") + " recipients were rejected");
    }
    if (p.getLong("jobs_left", 0L) > 0) {
      problems.add(label + p.getLong("jobs_left") + " jobs were not completed " + SETTLE_TIMEOUT.toSeconds()
        + " s after the last arrival");
    }
    if (p.getLong("in_flight_after", 0L) > 0) {
      problems.add(label + p.getLong("in_flight_after") + " messages had no outcome recorded "
        + SETTLE_TIMEOUT.toSeconds() + " s after the last arrival");
    }
    return problems;
  }

  private JsonObject report(List<JsonObject> phases, GraphilePeer.Settings peerSettings, String peerDatabase,
                            boolean keepDb) {
    return summarize(phases)
      .put("peer", new JsonObject()
        .put("name", PEER_NAME)
        .put("version", peerVersion(options.dir))
        .put("node", nodeVersion(options.node))
        .put("configuration", peerSettings.toJson())
        .put("render", "mustache 4.2.0, the shipped welcome template's email parts, links tracked as Relay does")
        .put("database", peerDatabase)
        .put("database_kept", keepDb))
      .put("parameters", new JsonObject()
        .put("messages", options.messages)
        .put("warmup_messages", options.warmupMessages)
        .put("rounds", options.rounds)
        .put("aot_cache", gateway.aotCache == null ? null : gateway.aotCache.toString())
        .put("cold_pairs", gateway.aotCache == null ? 0 : options.coldPairs)
        .put("batch_size", base.batchSize())
        .put("clients", base.clients())
        .put("send_batch", base.sendBatch()))
      .put("goal_throughput_ratio", GOAL_THROUGHPUT_RATIO)
      .put("goal_cpu_ratio", GOAL_CPU_RATIO)
      .put("goal_wal_bytes_per_message", GOAL_WAL_BYTES)
      .put("phases", new JsonArray(new ArrayList<>(phases)));
  }

  /** The graphile-worker version installed in the peer's node_modules; "unknown" when it cannot be read. */
  static String peerVersion(Path dir) {
    try {
      return new JsonObject(Files.readString(dir.resolve("node_modules/graphile-worker/package.json")))
        .getString("version", "unknown");
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static String nodeVersion(String node) {
    try {
      Process p = new ProcessBuilder(node, "--version").redirectErrorStream(true).start();
      p.getOutputStream().close();
      String version = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      p.waitFor(10, TimeUnit.SECONDS);
      return version;
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  /** The mean size of the messages' content as JSON, over the first receipts; null when there were none. */
  private static Double contentBytes(List<Receipt> receipts) {
    int n = Math.min(CONTENT_SAMPLE, receipts.size());
    if (n == 0) {
      return null;
    }
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      bytes += receipts.get(i).content().toBuffer().length();
    }
    return (double) bytes / n;
  }

  @FunctionalInterface
  private interface Count {
    long get() throws SQLException;
  }

  private BenchDatabase.WalPosition walPosition(BenchDatabase pg) {
    try {
      return pg.walPosition();
    } catch (SQLException e) {
      progress.say("PostgreSQL's WAL position not read (%s)", e.getMessage());
      return null;
    }
  }
}
