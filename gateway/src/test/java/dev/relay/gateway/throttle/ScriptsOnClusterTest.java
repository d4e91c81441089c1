package dev.relay.gateway.throttle;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.PrivateRedisCluster;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The throttle on a real three-node Redis Cluster (processes of the test's own on loopback): every
 * script call's keys share one hash tag, so each call runs whole on the node that owns its slot; a
 * tenant's recipients spread over every node; and a whole gateway with {@code redis.cluster} applies
 * caps and rates there. The scripts are not loaded beforehand: the first calls meet NOSCRIPT and load
 * them on every master.
 */
@DisplayName("Throttle scripts on a three-node Redis Cluster: one slot per call, calls over every node")
class ScriptsOnClusterTest {

  private static PrivateRedisCluster cluster;
  private static Vertx vertx;
  private static Redis redis;

  @BeforeAll
  static void start() throws Exception {
    cluster = PrivateRedisCluster.start();
    vertx = Vertx.vertx();
    RedisOptions options = new RedisOptions().setType(RedisClientType.CLUSTER).setMaxPoolSize(16)
      .setMaxPoolWaiting(1024);
    cluster.uriList().forEach(options::addConnectionString);
    redis = Redis.createClient(vertx, options);
  }

  @AfterAll
  static void stop() throws Exception {
    if (redis != null) {
      redis.close();
    }
    if (vertx != null) {
      await(vertx.close());
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static LuaScript script(String resource) {
    return LuaScript.load(resource, redis, true, 5_000);
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
  void capsOverEveryNode() {
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
    List<Response> results = await(caps.runAll(calls));
    assertThat(results).hasSize(64);
    for (Response r : results) {
      assertThat(r.get(0).toInteger()).as("a's first message").isZero();
      assertThat(r.get(2).toInteger()).as("b's first message").isZero();
      assertThat(r.get(4).toInteger()).as("a's second message, over 1 a day").isEqualTo(1);
    }
  }

  @Test
  @DisplayName("rates: an account bucket, and a tenant's and its campaign's in one call, on the nodes of their tags")
  void ratesOnTheirNodes() {
    LimitStore buckets = LimitStore.redis(redis, true, 5_000);
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

  @Test
  @DisplayName("a gateway with redis.cluster: caps of 300 recipients decide per recipient, the tenant's rate holds")
  void gatewayOnTheCluster() throws Exception {
    SandboxServer sandbox = await(SandboxServer.start(vertx, "127.0.0.1", 0));
    JsonObject account = new JsonObject().put("name", "sandbox-email").put("adapter", "sandbox-email")
      .put("rate", 1000).put("burst", 100)
      .put("settings", new JsonObject().put("url", sandbox.url()).put("timeout-ms", 5000));
    try (TestGateway gateway = TestGateway.withAccounts(new JsonArray().add(account), Map.of(
      Setting.REDIS_CLUSTER, "true", Setting.REDIS_URI, cluster.uris(), Setting.THROTTLE_CAPS, "1/1h",
      Setting.THROTTLE_TENANT_RATE, "10000", Setting.THROTTLE_KEY_PREFIX, "relay:cluster-test"))) {
      String key = gateway.apiKey("acme");
      JsonArray first = new JsonArray();
      for (int i = 0; i < 300; i++) {
        first.add(Batches.recipient("many-" + i));
      }
      assertThat(gateway.postBatch(key, null, Batches.envelope("first").put("recipients", first)).statusCode())
        .isEqualTo(202);
      eventually("all of the first batch arrive", () -> sandbox.uniqueCount() == 300);
      JsonArray second = new JsonArray();
      for (int i = 0; i < 300; i += 2) {
        second.add(Batches.recipient("many-" + i));
        second.add(Batches.recipient("new-" + i));
      }
      assertThat(gateway.postBatch(key, null, Batches.envelope("second").put("recipients", second)).statusCode())
        .isEqualTo(202);
      eventually("the second batch is done", () -> gateway.database().count(
        "SELECT count(*) FROM messages WHERE state IN ('queued', 'sending', 'retry')") == 0);
      assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE state = 'capped'")).isEqualTo(150);
      assertThat(gateway.database().count(
        "SELECT count(*) FROM messages WHERE state = 'capped' AND recipient_id LIKE 'new-%'")).isZero();
      assertThat(sandbox.uniqueCount()).isEqualTo(450);
      assertThat(sandbox.duplicateCount()).isZero();
      assertThat(gateway.database().count("SELECT count(*) FROM events WHERE type = 'deferred'"))
        .as("nothing deferred: Redis answered every call").isZero();
    } finally {
      await(sandbox.close());
    }
  }

  private static void eventually(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 30 s: " + what);
      }
      Thread.sleep(50);
    }
  }
}
