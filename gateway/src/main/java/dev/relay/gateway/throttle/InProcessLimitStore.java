package dev.relay.gateway.throttle;

import io.vertx.core.Future;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The limits in this process's memory, for a single instance without Redis: the same GCRA and the same
 * rolling-window caps as {@code throttle/gcra.lua} and {@code throttle/caps.lua}, step for step, on this
 * process's clock instead of the Redis server's, with the same idle expiry of keys. Nothing is shared with
 * another process, so two instances would each send at the full rate.
 */
final class InProcessLimitStore implements LimitStore {

  /** How long an unused bucket is kept (the script's PEXPIRE). */
  private static final long IDLE_MS = 3_600_000L;
  /** How often expired keys are swept out, so that the memory follows the live keys. */
  private static final long SWEEP_MS = 60_000L;

  private static final class BucketState {
    Double tat;
    Double base;
    Double cut;
    double expiresAt;
  }

  private static final class CapSet {
    final Map<String, Long> scores = new HashMap<>();
    long expiresAt = Long.MAX_VALUE;
  }

  private final Clock clock;
  private final Map<String, BucketState> buckets = new HashMap<>();
  private final Map<String, CapSet> caps = new HashMap<>();
  private long lastSweep;

  InProcessLimitStore(Clock clock) {
    this.clock = clock;
    this.lastSweep = clock.millis();
  }

  private double nowMs() {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1000.0 + now.getNano() / 1_000_000.0;
  }

  @Override
  public synchronized Future<RateBuckets.Grant> reserve(List<RateBuckets.Bucket> list, int wanted) {
    double now = nowMs();
    sweep((long) now);
    int n = list.size();
    double[] periods = new double[n];
    double[] taus = new double[n];
    double[] tats = new double[n];
    double firstEffective = 0;
    int granted = wanted;
    int binding = 0;
    for (int i = 0; i < n; i++) {
      RateBuckets.Bucket b = list.get(i);
      BucketState h = read(b.key(), now);
      double eff = effective(h, b.limit().rate(), b.recoveryPerSecond(), now);
      double period = 1000 / eff;
      double tau = b.limit().burst() * period;
      double tat = Math.max(h == null || h.tat == null ? now : h.tat, now);
      int fits = (int) Math.max(0, Math.floor((now + tau - tat) / period + 1e-9));
      if (fits < granted) {
        granted = fits;
        binding = i;
      }
      periods[i] = period;
      taus[i] = tau;
      tats[i] = tat;
      if (i == 0) {
        firstEffective = eff;
      }
    }
    double wait = 0;
    for (int i = 0; i < n; i++) {
      double tat = tats[i] + granted * periods[i];
      if (granted > 0) {
        BucketState h = write(list.get(i).key(), now);
        h.tat = tat;
        h.expiresAt = now + IDLE_MS;
      }
      wait = Math.max(wait, tat + periods[i] - taus[i] - now);
    }
    return Future.succeededFuture(new RateBuckets.Grant(granted, (long) Math.ceil(wait), binding,
      Math.floor(firstEffective * 1000) / 1000.0));
  }

  @Override
  public synchronized Future<Double> slow(RateBuckets.Bucket bucket, long retryAfterMs) {
    double now = nowMs();
    BucketState h = read(bucket.key(), now);
    double rate = bucket.limit().rate();
    double eff = effective(h, rate, bucket.recoveryPerSecond(), now);
    // One slowdown per second: a whole batch, or every lane, hearing 429 at once is one signal.
    if (h == null || h.cut == null || now - h.cut >= 1000) {
      eff = Math.max(bucket.floorRate(), eff / 2);
      h = write(bucket.key(), now);
      h.base = eff;
      h.cut = now;
    }
    if (retryAfterMs > 0) {
      double period = 1000 / eff;
      double tau = bucket.limit().burst() * period;
      h = write(bucket.key(), now);
      h.tat = Math.max(h.tat == null ? now : h.tat, now + retryAfterMs + tau - period);
    }
    if (h != null) {
      h.expiresAt = now + IDLE_MS;
    }
    return Future.succeededFuture(Math.floor(eff * 1000) / 1000.0);
  }

