package dev.relay.gateway.throttle;

import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The rate limit of one provider account, shared by every instance through Redis (or kept in process, see
 * {@link LimitStore}): a lane reserves
 * cells for the messages it
 * is about to send (many per round trip), sends as many as it was granted
 * and waits or defers the rest. A provider that throttles the account ({@link #throttled}) halves its
 * effective rate for every instance; it climbs back by {@code recovery} each second while the
 * provider accepts again. Used from the dispatcher's event loop.
 */
public final class AccountLimiter {

  private static final Logger LOG = LoggerFactory.getLogger(AccountLimiter.class);

  /**
   * A reservation's answer.
   *
   * @param granted how many of the messages wanted may be sent now
   * @param retryInMs when asking again is worth a round trip: enough cells for a good share of the
   *                  messages wanted (or one) will be free
   */
  public record Reservation(int granted, long retryInMs) {
  }

  private final String account;
  private final LimitStore buckets;
  private final RateBuckets.Bucket bucket;
  private volatile double effectiveRate;

  AccountLimiter(String account, LimitStore buckets, RateBuckets.Bucket bucket) {
    this.account = account;
    this.buckets = buckets;
    this.bucket = bucket;
    this.effectiveRate = bucket.limit().rate();
  }

  /** The account's configured limit. */
  public Limit limit() {
    return bucket.limit();
  }

  /** Messages per second the account may send now (as last heard from Redis), for the gauge. */
  public double effectiveRate() {
    return effectiveRate;
  }

  /** Reserves cells for up to {@code wanted} messages; fails when Redis cannot be reached. */
  public Future<Reservation> reserve(int wanted) {
    return buckets.reserve(List.of(bucket), wanted).map(grant -> {
      effectiveRate = grant.effectiveRate();
      double interval = 1000 / grant.effectiveRate();
      int quantum = Math.max(1, Math.min(wanted - grant.granted(), bucket.limit().burst() / 2));
      return new Reservation(grant.granted(), grant.waitMs() + (long) Math.ceil((quantum - 1) * interval));
    });
  }

  /**
   * How many messages waiting for cells are worth holding in memory for {@code holdMs} at the
   * effective rate; the rest are put back in the queue.
   */
  public int holdable(long holdMs) {
    return (int) Math.max(1, Math.floor(effectiveRate * holdMs / 1000));
  }

  /** When the message {@code position} places behind the first waiting one is likely to get a cell. */
  public long delayFor(int position, long firstWaitMs) {
    return firstWaitMs + (long) Math.ceil(position * 1000 / effectiveRate);
  }

  /** The provider throttled the account (HTTP 429, SMTP 421/451/454), maybe saying for how long. */
  public void throttled(Optional<Duration> retryAfter) {
    buckets.slow(bucket, retryAfter.map(Duration::toMillis).orElse(0L))
      .onSuccess(rate -> {
        if (rate < effectiveRate) {
          LOG.info("account {} was throttled by its provider: effective rate now {}/s", account, rate);
        }
        effectiveRate = rate;
      })
      .onFailure(err -> LOG.warn("account {} was throttled by its provider, but Redis could not be told: {}", account,
        err.toString()));
  }
}
