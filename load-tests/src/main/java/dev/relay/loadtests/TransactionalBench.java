package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.adapters.testkit.SandboxServer.Receipt;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The transactional latency under a marketing backlog, as {@code relay-bench transactional} runs it and
 * {@code relay-bench report} reuses it: on a gateway with dispatch on and the benchmark's sink, enqueue a backlog
 * of marketing messages as fast as intake takes them (closed-loop clients, batches of the intake maximum), then,
 * while the dispatcher drains it, post one-recipient {@code priority: "transactional"} batches at a fixed rate
 * (open model) and time each from the start of its POST to its first arrival at the sink; wait until every
 * accepted one arrived, stop the gateway, and judge the sink's receipts ({@link TransactionalLatency}).
 */
final class TransactionalBench {

  /** The project's goal (issue 20): p99 from the POST to the sink under 250 ms while the backlog drains. */
  static final double GOAL_P99_MS = 250.0;
  /** Transactional POSTs unanswered at once beyond which a due one is not sent (and counted as dropped). */
  static final int MAX_OUTSTANDING = 64;
  private static final long POLL_MS = 100;
  private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final TransactionalOptions options;
  private final Progress progress;

  TransactionalBench(TransactionalOptions options, Progress progress) {
    this.options = options;
    this.progress = progress;
  }

  /**
   * What the run did: the backlog's POSTs; the transactional POSTs and when each accepted one started; the window
   * in which they were posted (from the first to the last answer) and the CPU over it; how the wait for their
   * arrivals ended.
   */
  record Run(IntakeLoad.Phase backlogPosts, IntakeLoad.Phase transactionalPosts, Map<Long, Instant> postStarts,
             Instant windowStart, Instant windowEnd, JsonObject cpu, boolean allArrived, String waitProblem,
             Instant waitEnd) {
  }

  /**
   * What is known once the gateway stopped: its exit code, every receipt, the messages' states, and how the gateway
   * took each transactional message ({@link BenchDatabase#claimDelaysMillis}).
   */
  record After(int exitCode, List<Receipt> receipts, JsonObject states, Map<String, Long> claimDelays) {
  }

  /**
   * Watches the claims ({@link BenchDatabase#watchClaims}), enqueues the backlog, posts the transactional batches while
   * it drains, waits for them at the sink.
   */
  Run measure(Vertx vertx, SandboxServer sink, GatewayProcess child, String apiKey, BenchSession session)
    throws SQLException {
    session.pg().watchClaims(session.database());
    int batchSize = options.backlogBatchSize;
    int backlogBatches = options.backlog / batchSize;
    progress.say("pre-generating the backlog: %d batches of %d marketing recipients, and %d transactional batches",
      backlogBatches, batchSize, options.batches());
    Supplier<IntakeLoad.Batch> backlog = IntakeLoad.pregenerated(new Recipients(batchSize), new AtomicLong(),
      backlogBatches);
    Instant[] starts = new Instant[options.batches()];
    Supplier<IntakeLoad.Batch> transactional = transactionalBatches(starts);
    session.checkpoint(progress);
    sink.reset();

    Duration timeout = Duration.ofSeconds(options.timeoutSeconds);
    IntakeLoad.Phase backlogPosts;
    try (IntakeLoad load = new IntakeLoad(vertx, child.port(), apiKey, options.backlogClients, false, child::isAlive)) {
      progress.say("enqueuing the backlog: %d marketing messages from %d clients", options.backlog,
        options.backlogClients);
      // Bounded by the time a whole backlog takes at 1,000 recipients/s, at least the timeout.
      backlogPosts = load.run(backlog, timeout.plusSeconds(options.backlog / 1000)).await();
    }
    progress.say("backlog enqueued: %d recipients accepted in %.2f s (%.0f/s), %d errors; %d messages at the sink so far",
      backlogPosts.recipientsAccepted, backlogPosts.elapsedSeconds(),
      Reports.perSecond(backlogPosts.recipientsAccepted, backlogPosts.elapsedSeconds()), backlogPosts.errors,
      sink.uniqueCount());

    progress.say("posting %d one-recipient transactional batches at %.1f/s for %d s while the backlog drains",
      options.batches(), options.rate, options.durationSeconds);
    IntakeLoad.Phase posts;
    CpuUsage cpu = new CpuUsage(child.pid());
    CpuUsage.Snapshot before = cpu.snapshot();
    Instant windowStart = Instant.now();
    try (IntakeLoad load = new IntakeLoad(vertx, child.port(), apiKey, MAX_OUTSTANDING, false, child::isAlive)) {
      posts = load.runAtRate(transactional, options.rate, Duration.ofSeconds(options.durationSeconds), MAX_OUTSTANDING)
        .await();
    }
    JsonObject split = CpuUsage.between(before, cpu.snapshot(), Runtime.getRuntime().availableProcessors());
    Instant windowEnd = windowStart.plusNanos(posts.endNanos - posts.startNanos);
    progress.say("transactional POSTs answered: %d requests, %d accepted, %d errors, %d not sent (too many unanswered)",
      posts.requests, posts.recipientsAccepted, posts.errors, posts.dropped);

    Map<Long, Instant> postStarts = new HashMap<>();
    for (IntakeLoad.Accepted a : posts.accepted) {
      postStarts.put(a.number(), starts[(int) a.number()]);
    }
    Wait wait = awaitTransactional(vertx, sink, postStarts.keySet(), child, timeout);
    progress.say("%s", wait.problem == null ? "every accepted transactional message is at the sink" : wait.problem);
    return new Run(backlogPosts, posts, postStarts, windowStart, windowEnd, split, wait.problem == null, wait.problem,
      wait.end);
  }

