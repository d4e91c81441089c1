package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer.Receipt;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The transactional messages of {@code relay-bench transactional} and what the sink says about them: each is a
 * one-recipient batch whose recipient id is {@code tx-<n>} (distinct from the backlog's {@code r-<n>}), so a
 * receipt names the POST it came from. From the POSTs' start times and the sink's receipts it finds, for every
 * accepted transactional message, its first arrival and the time from the start of its POST to it; the
 * percentiles of those times (nearest rank); the accepted messages that never arrived (lost), the repeated
 * arrivals (duplicates) and the receipts of no POST (unmatched); and how much of the backlog had arrived before,
 * during and after the window in which the transactional batches were posted.
 */
final class TransactionalLatency {

  /** The campaign the transactional batches name (the backlog's is {@link Recipients#CAMPAIGN}). */
  static final String CAMPAIGN = "bench-transactional";
  private static final String PREFIX = "tx-";

  private TransactionalLatency() {
  }

  /** The recipient id of the {@code n}-th transactional message. */
  static String recipientId(long n) {
    return PREFIX + n;
  }

  /** The {@code n} of a transactional recipient id; -1 for any other id. */
  static long indexOf(String recipientId) {
    if (recipientId == null || !recipientId.startsWith(PREFIX) || recipientId.length() == PREFIX.length()) {
      return -1;
    }
    try {
      long n = Long.parseLong(recipientId, PREFIX.length(), recipientId.length(), 10);
      return n < 0 ? -1 : n;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The body of the {@code n}-th transactional batch: one recipient, priority {@code transactional}, due now. */
  static byte[] requestBody(long n) {
    return ("{\"campaign\":\"" + CAMPAIGN + "\",\"template\":\"welcome\",\"channels\":[\"email\"],"
      + "\"priority\":\"transactional\",\"recipients\":[{\"id\":\"" + recipientId(n) + "\","
      + "\"addresses\":{\"email\":\"tx" + n + "@example.com\"},\"locale\":\"en-US\",\"time_zone\":\"Europe/Berlin\","
      + "\"variables\":{\"first_name\":\"Deniz\",\"plan\":\"gold\",\"points\":" + (n % 5000) + "}}]}")
      .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * What the sink received, judged against the POSTs.
   *
   * @param latencyMicros        the latency of every delivered transactional message, ascending
   * @param latencyByMessage     the same latencies by message ({@code n})
   * @param accepted             transactional messages the gateway answered 202 for
   * @param delivered            of them, those that arrived at least once
   * @param lost                 of them, those that never arrived
   * @param duplicates           transactional arrivals beyond the first of their message
   * @param unmatched            transactional receipts of no accepted POST
   * @param backlogBeforeWindow  distinct backlog messages that arrived before the window
   * @param backlogDuringWindow  distinct backlog messages that arrived within it
   * @param backlogAfterWindow   distinct backlog messages that arrived after it (by the time the receipts were read)
   * @param backlogDuplicates    backlog arrivals beyond the first of their message
   */
  record Judged(long[] latencyMicros, Map<Long, Long> latencyByMessage, long accepted, long delivered, long lost, long duplicates, long unmatched,
                long backlogBeforeWindow, long backlogDuringWindow, long backlogAfterWindow, long backlogDuplicates) {

    /** Nearest rank: the smallest latency with at least {@code percent} of them at or below it; -1 with none. */
    long percentileMicros(double percent) {
      return percentile(latencyMicros, percent);
    }

    long maxMicros() {
      return latencyMicros.length == 0 ? -1 : latencyMicros[latencyMicros.length - 1];
    }

    double meanMicros() {
      return latencyMicros.length == 0 ? -1 : Arrays.stream(latencyMicros).average().orElse(0);
    }

    /** p50, p90, p99, max and mean in milliseconds (null each when nothing arrived). */
    JsonObject latencyJson() {
      if (latencyMicros.length == 0) {
        return new JsonObject().putNull("p50").putNull("p90").putNull("p99").putNull("max").putNull("mean");
      }
      return new JsonObject()
        .put("p50", Reports.millis(percentileMicros(50)))
        .put("p90", Reports.millis(percentileMicros(90)))
        .put("p99", Reports.millis(percentileMicros(99)))
        .put("max", Reports.millis(maxMicros()))
        .put("mean", Reports.round(meanMicros() / 1000.0, 2));
    }
  }

  /** Nearest rank of {@code sorted} (ascending); -1 when it is empty. */
  static long percentile(long[] sorted, double percent) {
    if (sorted.length == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /**
   * Judges the receipts: {@code postStarts.get(n)} is when the POST of transactional message {@code n} started, for
   * every one the gateway accepted; backlog receipts (ids {@code r-<n>}) are counted against the window
   * {@code [windowStart, windowEnd]}. A latency is never below 0 (clocks of one JVM; a negative one would be a bug
   * and counts as unmatched).
   */
  static Judged judge(Map<Long, Instant> postStarts, Iterable<Receipt> receipts, Instant windowStart, Instant windowEnd) {
    Map<Long, Instant> firstArrival = new HashMap<>();
    Set<String> backlogSeen = new HashSet<>();
    long duplicates = 0;
    long unmatched = 0;
    long before = 0;
    long during = 0;
    long after = 0;
    long backlogDuplicates = 0;
    for (Receipt r : receipts) {
      long n = indexOf(r.recipientId());
      if (n >= 0) {
        Instant posted = postStarts.get(n);
        if (posted == null || r.receivedAt().isBefore(posted)) {
          unmatched++;
        } else if (firstArrival.putIfAbsent(n, r.receivedAt()) != null) {
          duplicates++;
        }
        continue;
      }
      if (!backlogSeen.add(r.idempotencyKey())) {
        backlogDuplicates++;
      } else if (r.receivedAt().isBefore(windowStart)) {
        before++;
      } else if (r.receivedAt().isAfter(windowEnd)) {
        after++;
      } else {
        during++;
      }
    }
    long[] latencies = new long[firstArrival.size()];
    Map<Long, Long> byMessage = new HashMap<>();
    int i = 0;
    for (Map.Entry<Long, Instant> arrival : firstArrival.entrySet()) {
      long micros = Math.max(1, Duration.between(postStarts.get(arrival.getKey()), arrival.getValue()).toNanos() / 1_000);
      latencies[i++] = micros;
      byMessage.put(arrival.getKey(), micros);
    }
    Arrays.sort(latencies);
    long accepted = postStarts.size();
    return new Judged(latencies, byMessage, accepted, firstArrival.size(), accepted - firstArrival.size(), duplicates, unmatched,
      before, during, after, backlogDuplicates);
  }

  /**
   * The delivered transactional messages split by the way the gateway took them, from {@code claimDelays} (by
   * recipient id: the milliseconds from the message's insert to the claim that took it, or -1 when intake handed it
   * straight to the dispatcher; {@link BenchDatabase#claimDelaysMillis}): for each way, how many and their latency
   * p50/p99/max, and for the claimed ones the p50/p99/max of the wait for the claim. A message missing from
   * {@code claimDelays} counts as {@code unknown}.
   */
  static JsonObject paths(Map<Long, Long> latencyByMessage, Map<String, Long> claimDelays) {
    List<Long> handedOver = new ArrayList<>();
    List<Long> claimed = new ArrayList<>();
    List<Long> waits = new ArrayList<>();
    long unknown = 0;
    for (Map.Entry<Long, Long> m : latencyByMessage.entrySet()) {
      Long delay = claimDelays.get(recipientId(m.getKey()));
      if (delay == null) {
        unknown++;
      } else if (delay < 0) {
        handedOver.add(m.getValue());
      } else {
        claimed.add(m.getValue());
        waits.add(delay * 1000);
      }
    }
    return new JsonObject()
      .put("handed_over", spread(handedOver))
      .put("claimed", spread(claimed).put("wait_for_claim", spread(waits)))
      .put("unknown", unknown);
  }

  /** How many, and p50/p99/max in milliseconds (nulls when none). */
  private static JsonObject spread(List<Long> micros) {
    long[] sorted = micros.stream().mapToLong(Long::longValue).sorted().toArray();
    JsonObject json = new JsonObject().put("messages", (long) sorted.length);
    if (sorted.length == 0) {
      return json.putNull("p50_ms").putNull("p99_ms").putNull("max_ms");
    }
    return json.put("p50_ms", Reports.millis(percentile(sorted, 50))).put("p99_ms", Reports.millis(percentile(sorted, 99)))
      .put("max_ms", Reports.millis(sorted[sorted.length - 1]));
  }
}
