package dev.relay.gateway.throttle;

import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What stands between a claimed message and its provider call, shared by every instance through
 * Redis (or kept in this process, see {@link LimitStore}): quiet hours in the recipient's time zone, frequency caps per recipient across channels (both
 * for marketing messages only), rate limits per tenant and per campaign ({@link #admit}), and per
 * provider account ({@link #limiter}, used by the account's lane). It fails closed: when Redis cannot
 * be reached, messages that need it wait ({@code redis_unavailable}) and nothing goes out above a
 * limit. Used from the dispatcher's event loop.
 */
public final class Throttle {

  private static final Logger LOG = LoggerFactory.getLogger(Throttle.class);

  /**
   * The throttle's settings.
   *
   * @param keyPrefix        the prefix of every Redis key (gateways with one prefix share their limits)
   * @param tenantRate       each tenant's limit, or null for none
   * @param campaignRate     each campaign's limit, or null for none
   * @param redisTimeoutMs   how long a Redis call may take before it counts as unreachable
   * @param redisRetryMs     how long messages wait when Redis cannot be reached
   * @param maxHoldMs        how long a lane holds messages waiting for its account's cells before it puts them back
   * @param recoveryPercent  how fast a throttled account's rate climbs back: percent of its configured rate per second
   * @param floorPercent     the lowest an account's rate is cut to, in percent of its configured rate
   */
  public record Options(String keyPrefix, Optional<QuietHours> quietHours, List<CapRule> caps, Limit tenantRate,
                        Limit campaignRate, long redisTimeoutMs, long redisRetryMs, long maxHoldMs,
                        double recoveryPercent, double floorPercent) {
  }

  /** A message about to be routed, as far as the throttle cares. */
  public record Candidate(long id, long tenantId, long campaignId, String recipientId, boolean transactional,
                          String timeZone, boolean deferWhenCapped) {
  }

  /**
   * What to do with a candidate: send it, put it back for {@code delayMs} (counted under the deferral
   * reason {@code reason}), or end it {@code capped}.
   */
  public record Decision(Kind kind, String reason, long delayMs, String detail) {

    public enum Kind { SEND, DEFER, CAP }

    static final Decision SEND = new Decision(Kind.SEND, null, 0, null);

    static Decision defer(String reason, long delayMs, String detail) {
      return new Decision(Kind.DEFER, reason, Math.max(0, delayMs), detail);
    }
  }

  /** Buckets of a tenant's recipients: the hash tags their caps sets are spread over. */
  static final int CAP_BUCKETS = 64;

  private final LimitStore store;
  private final Options options;
  private final Clock clock;
  private final Map<Long, String> counted = new HashMap<>();
  private boolean redisFailing;

  private Throttle(LimitStore store, Options options, Clock clock) {
    this.store = store;
    this.options = options;
    this.clock = clock;
  }

  /** A throttle keeping its limits in {@code store} (Redis, or this process for a single instance). */
  public static Throttle create(LimitStore store, Options options, Clock clock) {
    return new Throttle(store, options, clock);
  }

  /** Whether {@link #admit} has anything to check; when not, messages go straight to their lanes. */
  public boolean screens() {
    return options.quietHours().isPresent() || !options.caps().isEmpty() || options.tenantRate() != null
      || options.campaignRate() != null;
  }

  /** How long a lane holds messages waiting for its account's cells. */
  public long maxHoldMs() {
    return options.maxHoldMs();
  }

  /** The limiter of an account with this limit; shared with every instance by the account's name. */
  public AccountLimiter limiter(String account, Limit limit) {
    double rate = limit.rate();
    RateBuckets.Bucket bucket = new RateBuckets.Bucket(options.keyPrefix() + ":rate:{a:" + account + "}", limit,
      Math.max(rate * options.floorPercent() / 100, Math.min(rate, 0.1)), rate * options.recoveryPercent() / 100);
    return new AccountLimiter(account, store, bucket);
  }

  /**
   * Decides, for each candidate in order, whether it goes on now. Never fails: when Redis cannot be
   * reached, the candidates that need it are deferred with {@code redis_unavailable}.
   */
  public Future<List<Decision>> admit(List<Candidate> candidates) {
    Decision[] decisions = new Decision[candidates.size()];
    List<Integer> capped = new ArrayList<>();
    Instant now = clock.instant();
    for (int i = 0; i < candidates.size(); i++) {
      Candidate c = candidates.get(i);
      decisions[i] = Decision.SEND;
      if (c.transactional()) {
        continue;
      }
      if (options.quietHours().isPresent()) {
        Optional<Instant> until = options.quietHours().get().deferUntil(clock, QuietHours.zoneOf(c.timeZone()));
        if (until.isPresent()) {
          decisions[i] = Decision.defer("quiet_hours", Duration.between(now, until.get()).toMillis(),
            "quiet hours " + options.quietHours().get() + " in " + QuietHours.zoneOf(c.timeZone()));
          continue;
        }
      }
      if (!options.caps().isEmpty()) {
        capped.add(i);
      }
    }
    return applyCaps(candidates, capped, decisions)
      .compose(v -> applyRates(candidates, decisions))
      .map(v -> Arrays.asList(decisions));
  }

  /**
   * Tells the throttle a candidate it admitted is done: a message counted against its recipient's caps
   * that was not sent after all is taken off the count.
   */
  public void completed(long id, boolean sent) {
    if (counted.isEmpty()) {
      return;
    }
    String key = counted.remove(id);
    if (key != null && !sent) {
      release(key, id);
    }
  }

  private void release(String key, long id) {
    store.uncount(key, Long.toString(id))
      .onFailure(err -> LOG.debug("message {} stays counted against its recipient's caps: {}", id, err.toString()));
  }

  private Future<Void> applyCaps(List<Candidate> candidates, List<Integer> indexes, Decision[] decisions) {
    if (indexes.isEmpty()) {
      return Future.succeededFuture();
    }
    List<LimitStore.CapEntry> entries = new ArrayList<>(indexes.size());
    for (int i : indexes) {
      Candidate c = candidates.get(i);
      String tag = capTag(c);
      entries.add(new LimitStore.CapEntry(options.keyPrefix() + ":caps:" + tag + ":" + c.recipientId(), tag,
        Long.toString(c.id())));
    }
    return store.count(options.caps(), entries)
      .map(verdicts -> {
        answered();
        for (int j = 0; j < indexes.size(); j++) {
          int i = indexes.get(j);
          Candidate c = candidates.get(i);
          LimitStore.CapVerdict verdict = verdicts.get(j);
          if (verdict.rule() == 0) {
            counted.put(c.id(), entries.get(j).key());
            continue;
          }
          CapRule broken = options.caps().get(verdict.rule() - 1);
          String detail = "frequency cap " + broken.text() + ": " + broken.most() + " marketing messages to this "
            + "recipient in the last " + broken.window().toString().substring(2).toLowerCase();
          decisions[i] = c.deferWhenCapped()
            ? Decision.defer("frequency_cap", verdict.waitMs(), detail)
            : new Decision(Decision.Kind.CAP, "frequency_cap", 0, detail);
        }
        return (Void) null;
      })
      .recover(err -> {
        unavailable(err);
        for (int i : indexes) {
          decisions[i] = Decision.defer("redis_unavailable", options.redisRetryMs(), "Redis cannot be reached");
        }
        return Future.succeededFuture();
      });
  }

  private Future<Void> applyRates(List<Candidate> candidates, Decision[] decisions) {
    if (options.tenantRate() == null && options.campaignRate() == null) {
      return Future.succeededFuture();
    }
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < candidates.size(); i++) {
      if (decisions[i].kind() == Decision.Kind.SEND) {
        Candidate c = candidates.get(i);
        groups.computeIfAbsent(c.tenantId() + ":" + c.campaignId(), k -> new ArrayList<>()).add(i);
      }
    }
    List<Future<Void>> all = new ArrayList<>(groups.size());
    for (List<Integer> group : groups.values()) {
      Candidate first = candidates.get(group.get(0));
      List<RateBuckets.Bucket> bs = new ArrayList<>(2);
      List<String> reasons = new ArrayList<>(2);
      String tenantKey = options.keyPrefix() + ":rate:{t:" + first.tenantId() + "}";
      if (options.tenantRate() != null) {
        bs.add(RateBuckets.Bucket.fixed(tenantKey, options.tenantRate()));
        reasons.add("tenant_rate");
      }
      if (options.campaignRate() != null) {
        bs.add(RateBuckets.Bucket.fixed(tenantKey + ":c:" + first.campaignId(), options.campaignRate()));
        reasons.add("campaign_rate");
      }
      all.add(store.reserve(bs, group.size())
        .map(grant -> {
          answered();
          double interval = bs.get(grant.binding()).limit().intervalMs();
          for (int j = grant.granted(); j < group.size(); j++) {
            int i = group.get(j);
            String reason = reasons.get(grant.binding());
            deferred(candidates.get(i), decisions, i, Decision.defer(reason,
              grant.waitMs() + (long) Math.ceil((j - grant.granted()) * interval),
              reason.replace('_', ' ') + " limit"));
          }
          return (Void) null;
        })
        .recover(err -> {
          unavailable(err);
          for (int i : group) {
            deferred(candidates.get(i), decisions, i,
              Decision.defer("redis_unavailable", options.redisRetryMs(), "Redis cannot be reached"));
          }
          return Future.succeededFuture();
        }));
    }
    return Future.join(all).mapEmpty();
  }

  private void deferred(Candidate c, Decision[] decisions, int i, Decision decision) {
    decisions[i] = decision;
    completed(c.id(), false);
  }

  /**
   * The hash tag of a recipient's caps set: its tenant and one of {@value #CAP_BUCKETS} buckets of the
   * tenant's recipients, so that one script call checks many recipients in one slot while a large
   * tenant's recipients still spread over many slots of a Redis Cluster.
   */
  private String capTag(Candidate c) {
    return "{r:" + c.tenantId() + ":" + Math.floorMod(c.recipientId().hashCode(), CAP_BUCKETS) + "}";
  }

  /** Logs an unreachable Redis once, not at every claim, until it answers again. */
  private void unavailable(Throwable err) {
    if (!redisFailing) {
      redisFailing = true;
      LOG.warn("Redis cannot be reached; messages that need it wait {} ms at a time: {}", options.redisRetryMs(),
        err.toString());
    }
  }

  private void answered() {
    if (redisFailing) {
      redisFailing = false;
      LOG.info("Redis answers again: throttled sending resumes");
    }
  }
}
