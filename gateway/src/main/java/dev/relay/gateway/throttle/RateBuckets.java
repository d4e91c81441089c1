package dev.relay.gateway.throttle;

/** The shapes of the GCRA buckets of {@link LimitStore}: a bucket and what a reservation got. */
final class RateBuckets {

  private RateBuckets() {
  }

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
}