  /** Stops the gateway (SIGTERM: it finishes its provider calls), then reads every receipt and the states. */
  After stop(GatewayProcess child, SandboxServer sink, BenchSession session) throws SQLException {
    int exitCode = child.stop();
    progress.say("stopped the gateway (exit code %d)", exitCode);
    return new After(exitCode, sink.receipts(), session.pg().messageStates(session.database()),
      session.pg().claimDelaysMillis(session.database(), TransactionalLatency.CAMPAIGN));
  }

  /** The transactional batches, made now; the start of each one's POST goes into {@code starts} as it is taken. */
  private Supplier<IntakeLoad.Batch> transactionalBatches(Instant[] starts) {
    IntakeLoad.Batch[] pool = new IntakeLoad.Batch[starts.length];
    for (int n = 0; n < pool.length; n++) {
      pool[n] = new IntakeLoad.Batch(n, Buffer.buffer(TransactionalLatency.requestBody(n)));
    }
    AtomicInteger taken = new AtomicInteger();
    return () -> {
      int n = taken.getAndIncrement();
      if (n >= pool.length) {
        return null;
      }
      // Taken right before the POST is sent: its start.
      starts[n] = Instant.now();
      IntakeLoad.Batch batch = pool[n];
      pool[n] = null;
      return batch;
    };
  }

  private record Wait(String problem, Instant end) {
  }

  /**
   * Waits until every accepted transactional message has arrived at the sink (at least once), the gateway
   * exits or {@code timeout} passes, reading the sink's new receipts every {@value #POLL_MS} ms.
   */
  private Wait awaitTransactional(Vertx vertx, SandboxServer sink, Set<Long> accepted, GatewayProcess child,
                                  Duration timeout) {
    Promise<Wait> done = Promise.promise();
    Set<Long> arrived = new HashSet<>();
    int[] scanned = {0};
    long deadline = System.nanoTime() + timeout.toNanos();
    long[] nextReport = {System.nanoTime() + PROGRESS_EVERY_NANOS};
    vertx.setPeriodic(POLL_MS, timer -> {
      List<Receipt> receipts = sink.receipts();
      for (int i = scanned[0]; i < receipts.size(); i++) {
        long n = TransactionalLatency.indexOf(receipts.get(i).recipientId());
        if (n >= 0 && accepted.contains(n)) {
          arrived.add(n);
        }
      }
      scanned[0] = receipts.size();
      long now = System.nanoTime();
      String problem = null;
      boolean end = false;
      if (arrived.size() >= accepted.size()) {
        end = true;
      } else if (!child.isAlive()) {
        problem = "the gateway process exited while " + (accepted.size() - arrived.size())
          + " transactional messages had not arrived";
      } else if (now >= deadline) {
        problem = "timed out: " + arrived.size() + " of " + accepted.size() + " transactional messages had arrived "
          + timeout.toSeconds() + " s after the last POST";
      } else if (now >= nextReport[0]) {
        nextReport[0] = now + PROGRESS_EVERY_NANOS;
        progress.say("%d of %d transactional messages at the sink; %d messages in all", arrived.size(),
          accepted.size(), sink.uniqueCount());
      }
      if (end || problem != null) {
        vertx.cancelTimer(timer);
        done.tryComplete(new Wait(problem, Instant.now()));
      }
    });
    return done.future().await();
  }

