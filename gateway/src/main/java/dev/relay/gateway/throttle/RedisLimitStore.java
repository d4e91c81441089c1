package dev.relay.gateway.throttle;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The limits in Redis, through {@code throttle/gcra.lua} (several messages' worth of cells in one round
 * trip, from one or more buckets of one hash slot) and {@code throttle/caps.lua} (a group of recipients
 * in one call: all of them on one Redis, those of one hash tag on a Redis Cluster, calls pipelined).
 */
final class RedisLimitStore implements LimitStore {

  private final Redis redis;
  private final boolean cluster;
  private final long timeoutMs;
  private final LuaScript gcra;
  private final LuaScript caps;

  RedisLimitStore(Redis redis, boolean cluster, long timeoutMs) {
    this.redis = redis;
    this.cluster = cluster;
    this.timeoutMs = timeoutMs;
    this.gcra = LuaScript.load("throttle/gcra.lua", redis, cluster, timeoutMs);
    this.caps = LuaScript.load("throttle/caps.lua", redis, cluster, timeoutMs);
  }

  @Override
  public Future<RateBuckets.Grant> reserve(List<RateBuckets.Bucket> buckets, int wanted) {
    List<String> keys = new ArrayList<>(buckets.size());
    List<String> args = new ArrayList<>(2 + 4 * buckets.size());
    args.add("reserve");
    args.add(Integer.toString(wanted));
    for (RateBuckets.Bucket b : buckets) {
      keys.add(b.key());
      addLimit(args, b);
    }
    return gcra.run(new LuaScript.Call(keys, args)).map(RedisLimitStore::grant);
  }

  @Override
  public Future<Double> slow(RateBuckets.Bucket bucket, long retryAfterMs) {
    List<String> args = new ArrayList<>(6);
    args.add("slow");
    args.add(Long.toString(Math.max(0, retryAfterMs)));
    addLimit(args, bucket);
    return gcra.run(new LuaScript.Call(List.of(bucket.key()), args)).map(r -> grant(r).effectiveRate());
  }

  @Override
  public Future<List<CapVerdict>> count(List<CapRule> rules, List<CapEntry> entries) {
    if (entries.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    // On a cluster, one script call per hash tag (one slot), all calls pipelined; one Redis has no slots to
    // respect, so one call checks every recipient.
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      groups.computeIfAbsent(cluster ? entries.get(i).tag() : "", k -> new ArrayList<>()).add(i);
    }
    List<String> ruleArgs = new ArrayList<>(1 + 2 * rules.size());
    ruleArgs.add(Integer.toString(rules.size()));
    for (CapRule rule : rules) {
      ruleArgs.add(Long.toString(rule.window().toMillis()));
      ruleArgs.add(Integer.toString(rule.most()));
    }
    List<LuaScript.Call> calls = new ArrayList<>(groups.size());
    for (List<Integer> group : groups.values()) {
      List<String> keys = new ArrayList<>(group.size());
      List<String> args = new ArrayList<>(ruleArgs.size() + group.size());
      args.addAll(ruleArgs);
      for (int i : group) {
        keys.add(entries.get(i).key());
        args.add(entries.get(i).member());
      }
      calls.add(new LuaScript.Call(keys, args));
    }
    return caps.runAll(calls).map(results -> {
      CapVerdict[] verdicts = new CapVerdict[entries.size()];
      int call = 0;
      for (List<Integer> group : groups.values()) {
        Response r = results.get(call++);
        for (int j = 0; j < group.size(); j++) {
          verdicts[group.get(j)] = new CapVerdict(r.get(2 * j).toInteger(), r.get(2 * j + 1).toLong());
        }
      }
      return List.of(verdicts);
    });
  }

  @Override
  public Future<Void> uncount(String key, String member) {
    return redis.send(Request.cmd(Command.ZREM).arg(key).arg(member))
      .timeout(timeoutMs, TimeUnit.MILLISECONDS)
      .mapEmpty();
  }

  private static void addLimit(List<String> args, RateBuckets.Bucket b) {
    args.add(Double.toString(b.limit().rate()));
    args.add(Integer.toString(b.limit().burst()));
    args.add(Double.toString(b.floorRate()));
    args.add(Double.toString(b.recoveryPerSecond()));
  }

  private static RateBuckets.Grant grant(Response r) {
    return new RateBuckets.Grant(r.get(0).toInteger(), r.get(1).toLong(), r.get(2).toInteger() - 1,
      r.get(3).toLong() / 1000.0);
  }
}