  @Override
  public synchronized Future<List<CapVerdict>> count(List<CapRule> rules, List<CapEntry> entries) {
    long now = clock.millis();
    sweep(now);
    long longest = 0;
    int fewest = Integer.MAX_VALUE;
    for (CapRule rule : rules) {
      longest = Math.max(longest, rule.window().toMillis());
      fewest = Math.min(fewest, rule.most());
    }
    List<CapVerdict> out = new ArrayList<>(entries.size());
    for (CapEntry entry : entries) {
      CapSet set = caps.get(entry.key());
      if (set != null && set.expiresAt <= now) {
        set = null;
      }
      if (set == null) {
        set = new CapSet();
        caps.put(entry.key(), set);
      }
      Map<String, Long> scores = set.scores;
      boolean added = scores.putIfAbsent(entry.member(), now) == null;
      int rule = 0;
      long wait = 0;
      // Unless counted before, within the longest window (a retried message counts once):
      if (added || scores.get(entry.member()) < now - longest) {
        if (!added || scores.size() > fewest) {
          scores.remove(entry.member());
          CapVerdict full = full(scores, rules, now, longest);
          rule = full.rule();
          wait = full.waitMs();
          if (rule == 0) {
            scores.put(entry.member(), now);
          }
        }
        if (rule == 0) {
          set.expiresAt = now + longest;
        }
      }
      if (scores.isEmpty()) {
        caps.remove(entry.key());
      }
      out.add(new CapVerdict(rule, wait));
    }
    return Future.succeededFuture(out);
  }

  /** Whether a rule is full for a message not in the set: trims entries older than the longest window first. */
  private static CapVerdict full(Map<String, Long> scores, List<CapRule> rules, long now, long longest) {
    scores.values().removeIf(score -> score < now - longest);
    for (int i = 0; i < rules.size(); i++) {
      long window = rules.get(i).window().toMillis();
      int most = rules.get(i).most();
      List<Long> inWindow = new ArrayList<>();
      for (long score : scores.values()) {
        if (score > now - window) {
          inWindow.add(score);
        }
      }
      if (inWindow.size() >= most) {
        inWindow.sort(null);
        long oldest = inWindow.get(inWindow.size() - most);
        return new CapVerdict(i + 1, oldest + window - now + 1);
      }
    }
    return new CapVerdict(0, 0);
  }

  @Override
  public synchronized Future<Void> uncount(String key, String member) {
    CapSet set = caps.get(key);
    if (set != null) {
      set.scores.remove(member);
      if (set.scores.isEmpty()) {
        caps.remove(key);
      }
    }
    return Future.succeededFuture();
  }

  private static double effective(BucketState h, double rate, double recovery, double now) {
    if (h == null || h.base == null || h.cut == null) {
      return rate;
    }
    return Math.min(rate, h.base + recovery * (now - h.cut) / 1000);
  }

  private BucketState read(String key, double now) {
    BucketState h = buckets.get(key);
    if (h != null && h.expiresAt <= now) {
      buckets.remove(key);
      return null;
    }
    return h;
  }

  private BucketState write(String key, double now) {
    BucketState h = read(key, now);
    if (h == null) {
      h = new BucketState();
      h.expiresAt = Double.MAX_VALUE;
      buckets.put(key, h);
    }
    return h;
  }

  private void sweep(long now) {
    if (now - lastSweep < SWEEP_MS) {
      return;
    }
    lastSweep = now;
    buckets.values().removeIf(h -> h.expiresAt <= now);
    for (Iterator<CapSet> it = caps.values().iterator(); it.hasNext(); ) {
      if (it.next().expiresAt <= now) {
        it.remove();
      }
    }
  }
}