  /** Whether the run failed: a POST failed or was not sent, a transactional message lost or duplicated, the gateway died. */
  static List<String> problems(JsonObject json) {
    List<String> problems = new ArrayList<>();
    JsonObject backlog = json.getJsonObject("backlog");
    JsonObject posts = backlog.getJsonObject("posts");
    if (posts.getLong("errors") > 0) {
      problems.add(posts.getLong("errors") + " backlog POSTs failed: " + posts.getJsonArray("error_samples").encode());
    }
    if (posts.getLong("recipients_accepted").longValue() != backlog.getLong("messages").longValue()) {
      problems.add("the gateway accepted " + posts.getLong("recipients_accepted") + " of the backlog's "
        + backlog.getLong("messages") + " messages");
    }
    if (posts.getString("aborted") != null) {
      problems.add("the backlog's POSTs stopped: " + posts.getString("aborted"));
    }
    JsonObject t = json.getJsonObject("transactional");
    if (t.getLong("errors") > 0) {
      problems.add(t.getLong("errors") + " transactional POSTs failed: " + t.getJsonArray("error_samples").encode());
    }
    if (t.getLong("dropped") > 0) {
      problems.add(t.getLong("dropped") + " transactional batches were not sent: " + MAX_OUTSTANDING
        + " POSTs were unanswered when they were due");
    }
    if (t.getString("aborted") != null) {
      problems.add("the transactional POSTs stopped: " + t.getString("aborted"));
    }
    if (t.getLong("lost") > 0) {
      problems.add(t.getLong("lost") + " accepted transactional messages never reached the sink ("
        + t.getString("wait_problem") + ")");
    }
    if (t.getLong("duplicates") > 0) {
      problems.add("the sink received " + t.getLong("duplicates") + " transactional duplicates");
    }
    if (t.getLong("unmatched_receipts") > 0) {
      problems.add("the sink received " + t.getLong("unmatched_receipts") + " transactional messages of no POST");
    }
    if (backlog.getLong("duplicates") > 0) {
      problems.add("the sink received " + backlog.getLong("duplicates") + " backlog duplicates");
    }
    return problems;
  }

