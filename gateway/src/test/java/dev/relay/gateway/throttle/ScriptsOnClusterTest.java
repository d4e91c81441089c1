package dev.relay.gateway.throttle;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisCluster;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The throttle's two Lua scripts on a real three-node Redis Cluster (processes of the test's own on
 * loopback): every call's keys share one hash tag, so each call runs whole on the node that owns its
 * slot, and a tenant's recipients spread over every node.
 */
@DisplayName("Throttle scripts on a three-node Redis Cluster: one slot per call, calls over every node")
class ScriptsOnClusterTest {

  private static final List<Process> NODES = new ArrayList<>();
  private static final List<Integer> PORTS = new ArrayList<>();
  private static Vertx vertx;
  private static Redis redis;

  @BeforeAll
  static void start() throws Exception {
    String binary = System.getProperty("relay.redis-server", "/usr/bin/redis-server");
    Path dir = Files.createDirectories(Path.of("target", "redis-cluster-" + System.nanoTime()));
    for (int i = 0; i < 3; i++) {
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      PORTS.add(port);
      NODES.add(new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf", "--save", "",
        "--appendonly", "no", "--dir", dir.toAbsolutePath().toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("node-" + port + ".log").toFile())
        .start());
      awaitListening(port);
    }
    List<String> create = new ArrayList<>(List.of(
      System.getProperty("relay.redis-cli", "/usr/bin/redis-cli"), "--cluster", "create"));
    PORTS.forEach(p -> create.add("127.0.0.1:" + p));
    create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    Process cli = new ProcessBuilder(create).redirectErrorStream(true)
      .redirectOutput(dir.resolve("create.log").toFile()).start();
    assertThat(cli.waitFor(30, TimeUnit.SECONDS)).as("redis-cli --cluster create ended").isTrue();
    assertThat(cli.exitValue()).as("redis-cli --cluster create, see " + dir.resolve("create.log")).isZero();

    vertx = Vertx.vertx();
    RedisOptions options = new RedisOptions().setType(RedisClientType.CLUSTER);
    PORTS.forEach(p -> options.addConnectionString("redis://127.0.0.1:" + p));
    redis = Redis.createClient(vertx, options);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!clusterReady()) {
      assertThat(System.nanoTime()).as("the cluster's state is ok within 30 s").isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  private static void awaitListening(int port) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw notYet;
        }
        Thread.sleep(20);
      }
    }
  }

  private static boolean clusterReady() {
    try {
      for (Response info : await(RedisCluster.create(redis).onAllMasterNodes(Request.cmd(Command.CLUSTER).arg("INFO")))) {
        if (!info.toString().contains("cluster_state:ok")) {
          return false;
        }
      }
      return true;
    } catch (RuntimeException notYet) {
      return false;
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (redis != null) {
      redis.close();
    }
    if (vertx != null) {
      await(vertx.close());
    }
    for (Process node : NODES) {
      node.destroyForcibly().waitFor();
    }
    NODES.clear();
    PORTS.clear();
    redis = null;
    vertx = null;
  }

  /** The script loaded on every master, as the gateway's {@link LuaScript} expects of one Redis. */
  private static LuaScript script(String resource) throws IOException {
    String source;
    try (var in = ScriptsOnClusterTest.class.getClassLoader().getResourceAsStream(resource)) {
      source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    await(RedisCluster.create(redis).onAllMasterNodes(Request.cmd(Command.SCRIPT).arg("LOAD").arg(source)));
    return LuaScript.load(resource, redis, 5_000);
  }

  private static int slot(String key) {
    return await(redis.send(Request.cmd(Command.CLUSTER).arg("KEYSLOT").arg(key))).toInteger();
  }

  /** The port of the master that owns {@code slot}. */
  private static int owner(int slot) {
    for (Response range : await(redis.send(Request.cmd(Command.CLUSTER).arg("SLOTS")))) {
      if (range.get(0).toInteger() <= slot && slot <= range.get(1).toInteger()) {
        return range.get(2).get(1).toInteger();
      }
    }
    throw new IllegalStateException("no node owns slot " + slot);
  }

  @Test
  @DisplayName("caps: one batch of calls for 64 buckets of a tenant's recipients, spread over all three nodes")
  void capsOverEveryNode() throws Exception {
    LuaScript caps = script("throttle/caps.lua");
    List<LuaScript.Call> calls = new ArrayList<>();
    Set<Integer> slots = new HashSet<>();
    for (int bucket = 0; bucket < 64; bucket++) {
      String tag = "{r:7:" + bucket + "}";
      List<String> keys = List.of("relay:test:caps:" + tag + ":a" + bucket, "relay:test:caps:" + tag + ":b" + bucket,
        "relay:test:caps:" + tag + ":a" + bucket);
      slots.add(slot(keys.get(0)));
      calls.add(new LuaScript.Call(keys, List.of("1", "86400000", "1", "m1", "m2", "m3")));
    }
    assertThat(slots.stream().map(ScriptsOnClusterTest::owner).distinct().count()).as("nodes the calls run on")
      .isEqualTo(3);
    // One call at a time: Vert.x's cluster client refuses a batch whose keys span slots, which is why the
    // gateway, whose runAll batches a group's calls, connects to one Redis (see the README).
    List<Response> results = new ArrayList<>();
    for (LuaScript.Call call : calls) {
      results.add(await(caps.run(call)));
    }
    assertThat(results).hasSize(64);
    for (Response r : results) {
      assertThat(r.get(0).toInteger()).as("a's first message").isZero();
      assertThat(r.get(2).toInteger()).as("b's first message").isZero();
      assertThat(r.get(4).toInteger()).as("a's second message, over 1 a day").isEqualTo(1);
    }
  }

  @Test
  @DisplayName("rates: an account bucket, and a tenant's and its campaign's in one call, on the nodes of their tags")
  void ratesOnTheirNodes() throws Exception {
    LuaScript gcra = script("throttle/gcra.lua");
    RateBuckets buckets = new RateBuckets(gcra);
    Limit limit = new Limit(100, 10);
    RateBuckets.Grant account = await(buckets.reserve(
      List.of(RateBuckets.Bucket.fixed("relay:test:rate:{a:crm-hooks}", limit)), 25));
    assertThat(account.granted()).as("a burst of 10 at most, and the cell the rate frees").isBetween(10, 12);
    String tenant = "relay:test:rate:{t:7}";
    assertThat(slot(tenant)).isEqualTo(slot(tenant + ":c:9"));
    RateBuckets.Grant both = await(buckets.reserve(List.of(RateBuckets.Bucket.fixed(tenant, new Limit(1000, 100)),
      RateBuckets.Bucket.fixed(tenant + ":c:9", limit)), 50));
    assertThat(both.granted()).as("the campaign's burst binds").isBetween(10, 12);
    assertThat(both.binding()).as("the campaign's bucket").isEqualTo(1);
  }
}
