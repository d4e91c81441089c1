package dev.relay.loadtests;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A phase cut into equal intervals from its start: per interval, rates (items counted in it, divided by
 * its length) and latency percentiles (p50 and p99, nearest rank, of the samples that fell into it). The
 * interval is the longest of 1 s, 500, 250 and 100 ms that gives the phase at least
 * {@value #MIN_INTERVALS} intervals, so that a phase of two seconds still shows a shape.
 *
 * <p>Times are nanoseconds since the phase's start; samples outside {@code [0, length]} are left out. The
 * last interval runs to the phase's end, so it is from half an interval to one and a half long.
 * As JSON: {@code {"interval_ms": 1000, "t_seconds": [0.0, 1.0, ...], "<rate>": [...], "<latency>_p50_ms":
 * [...], "<latency>_p99_ms": [...]}}, a latency {@code null} in an interval without a sample.
 */
final class TimeSeries {

  static final int MIN_INTERVALS = 10;
  private static final long[] INTERVALS_MS = {1000, 500, 250, 100};

  private final long lengthNanos;
  private final long intervalNanos;
  private final int intervals;
  private final Map<String, double[]> counts = new LinkedHashMap<>();
  private final Map<String, Samples[]> latencies = new LinkedHashMap<>();

  private TimeSeries(long lengthNanos, long intervalNanos) {
    this.lengthNanos = lengthNanos;
    this.intervalNanos = intervalNanos;
    // A tail shorter than half an interval joins the interval before it: a rate over a few milliseconds says nothing.
    long whole = lengthNanos / intervalNanos;
    long tail = lengthNanos % intervalNanos;
    this.intervals = (int) Math.max(1, whole + (tail * 2 >= intervalNanos ? 1 : 0));
  }

  /** A series over a phase of {@code lengthNanos}, with the interval chosen as the class says. */
  static TimeSeries over(long lengthNanos) {
    long length = Math.max(1, lengthNanos);
    for (long ms : INTERVALS_MS) {
      long interval = TimeUnit.MILLISECONDS.toNanos(ms);
      if (length / interval >= MIN_INTERVALS) {
        return new TimeSeries(length, interval);
      }
    }
    return new TimeSeries(length, TimeUnit.MILLISECONDS.toNanos(INTERVALS_MS[INTERVALS_MS.length - 1]));
  }

  long intervalMillis() {
    return TimeUnit.NANOSECONDS.toMillis(intervalNanos);
  }

  int intervals() {
    return intervals;
  }

  /** Declares a rate, so that it is reported (as zeros) even when nothing is counted. */
  TimeSeries rate(String name) {
    counts.computeIfAbsent(name, k -> new double[intervals]);
    return this;
  }

  /** Declares a latency, so that it is reported (as nulls) even without a sample. */
  TimeSeries latency(String name) {
    latencies.computeIfAbsent(name, k -> new Samples[intervals]);
    return this;
  }

  /** Counts {@code items} towards rate {@code name} at {@code atNanos} since the start. */
  void count(String name, long atNanos, long items) {
    int i = index(atNanos);
    if (i >= 0) {
      rate(name);
      counts.get(name)[i] += items;
    }
  }

  /** A latency sample of {@code name} at {@code atNanos} since the start. */
  void sample(String name, long atNanos, long latencyMicros) {
    int i = index(atNanos);
    if (i >= 0) {
      latency(name);
      Samples[] buckets = latencies.get(name);
      if (buckets[i] == null) {
        buckets[i] = new Samples();
      }
      buckets[i].add(latencyMicros);
    }
  }

  /** Counts each completion's items towards {@code rate} and, when it has one, its latency towards {@code latency}. */
  void add(Completions completions, long startNanos, String rate, String latency) {
    for (Completions.Completion c : completions.list()) {
      long at = c.endNanos() - startNanos;
      count(rate, at, c.items());
      if (latency != null && c.latencyMicros() >= 0) {
        sample(latency, at, c.latencyMicros());
      }
    }
  }

  private int index(long atNanos) {
    if (atNanos < 0 || atNanos > lengthNanos) {
      return -1;
    }
    return (int) Math.min(intervals - 1, atNanos / intervalNanos);
  }

  JsonObject toJson() {
    JsonArray starts = new JsonArray();
    for (int i = 0; i < intervals; i++) {
      starts.add(Reports.round(i * intervalNanos / 1e9, 3));
    }
    JsonObject json = new JsonObject().put("interval_ms", intervalMillis()).put("t_seconds", starts);
    counts.forEach((name, values) -> {
      JsonArray rates = new JsonArray();
      for (int i = 0; i < intervals; i++) {
        // The last interval runs to the phase's end: from half an interval to one and a half.
        long length = i < intervals - 1 ? intervalNanos : lengthNanos - i * intervalNanos;
        rates.add(Reports.round(Reports.perSecond(values[i], length / 1e9), 1));
      }
      json.put(name, rates);
    });
    latencies.forEach((name, buckets) -> {
      JsonArray p50 = new JsonArray();
      JsonArray p99 = new JsonArray();
      for (Samples s : buckets) {
        p50.add(s == null ? null : Reports.millis(s.percentile(50)));
        p99.add(s == null ? null : Reports.millis(s.percentile(99)));
      }
      json.put(name + "_p50_ms", p50).put(name + "_p99_ms", p99);
    });
    return json;
  }

  /** The samples of one interval; sorted when a percentile is asked for. */
  private static final class Samples {
    private long[] values = new long[16];
    private int size;
    private boolean sorted;

    void add(long value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
      sorted = false;
    }

    /** Nearest rank: the smallest sample with at least {@code percent} of the samples at or below it. */
    long percentile(double percent) {
      if (!sorted) {
        Arrays.sort(values, 0, size);
        sorted = true;
      }
      int rank = (int) Math.ceil(percent / 100.0 * size);
      return values[Math.max(0, Math.min(size - 1, rank - 1))];
    }
  }
}
