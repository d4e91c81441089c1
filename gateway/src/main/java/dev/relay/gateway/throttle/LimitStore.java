package dev.relay.gateway.throttle;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;

import java.time.Clock;
import java.util.List;

/**
 * Where the state of rate limits (GCRA buckets) and frequency caps (recipients' counted messages) lives:
 * in Redis, shared by every instance ({@link #redis}), or in this process only ({@link #inProcess}), for a
 * single instance that has no Redis. Both keep the same contract, that of {@code throttle/gcra.lua} and
 * {@code throttle/caps.lua}; the throttle does not know which one it has. Used from one event loop.
 */
public interface LimitStore {

  /**
   * One message to count against a recipient's caps.
   *
   * @param key    the recipient's set
   * @param tag    the key's hash tag (a Redis Cluster slot): keys of one tag may be checked in one call
   * @param member the message counted
   */
  record CapEntry(String key, String tag, String member) {
  }

  /**
   * A cap check's answer for one entry: {@code rule} 0 when the message is counted (now, or before: a
   * retried message counts once), else the 1-based rule that is full and {@code waitMs} until it has room.
   */
  record CapVerdict(int rule, long waitMs) {
  }

  /** The limits in Redis: every instance with the same key prefix shares them. */
  static LimitStore redis(Redis redis, boolean cluster, long timeoutMs) {
    return new RedisLimitStore(redis, cluster, timeoutMs);
  }

  /** The limits in this process's memory, on this clock: they hold for this process only. */
  static LimitStore inProcess(Clock clock) {
    return new InProcessLimitStore(clock);
  }

  /** Reserves up to {@code wanted} cells from every bucket at once (as many as the tightest one has). */
  Future<RateBuckets.Grant> reserve(List<RateBuckets.Bucket> buckets, int wanted);

  /**
   * Halves the bucket's effective rate (at most once a second, not under its floor) and holds it for a
   * Retry-After; answers the effective rate now.
   */
  Future<Double> slow(RateBuckets.Bucket bucket, long retryAfterMs);

  /** Checks and counts messages against their recipients' caps, in order; one verdict per entry. */
  Future<List<CapVerdict>> count(List<CapRule> rules, List<CapEntry> entries);

  /** Takes a counted message off its recipient's count (it was not sent after all). */
  Future<Void> uncount(String key, String member);
}
