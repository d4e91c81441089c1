package dev.relay.loadtests;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PeerBenchTest {

  @Test
  @DisplayName("A run's CPU per message is its own processes' and PostgreSQL's cores over its rate; WAL over its messages")
  void oneRunsFigures() {
    JsonObject cpu = cpu("gateway", 1.2, 0.35);
    JsonObject run = PeerBench.phase("relay", "round", 1, 50_000, 50_000, 8.0, true, null, 0, cpu,
      writes(60_000_000L), 1000, 1440.5);

    // 50,000 in 8 s = 6,250 messages/s; (1.2 + 0.35) cores / 6,250 = 0.248 ms per message.
    assertThat(run.getDouble("messages_per_second")).isEqualTo(6250.0);
    assertThat(run.getDouble("own_cores")).isEqualTo(1.55);
    assertThat(run.getDouble("cpu_ms_per_message")).isEqualTo(0.248);
    assertThat(run.getLong("wal_bytes")).isEqualTo(60_000_000L);
    assertThat(run.getDouble("wal_bytes_per_message")).isEqualTo(1200.0);
    assertThat(run.getDouble("messages_per_request")).isEqualTo(50.0);

    JsonObject unread = PeerBench.phase("peer", "round", 1, 1000, 1000, 1.0, true, null, 0, new JsonObject(), null, 0,
      null);
    assertThat(unread.getValue("cpu_ms_per_message")).isNull();
    assertThat(unread.getValue("wal_bytes_per_message")).isNull();
    assertThat(unread.getValue("messages_per_request")).isNull();
  }

  @Test
  @DisplayName("The peer's processes are its own_processes in the CPU split, not a gateway, and count as its own CPU")
  void peerCpuIsItsOwn() {
    JsonObject split = CpuUsage.between(snapshot(0), snapshot(100), 2);
    JsonObject peer = PeerBench.peerCpu(split.copy().put("gateway", 0.8)
      .put("jvm_threads", new JsonObject().put("gateway", new JsonObject()).put("load_generator", new JsonObject())));

    assertThat(peer.containsKey("gateway")).isFalse();
    assertThat(peer.getDouble("own_processes")).isEqualTo(0.8);
    assertThat(peer.getJsonObject("jvm_threads").fieldNames()).containsExactly("load_generator");
    assertThat(PeerBench.ownCores(peer)).isEqualTo(0.8 + peer.getDouble("postgresql"));
    assertThat(PeerBench.ownCores(new JsonObject())).isNull();
  }

  @Test
  @DisplayName("Runs of a side add up: rate over the summed time, CPU weighted by each run's time, WAL over all messages")
  void aggregateWeightsByTime() {
    JsonObject fast = PeerBench.phase("relay", "round", 1, 50_000, 50_000, 5.0, true, null, 0,
      cpu("gateway", 1.0, 0.5), writes(50_000_000L), 1000, 1440.0);
    JsonObject slow = PeerBench.phase("relay", "round", 2, 50_000, 50_000, 10.0, true, null, 0,
      cpu("gateway", 1.5, 0.5), writes(100_000_000L), 1000, 1440.0);

    JsonObject all = PeerBench.aggregate(List.of(fast, slow));

    // 100,000 in 15 s; CPU 1.5 cores * 5 s + 2.0 cores * 10 s = 27.5 s over 100,000 = 0.275 ms; WAL 1,500 B.
    assertThat(all.getDouble("messages_per_second")).isEqualTo(6666.7);
    assertThat(all.getDouble("cpu_ms_per_message")).isEqualTo(0.275);
    assertThat(all.getDouble("wal_bytes_per_message")).isEqualTo(1500.0);
    assertThat(all.getJsonArray("runs_messages_per_second")).isEqualTo(new JsonArray().add(10000.0).add(5000.0));
    assertThat(all.getLong("lost")).isZero();

    JsonObject noWal = PeerBench.phase("relay", "round", 3, 1000, 900, 1.0, false, "timed out", 0,
      cpu("gateway", 1.0, 0.5), null, 18, null);
    JsonObject partial = PeerBench.aggregate(List.of(fast, noWal));
    assertThat(partial.getValue("wal_bytes_per_message")).isNull();
    assertThat(partial.getLong("lost")).isEqualTo(100);
  }

  @Test
  @DisplayName("The ratios are Relay's over the peer's; the goals are met at 1.5x throughput, 0.7x CPU, 1,200 B WAL")
  void ratiosAndGoals() {
    List<JsonObject> phases = List.of(
      run("relay", "cold", 0, 4.0, 1.6, 3000L),
      run("peer", "cold", 0, 5.0, 1.6, 1500L),
      run("relay", "round", 1, 4.0, 1.4, 1200L),
      run("peer", "round", 1, 6.0, 1.0, 1500L));

    JsonObject summary = PeerBench.summarize(phases);

    JsonObject warm = summary.getJsonObject("warm");
    // Relay: 10,000 in 4 s = 2,500/s, 1.4 cores -> 0.56 ms; peer: 10,000 in 6 s = 1,666.7/s, 1.0 core -> 0.6 ms.
    assertThat(warm.getJsonObject("ratios").getDouble("throughput")).isEqualTo(1.5);
    assertThat(warm.getJsonObject("ratios").getDouble("cpu_per_message")).isEqualTo(0.9333);
    assertThat(warm.getJsonObject("ratios").getDouble("wal_per_message")).isEqualTo(0.8);
    assertThat(summary.getJsonObject("cold").getJsonObject("ratios").getDouble("throughput")).isEqualTo(1.25);
    JsonArray goals = summary.getJsonArray("goals");
    assertThat(goal(goals, "peer_throughput_ratio").getBoolean("met")).isTrue();
    assertThat(goal(goals, "peer_cpu_ratio").getDouble("figure")).isEqualTo(0.9333);
    assertThat(goal(goals, "peer_cpu_ratio").getBoolean("met")).isFalse();
    assertThat(goal(goals, "relay_wal_per_message").getDouble("figure")).isEqualTo(1200.0);
    assertThat(goal(goals, "relay_wal_per_message").getBoolean("met")).isTrue();
    assertThat(summary.getBoolean("goals_met")).isFalse();
    assertThat(summary.getJsonObject("content_bytes_per_message"))
      .isEqualTo(new JsonObject().put("relay", 1440.0).put("peer", 1440.0).put("same_size", true));

    JsonArray unmeasured = PeerBench.goals(new JsonObject().put("relay", new JsonObject())
      .put("peer", new JsonObject()).put("ratios", new JsonObject()));
    assertThat(unmeasured).hasSize(3);
    unmeasured.forEach(g -> {
      assertThat(((JsonObject) g).getValue("figure")).isNull();
      assertThat(((JsonObject) g).getBoolean("met")).isFalse();
    });
  }

  @Test
  @DisplayName("The gateway's JIT compiler time per message adds up like its CPU; unknown when a run lacks it")
  void jitCompilerPerMessage() {
    JsonObject fast = PeerBench.phase("relay", "cold", 0, 50_000, 50_000, 5.0, true, null, 0,
      cpu("gateway", 1.0, 0.5), writes(50_000_000L), 1000, 1440.0);
    JsonObject slow = PeerBench.phase("relay", "cold", 0, 50_000, 50_000, 10.0, true, null, 0,
      cpu("gateway", 1.6, 0.5), writes(50_000_000L), 1000, 1440.0);

    // 0.25 cores for 5 s + 0.4 cores for 10 s = 5.25 s of compiling over 100,000 messages = 0.0525 ms.
    assertThat(PeerBench.aggregate(List.of(fast, slow)).getDouble("jit_ms_per_message")).isEqualTo(0.0525);
    assertThat(PeerBench.jitCores(fast.getJsonObject("cpu_cores"))).isEqualTo(0.25);

    JsonObject peer = run("peer", "cold", 0, 5.0, 1.6, 1500L);
    assertThat(PeerBench.jitCores(peer.getJsonObject("cpu_cores"))).isNull();
    assertThat(PeerBench.aggregate(List.of(fast, peer)).getValue("jit_ms_per_message")).isNull();
    assertThat(PeerBench.aggregate(List.of()).getValue("jit_ms_per_message")).isNull();
  }

  @Test
  @DisplayName("A cold run without the AOT cache is summed apart and compared with the peer's cold run; absent without one")
  void coldWithoutTheAotCache() {
    List<JsonObject> phases = List.of(
      run("relay", "cold", 0, 4.0, 1.6, 1500L),
      run("peer", "cold", 0, 5.0, 1.6, 1500L),
      run("relay", "round", 1, 4.0, 1.4, 1000L),
      run("peer", "round", 1, 6.0, 1.0, 1500L),
      run("relay", PeerBench.COLD_WITHOUT_AOT_CACHE, 0, 8.0, 1.8, 1500L));

    JsonObject summary = PeerBench.summarize(phases);

    JsonObject without = summary.getJsonObject(PeerBench.COLD_WITHOUT_AOT_CACHE);
    // 10,000 in 8 s = 1,250/s against the peer's cold 2,000/s; with the cache 2,500/s, 1.25x.
    assertThat(without.getJsonObject("relay").getDouble("messages_per_second")).isEqualTo(1250.0);
    assertThat(without.getJsonObject("ratios").getDouble("throughput")).isEqualTo(0.625);
    assertThat(summary.getJsonObject("cold").getJsonObject("ratios").getDouble("throughput")).isEqualTo(1.25);
    assertThat(summary.getJsonObject("cold").getJsonObject("relay").getInteger("runs")).isEqualTo(1);
    assertThat(PeerReport.kinds(summary)).containsExactly("warm", "cold", PeerBench.COLD_WITHOUT_AOT_CACHE);
    assertThat(PeerReport.runLabel(phases.get(4))).isEqualTo("Relay, cold, no AOT cache");
    assertThat(PeerReport.runLabel(run("relay", "cold", 2, 4.0, 1.6, 1500L)))
      .isEqualTo("Relay, cold (fresh gateway, pair 2)");
    // Its messages count in exactly-once like any other run's.
    assertThat(summary.getLong("lost")).isZero();

    JsonObject plain = PeerBench.summarize(phases.subList(0, 4));
    assertThat(plain.containsKey(PeerBench.COLD_WITHOUT_AOT_CACHE)).isFalse();
    assertThat(PeerReport.kinds(plain)).containsExactly("warm", "cold");
  }

  @Test
  @DisplayName("The fresh gateways' cold runs add up per arm: every run with the cache in cold, every one without apart")
  void coldPairsAddUpPerArm() {
    List<JsonObject> phases = List.of(
      run("relay", "cold", 0, 4.0, 1.6, 1500L),
      run("peer", "cold", 0, 5.0, 1.6, 1500L),
      run("relay", "round", 1, 2.0, 1.4, 1000L),
      run("peer", "round", 1, 4.0, 1.0, 1500L),
      run("relay", PeerBench.COLD_WITHOUT_AOT_CACHE, 1, 6.0, 1.8, 1500L),
      run("relay", "cold", 1, 5.0, 1.6, 1500L),
      run("relay", "cold", 2, 3.0, 1.6, 1500L),
      run("relay", PeerBench.COLD_WITHOUT_AOT_CACHE, 2, 10.0, 1.8, 1500L));

    JsonObject summary = PeerBench.summarize(phases);

    // With the cache: 30,000 in 4 + 5 + 3 = 12 s = 2,500/s; without: 20,000 in 16 s = 1,250/s.
    JsonObject cold = summary.getJsonObject("cold").getJsonObject("relay");
    assertThat(cold.getInteger("runs")).isEqualTo(3);
    assertThat(cold.getDouble("messages_per_second")).isEqualTo(2500.0);
    JsonObject without = summary.getJsonObject(PeerBench.COLD_WITHOUT_AOT_CACHE).getJsonObject("relay");
    assertThat(without.getInteger("runs")).isEqualTo(2);
    assertThat(without.getDouble("messages_per_second")).isEqualTo(1250.0);
    assertThat(summary.getJsonObject("warm").getJsonObject("relay").getInteger("runs")).isEqualTo(1);
    assertThat(PeerReport.runs(3, 1)).isEqualTo("Relay 3 runs, peer 1");
    assertThat(PeerReport.runs(3, 3)).isEqualTo("3 runs each");
    assertThat(PeerReport.runs(1, 1)).isEqualTo("1 run each");
  }

  @Test
  @DisplayName("A lost or duplicated message, a failed enqueue, a job not completed or a size mismatch is a problem")
  void problemsOfARun() {
    JsonObject good = run("peer", "round", 2, 4.0, 1.0, 1500L).put("jobs_left", 0L)
      .put("intake", new JsonObject().put("jobs", 10_000L).put("errors", 0L));
    assertThat(PeerBench.phaseProblems(good)).isEmpty();

    JsonObject lost = PeerBench.phase("peer", "round", 2, 10_000, 9000, 4.0, true, null, 3,
      cpu("own_processes", 1.0, 0.4), writes(1L), 200, 1440.0)
      .put("jobs_left", 1000L).put("intake", new JsonObject().put("jobs", 9000L).put("errors", 1L)
        .put("error_samples", new JsonArray().add("error: deadlock detected")));
    assertThat(PeerBench.phaseProblems(lost)).containsExactly(
      "peer round 2: 1000 of 10000 messages never arrived",
      "peer round 2: the sink received 3 duplicates",
      "peer round 2: 1 enqueue requests failed: [\"error: deadlock detected\"]",
      "peer round 2: the peer enqueued 9000 jobs for 10000 messages",
      "peer round 2: 1000 jobs were not completed 60 s after the last arrival");

    JsonObject relay = run("relay", "warmup", 0, 4.0, 1.0, 1500L).put("in_flight_after", 5L)
      .put("complete", false).put("aborted", "timed out: 9990 of 10000 messages had arrived");
    assertThat(PeerBench.phaseProblems(relay)).containsExactly(
      "relay warmup: 0 of 10000 messages never arrived (timed out: 9990 of 10000 messages had arrived)",
      "relay warmup: 5 messages had no outcome recorded 60 s after the last arrival");

    JsonObject bigger = run("peer", "round", 1, 4.0, 1.0, 1500L).put("content_bytes_per_message", 1480.0);
    assertThat(PeerBench.contentSizes(List.of(run("relay", "round", 1, 4.0, 1.0, 1500L), bigger))
      .getBoolean("same_size")).isFalse();
  }

  @Test
  @DisplayName("The enqueuer's last line is read as JSON; anything else names what it printed")
  void enqueuerOutput() {
    JsonObject done = GraphilePeer.parseDone(
      "done {\"batches\":50,\"jobs\":50000,\"errors\":0,\"error_samples\":[],\"seconds\":2.5}");
    assertThat(done.getLong("jobs")).isEqualTo(50_000L);
    assertThat(done.getDouble("seconds")).isEqualTo(2.5);

    assertThatThrownBy(() -> GraphilePeer.parseDone("ready 50")).isInstanceOf(IllegalStateException.class)
      .hasMessageContaining("'ready 50'");
    assertThatThrownBy(() -> GraphilePeer.parseDone("done {\"jobs\":")).isInstanceOf(IllegalStateException.class)
      .hasMessageContaining("unreadable JSON");
    assertThatThrownBy(() -> GraphilePeer.parseDone("done {\"batches\":1,\"jobs\":\"many\",\"errors\":0,\"seconds\":1}"))
      .isInstanceOf(IllegalStateException.class).hasMessageContaining("'jobs'");
  }

  @Test
  @DisplayName("The peer renders the welcome template the gateway ships: its email parts in every locale")
  void welcomeDefinitionIsTheShippedOne() {
    JsonObject welcome = PeerBench.welcomeDefinition();
    assertThat(welcome.getString("default_locale")).isEqualTo("en");
    assertThat(welcome.getJsonObject("locales").getJsonObject("tr").getJsonObject("email").getString("html"))
      .contains("{{first_name}}", "{{unsubscribe_url}}");
  }

  @Test
  @DisplayName("The tuning grid is every combination of the values given, the others at their --peer-* value")
  void tuningGrid() {
    PeerOptions options = new PeerOptions();
    options.workers = 2;
    options.concurrency = 200;
    options.localQueue = 500;
    options.poolSize = 10;
    options.completeDelayMs = 0;
    options.lingerMs = 2;

    List<GraphilePeer.Settings> grid = options.grid(List.of(1, 2), List.of(100, 200, 400), List.of(), List.of(),
      List.of(0, 10), 50, 4);

    assertThat(grid).hasSize(12);
    assertThat(grid.get(0)).isEqualTo(new GraphilePeer.Settings(1, 100, 500, 10, 0, 2, 50, 4));
    assertThat(grid.get(11)).isEqualTo(new GraphilePeer.Settings(2, 400, 500, 10, 10, 2, 50, 4));
    assertThat(grid.get(11).options()).isEqualTo("--peer-workers 2 --peer-concurrency 400 --peer-local-queue 500 "
      + "--peer-pool 10 --peer-complete-delay 10 --peer-linger 2");
    assertThat(options.grid(List.of(), List.of(), List.of(), List.of(), List.of(), 50, 4))
      .containsExactly(options.settings(50, 4));
    assertThatThrownBy(() -> options.grid(List.of(1, 2, 3, 4), List.of(1, 2, 3, 4), List.of(1, 2, 3, 4),
      List.of(2, 3), List.of(), 50, 4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("128");

    assertThat(new GraphilePeer.Settings(2, 200, 500, 10, 0, 2, 50, 4).problem()).isNull();
    assertThat(new GraphilePeer.Settings(2, 200, 1, 10, 0, 2, 50, 4).problem()).contains("local queue");
    assertThat(new GraphilePeer.Settings(2, 200, 500, 1, 0, 2, 50, 4).problem()).contains("pool size 2 to 200");
  }

  @Test
  @DisplayName("The fastest configuration of a tuning run is the one with the most messages per second")
  void fastestConfiguration() {
    JsonArray configurations = new JsonArray()
      .add(new JsonObject().put("options", "a").put("warm", new JsonObject().put("messages_per_second", 5000.0))
        .put("phases", new JsonArray().add(new JsonObject())))
      .add(new JsonObject().put("options", "b").put("warm", new JsonObject().put("messages_per_second", 6400.0))
        .put("phases", new JsonArray().add(new JsonObject())));

    assertThat(PeerBench.best(configurations).getString("options")).isEqualTo("b");
    assertThat(PeerBench.best(configurations).getJsonArray("phases")).isEmpty();
    assertThat(PeerBench.best(new JsonArray())).isNull();
  }

  /** A run of 10,000 messages in {@code seconds}, with {@code cores} of own and PostgreSQL CPU, WAL per message. */
  static JsonObject run(String side, String phase, int round, double seconds, double cores, long walPerMessage) {
    return PeerBench.phase(side, phase, round, 10_000, 10_000, seconds, true, null, 0,
      cpu("relay".equals(side) ? "gateway" : "own_processes", cores * 0.6, cores * 0.4), writes(walPerMessage * 10_000),
      200, 1440.0);
  }

  /** A CPU split as CpuUsage writes it; a gateway's JIT compiler threads take a quarter of its cores. */
  private static JsonObject cpu(String own, double ownCores, double postgresql) {
    JsonObject split = new JsonObject().put(own, ownCores).put("postgresql", postgresql).put("load_generator", 0.3)
      .put("other", 0.01).put("machine_busy", ownCores + postgresql + 0.31).put("machine_cores", 2);
    if ("gateway".equals(own)) {
      split.put("jvm_threads", new JsonObject().put("gateway",
        new JsonObject().put("jit_compiler", ownCores / 4).put("gc", 0.01)));
    }
    return split;
  }

  private static JsonObject writes(long bytes) {
    return new JsonObject().put("wal_bytes", bytes);
  }

  private static CpuUsage.Snapshot snapshot(long busy) {
    return new CpuUsage.Snapshot(busy * 10_000_000L, java.util.Map.of(), java.util.Map.of(), 0, busy, java.util.Map.of(),
      java.util.Map.of(), true);
  }

  private static JsonObject goal(JsonArray goals, String id) {
    return goals.stream().map(JsonObject.class::cast).filter(g -> id.equals(g.getString("id"))).findFirst()
      .orElseThrow(() -> new AssertionError("no goal " + id + " in " + goals.encode()));
  }
}
