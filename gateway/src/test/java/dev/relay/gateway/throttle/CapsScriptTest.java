package dev.relay.gateway.throttle;

import dev.relay.gateway.testing.PrivateRedis;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code throttle/caps.lua} itself, on a Redis of the test's own: what it admits, what it refuses with
 * which rule and wait, and what it leaves in a recipient's set, in its quick path (a set no larger than
 * the smallest rule) and its counting path.
 */
@DisplayName("Frequency caps script: admits, refuses with the rule and the wait, counts a retry once")
class CapsScriptTest {

  private static final String KEY = "caps-test:{r:1:0}:ayse";
  private static final long HOUR = 3_600_000L;
  private static final long DAY = 24 * HOUR;

  private static PrivateRedis server;
  private static Vertx vertx;
  private static Redis redis;
  private static LuaScript caps;

  @BeforeAll
  static void start() throws Exception {
    server = PrivateRedis.start();
    vertx = Vertx.vertx();
    redis = Redis.createClient(vertx, server.uri());
    caps = LuaScript.load("throttle/caps.lua", redis, false, 5_000);
  }

  @AfterAll
  static void stop() throws Exception {
    redis.close();
    await(vertx.close());
    server.close();
  }

  @BeforeEach
  void empty() {
    await(redis.send(Request.cmd(Command.FLUSHALL)));
  }

  /** Checks messages against {@code rules} (window ms, most; ...) in one call; returns each one's {rule, wait}. */
  private static List<long[]> check(long[] rules, List<String> keys, List<String> members) {
    List<String> args = new ArrayList<>();
    args.add(Integer.toString(rules.length / 2));
    for (long r : rules) {
      args.add(Long.toString(r));
    }
    args.addAll(members);
    Response r = await(caps.run(new LuaScript.Call(keys, args)));
    List<long[]> out = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      out.add(new long[] {r.get(2 * k).toLong(), r.get(2 * k + 1).toLong()});
    }
    return out;
  }

  private static long[] one(long[] rules, String member) {
    return check(rules, List.of(KEY), List.of(member)).get(0);
  }

  private static long size() {
    return await(redis.send(Request.cmd(Command.ZCARD).arg(KEY))).toLong();
  }

  private static long ttlMs() {
    return await(redis.send(Request.cmd(Command.PTTL).arg(KEY))).toLong();
  }

  @Test
  @DisplayName("under every rule a message is admitted and counted; at the smallest rule's limit the next is "
    + "refused naming that rule, with the wait until the oldest counted leaves its window")
  void admitsThenRefuses() {
    long[] rules = {HOUR, 5, DAY, 2};
    assertThat(one(rules, "m1")).containsExactly(0, 0);
    assertThat(one(rules, "m2")).containsExactly(0, 0);
    assertThat(size()).isEqualTo(2);
    assertThat(ttlMs()).isBetween(DAY - 5_000, DAY);
    long[] refused = one(rules, "m3");
    assertThat(refused[0]).as("the rule that is full: the second, 2 a day").isEqualTo(2);
    assertThat(refused[1]).as("ms until m1 leaves the day").isBetween(DAY - 5_000, DAY + 1);
    assertThat(size()).as("a refused message is not counted").isEqualTo(2);
  }

  @Test
  @DisplayName("a message counted before is admitted again without counting twice, even when its rule is full")
  void retryCountsOnce() {
    long[] rules = {DAY, 2};
    assertThat(one(rules, "m1")).containsExactly(0, 0);
    assertThat(one(rules, "m2")).containsExactly(0, 0);
    assertThat(one(rules, "m1")).containsExactly(0, 0);
    assertThat(one(rules, "m2")).containsExactly(0, 0);
    assertThat(size()).isEqualTo(2);
    assertThat(one(rules, "m3")[0]).isEqualTo(1);
  }

  @Test
  @DisplayName("entries older than the longest window no longer count, and a larger set is trimmed of them")
  void staleEntriesLeave() {
    long now = await(redis.send(Request.cmd(Command.TIME))).get(0).toLong() * 1000;
    for (int i = 0; i < 3; i++) {
      await(redis.send(Request.cmd(Command.ZADD).arg(KEY).arg(now - 2 * DAY - i).arg("old" + i)));
    }
    long[] rules = {DAY, 2};
    assertThat(one(rules, "m1")).as("three stale entries and m1: counted after a trim").containsExactly(0, 0);
    assertThat(size()).isEqualTo(1);
    assertThat(one(rules, "m2")).containsExactly(0, 0);
    assertThat(one(rules, "m3")[0]).isEqualTo(1);
    // A retried message whose own entry is stale counts again, as a new one would.
    await(redis.send(Request.cmd(Command.DEL).arg(KEY)));
    await(redis.send(Request.cmd(Command.ZADD).arg(KEY).arg(now - 2 * DAY).arg("m1")));
    assertThat(one(rules, "m1")).containsExactly(0, 0);
    long score = await(redis.send(Request.cmd(Command.ZSCORE).arg(KEY).arg("m1"))).toDouble().longValue();
    assertThat(score).isGreaterThanOrEqualTo(now);
  }

  @Test
  @DisplayName("in one call each key is decided by its own count, and a recipient named twice counts both in order")
  void manyKeysInOneCall() {
    long[] rules = {DAY, 1};
    String other = "caps-test:{r:1:0}:berk";
    List<long[]> out = check(rules, List.of(KEY, other, KEY), List.of("a1", "b1", "a2"));
    assertThat(out.get(0)).containsExactly(0, 0);
    assertThat(out.get(1)).containsExactly(0, 0);
    assertThat(out.get(2)[0]).as("ayse's second message in the same call").isEqualTo(1);
    assertThat(size()).isEqualTo(1);
  }
}