  /** The part's result: the backlog, the transactional messages, the window, the goal, the series. */
  JsonObject json(Run run, After after) {
    TransactionalLatency.Judged judged = TransactionalLatency.judge(run.postStarts(), after.receipts(),
      run.windowStart(), run.windowEnd());
    IntakeLoad.Phase b = run.backlogPosts();
    IntakeLoad.Phase t = run.transactionalPosts();
    long backlog = options.backlog;
    double windowSeconds = Duration.between(run.windowStart(), run.windowEnd()).toNanos() / 1e9;
    long pendingAtStart = backlog - judged.backlogBeforeWindow();
    long pendingAtEnd = pendingAtStart - judged.backlogDuringWindow();
    JsonObject latency = judged.latencyJson();
    Double p99 = latency.getDouble("p99");
    boolean clean = judged.lost() == 0 && judged.duplicates() == 0 && judged.unmatched() == 0 && t.errors == 0
      && t.dropped == 0 && t.abortReason == null && judged.accepted() == options.batches();
    boolean met = clean && p99 != null && p99 < GOAL_P99_MS;
    return new JsonObject()
      .put("backlog", new JsonObject()
        .put("messages", backlog)
        .put("priority", Recipients.PRIORITY)
        .put("batch_size", options.backlogBatchSize)
        .put("clients", options.backlogClients)
        .put("posts", postsJson(b, b.recipientsAccepted))
        .put("delivered_before_window", judged.backlogBeforeWindow())
        .put("delivered_during_window", judged.backlogDuringWindow())
        .put("delivered_after_window", judged.backlogAfterWindow())
        .put("pending_at_window_start", pendingAtStart)
        .put("pending_at_window_end", pendingAtEnd)
        .put("drained_share_during_window", backlog > 0 ? Reports.round((double) judged.backlogDuringWindow() / backlog, 4) : 0)
        .put("messages_per_second_during_window",
          Reports.round(Reports.perSecond(judged.backlogDuringWindow(), windowSeconds), 1))
        .put("duplicates", judged.backlogDuplicates()))
      .put("transactional", new JsonObject()
        .put("rate_per_second", options.rate)
        .put("duration_seconds", options.durationSeconds)
        .put("batches_due", (long) t.scheduled.size() + t.dropped)
        .put("requests", t.requests)
        .put("accepted", judged.accepted())
        .put("dropped", t.dropped)
        .put("max_outstanding", MAX_OUTSTANDING)
        .put("errors", t.errors)
        .put("errors_by_kind", new JsonObject(new LinkedHashMap<>(t.errorsByKind)))
        .put("error_samples", new JsonArray(new ArrayList<>(t.errorSamples)))
        .put("aborted", t.abortReason)
        .put("post_latency_ms", IntakeBench.latencyJson(t.latencyMicros))
        .put("delivered", judged.delivered())
        .put("lost", judged.lost())
        .put("duplicates", judged.duplicates())
        .put("unmatched_receipts", judged.unmatched())
        .put("wait_problem", run.waitProblem())
        .put("latency_ms", latency)
        .put("paths", TransactionalLatency.paths(judged.latencyByMessage(), after.claimDelays())))
      .put("window", new JsonObject()
        .put("started_at", run.windowStart().toString())
        .put("seconds", Reports.round(windowSeconds, 3))
        .put("cpu_cores", run.cpu()))
      .put("under_backlog_whole_window", pendingAtEnd > 0)
      .put("goal_p99_ms", GOAL_P99_MS)
      .put("goal_met", met)
      .put("duplicates", judged.duplicates() + judged.backlogDuplicates())
      .put("lost", judged.lost())
      .put("message_states", after.states())
      .put("gateway_exit_code", after.exitCode())
      .put("series", series(run, after.receipts()));
  }

  private static JsonObject postsJson(IntakeLoad.Phase p, long accepted) {
    return new JsonObject()
      .put("requests", p.requests)
      .put("seconds", Reports.round(p.elapsedSeconds(), 3))
      .put("recipients_accepted", accepted)
      .put("recipients_per_second", Reports.round(Reports.perSecond(accepted, p.elapsedSeconds()), 1))
      .put("recipients_rejected", p.recipientsRejected)
      .put("errors", p.errors)
      .put("error_samples", new JsonArray(new ArrayList<>(p.errorSamples)))
      .put("aborted", p.abortReason)
      .put("latency_ms", IntakeBench.latencyJson(p.latencyMicros));
  }

  /**
   * From the window's start to the last transactional arrival (at least the window's end): backlog and transactional
   * messages arriving per second (first arrivals), and the p50/p99 of the transactional latency by arrival.
   */
  private static JsonObject series(Run run, List<Receipt> receipts) {
    Instant start = run.windowStart();
    Instant end = run.windowEnd();
    for (Receipt r : receipts) {
      if (TransactionalLatency.indexOf(r.recipientId()) >= 0 && r.receivedAt().isAfter(end)) {
        end = r.receivedAt();
      }
    }
    TimeSeries series = TimeSeries.over(Duration.between(start, end).toNanos())
      .rate("backlog_arrivals_per_second").rate("transactional_arrivals_per_second").latency("transactional");
    Set<String> seen = new HashSet<>();
    for (Receipt r : receipts) {
      if (!seen.add(r.idempotencyKey())) {
        continue;
      }
      long at = Duration.between(start, r.receivedAt()).toNanos();
      long n = TransactionalLatency.indexOf(r.recipientId());
      Instant posted = n >= 0 ? run.postStarts().get(n) : null;
      if (posted != null) {
        series.count("transactional_arrivals_per_second", at, 1);
        series.sample("transactional", at, Math.max(1, Duration.between(posted, r.receivedAt()).toNanos() / 1_000));
      } else if (n < 0) {
        series.count("backlog_arrivals_per_second", at, 1);
      }
    }
    return series.toJson();
  }

