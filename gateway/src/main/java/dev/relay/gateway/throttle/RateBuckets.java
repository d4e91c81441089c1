package dev.relay.gateway.throttle;

import io.vertx.core.Future;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.List;

/**
 * GCRA buckets in Redis, through {@code throttle/gcra.lua}: reserve several messages' worth of cells in
 * one round trip, from one or more buckets at once (all of one hash slot), and slow a bucket down when
 * its provider throttles.
 */
final class RateBuckets {

  /**
   * What a reservation got.
   *
   * @param granted       cells reserved (messages that may go now), from 0 to the number wanted
   * @param waitMs        how long until one more cell is free in every bucket
   * @param binding       the index of the bucket that granted the least (the limit that held back)
   * @param effectiveRate the first bucket's effective rate (messages per second) now
   */
  record Grant(int granted, long waitMs, int binding, double effectiveRate) {
  }

  /** A bucket: its key and limit, and how it adapts (floor rate and recovery per second; 0 recovery: fixed). */
  record Bucket(String key, Limit limit, double floorRate, double recoveryPerSecond) {

    static Bucket fixed(String key, Limit limit) {
      return new Bucket(key, limit, limit.rate(), 0);
    }
  }

  private final LuaScript script;

  RateBuckets(LuaScript script) {
    this.script = script;
  }

  /** Reserves up to {@code wanted} cells from every bucket at once (as many as the tightest one has). */
  Future<Grant> reserve(List<Bucket> buckets, int wanted) {
    List<String> keys = new ArrayList<>(buckets.size());
    List<String> args = new ArrayList<>(2 + 4 * buckets.size());
    args.add("reserve");
    args.add(Integer.toString(wanted));
    for (Bucket b : buckets) {
      keys.add(b.key());
      addLimit(args, b);
    }
    return script.run(new LuaScript.Call(keys, args)).map(RateBuckets::grant);
  }

  /** Halves the bucket's effective rate (at most once a second, not under its floor); holds it for a Retry-After. */
  Future<Double> slow(Bucket bucket, long retryAfterMs) {
    List<String> args = new ArrayList<>(6);
    args.add("slow");
    args.add(Long.toString(Math.max(0, retryAfterMs)));
    addLimit(args, bucket);
    return script.run(new LuaScript.Call(List.of(bucket.key()), args)).map(r -> grant(r).effectiveRate());
  }

  private static void addLimit(List<String> args, Bucket b) {
    args.add(Double.toString(b.limit().rate()));
    args.add(Integer.toString(b.limit().burst()));
    args.add(Double.toString(b.floorRate()));
    args.add(Double.toString(b.recoveryPerSecond()));
  }

  private static Grant grant(Response r) {
    return new Grant(r.get(0).toInteger(), r.get(1).toLong(), r.get(2).toInteger() - 1, r.get(3).toLong() / 1000.0);
  }
}