  /** The part's summary lines, as the command and the report print them. */
  static String summary(JsonObject r) {
    JsonObject b = r.getJsonObject("backlog");
    JsonObject bp = b.getJsonObject("posts");
    JsonObject t = r.getJsonObject("transactional");
    JsonObject lat = t.getJsonObject("latency_ms");
    JsonObject post = t.getJsonObject("post_latency_ms");
    JsonObject w = r.getJsonObject("window");
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT,
      "  backlog    %d %s messages in batches of %d: accepted in %.2f s (%.0f recipients/s), %d errors%n",
      b.getLong("messages"), b.getString("priority"), b.getInteger("batch_size"), bp.getDouble("seconds"),
      bp.getDouble("recipients_per_second"), bp.getLong("errors")));
    s.append(String.format(Locale.ROOT,
      "  window     %.2f s: backlog pending %d at its start, %d at its end; %d delivered in it (%.1f%% of the backlog, "
        + "%.0f messages/s)%s%n",
      w.getDouble("seconds"), b.getLong("pending_at_window_start"), b.getLong("pending_at_window_end"),
      b.getLong("delivered_during_window"), b.getDouble("drained_share_during_window") * 100,
      b.getDouble("messages_per_second_during_window"),
      r.getBoolean("under_backlog_whole_window") ? "" : "; the backlog ran out before the window ended: raise --backlog"));
    s.append(String.format(Locale.ROOT,
      "  transactional %d due at %.1f/s, %d accepted, %d errors, %d not sent; POST p50 %s ms, p99 %s ms%n",
      t.getLong("batches_due"), t.getDouble("rate_per_second"), t.getLong("accepted"), t.getLong("errors"),
      t.getLong("dropped"), post.getValue("p50"), post.getValue("p99")));
    s.append(String.format(Locale.ROOT,
      "  delivery   POST start -> sink: p50 %s ms, p90 %s ms, p99 %s ms, max %s ms; delivered %d, lost %d, "
        + "duplicates %d%n",
      lat.getValue("p50"), lat.getValue("p90"), lat.getValue("p99"), lat.getValue("max"), t.getLong("delivered"),
      t.getLong("lost"), t.getLong("duplicates")));
    JsonObject paths = t.getJsonObject("paths");
    JsonObject handed = paths.getJsonObject("handed_over");
    JsonObject claimed = paths.getJsonObject("claimed");
    JsonObject wait = claimed.getJsonObject("wait_for_claim");
    s.append(String.format(Locale.ROOT,
      "  paths      handed to the dispatcher at intake %d (p50 %s ms, p99 %s ms); stored queued and claimed %d "
        + "(p50 %s ms, p99 %s ms; insert -> claim p50 %s ms, p99 %s ms)%n",
      handed.getLong("messages"), handed.getValue("p50_ms"), handed.getValue("p99_ms"), claimed.getLong("messages"),
      claimed.getValue("p50_ms"), claimed.getValue("p99_ms"), wait.getValue("p50_ms"), wait.getValue("p99_ms")));
    s.append(Reports.cpuLine(w.getJsonObject("cpu_cores")));
    s.append(String.format(Locale.ROOT, "  goal       p99 < %.0f ms (and none lost or duplicated): %s%n",
      r.getDouble("goal_p99_ms"), r.getBoolean("goal_met") ? "met" : "NOT met"));
    return s.toString();
  }
}
