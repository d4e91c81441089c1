package dev.relay.loadtests;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the machine's CPU time goes during a timed phase: the gateway process, all PostgreSQL
 * processes, the benchmark itself, and everything else, read from {@code /proc} before and after.
 * On a system without {@code /proc} the split is simply absent from the report.
 */
final class CpuUsage {

  /** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every common platform. */
  private static final double TICKS_PER_SECOND = 100.0;
  private static final Path PROC = Path.of("/proc");

  private final long[] gatewayPids;
  private final long benchPid = ProcessHandle.current().pid();

  /** {@code gatewayPid} is -1 when no gateway runs in the phase. */
  CpuUsage(long gatewayPid) {
    this(gatewayPid > 0 ? new long[] {gatewayPid} : new long[0]);
  }

  /** Several gateway processes, whose CPU is added up as {@code gateway}; none when no gateway runs. */
  CpuUsage(long... gatewayPids) {
    this.gatewayPids = gatewayPids.clone();
  }

  /** CPU ticks so far: per process of interest, and the machine's busy and total ticks. */
  record Snapshot(long nanos, Map<Long, Long> gateway, Map<Long, Long> postgres, long bench, long machineBusy,
                  boolean available) {
  }

  Snapshot snapshot() {
    long nanos = System.nanoTime();
    if (!Files.isReadable(PROC.resolve("stat"))) {
      return new Snapshot(nanos, Map.of(), Map.of(), 0, 0, false);
    }
    Map<Long, Long> gateway = new HashMap<>();
    for (long pid : gatewayPids) {
      gateway.put(pid, processTicks(pid));
    }
    return new Snapshot(nanos, gateway, postgresTicks(), processTicks(benchPid), machineBusyTicks(), true);
  }

  /** Cores' worth of CPU used between two snapshots, per group; empty when /proc is missing. */
  static JsonObject between(Snapshot from, Snapshot to, int cores) {
    if (!from.available() || !to.available()) {
      return new JsonObject();
    }
    double seconds = (to.nanos() - from.nanos()) / 1e9;
    double gateway = cores(delta(from.gateway(), to.gateway()), seconds);
    double postgres = cores(delta(from.postgres(), to.postgres()), seconds);
    double bench = cores(to.bench() - from.bench(), seconds);
    double machine = cores(to.machineBusy() - from.machineBusy(), seconds);
    JsonObject split = new JsonObject();
    if (!to.gateway().isEmpty()) {
      split.put("gateway", round2(gateway));
    }
    return split
      .put("postgresql", round2(postgres))
      .put("load_generator", round2(bench))
      .put("other", round2(Math.max(0, machine - gateway - postgres - bench)))
      .put("machine_busy", round2(machine))
      .put("machine_cores", cores);
  }

  private static double cores(long ticks, double seconds) {
    return seconds <= 0 ? 0 : ticks / TICKS_PER_SECOND / seconds;
  }

  private static double round2(double value) {
    return Math.round(value * 100) / 100.0;
  }

  /** Ticks gained by processes alive at the end; a process started in between counts from zero. */
  private static long delta(Map<Long, Long> from, Map<Long, Long> to) {
    long sum = 0;
    for (Map.Entry<Long, Long> entry : to.entrySet()) {
      sum += Math.max(0, entry.getValue() - from.getOrDefault(entry.getKey(), 0L));
    }
    return sum;
  }

  private static Map<Long, Long> postgresTicks() {
    Map<Long, Long> ticks = new HashMap<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (Path dir : dirs) {
        try {
          if ("postgres".equals(Files.readString(dir.resolve("comm")).strip())) {
            long pid = Long.parseLong(dir.getFileName().toString());
            ticks.put(pid, processTicks(pid));
          }
        } catch (IOException e) {
          // The process ended while being looked at.
        }
      }
    } catch (IOException e) {
      return Map.of();
    }
    return ticks;
  }

  /** utime + stime of a process (fields 14 and 15 of /proc/PID/stat); 0 when it is gone. */
  private static long processTicks(long pid) {
    try {
      String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
      return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** All CPUs' ticks in user, nice, system, irq and softirq (first line of /proc/stat): not idle, iowait or steal. */
  private static long machineBusyTicks() {
    try {
      List<String> lines = Files.readAllLines(PROC.resolve("stat"));
      String[] f = lines.get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < f.length && i <= 7; i++) {
        if (i != 4 && i != 5) { // idle, iowait
          busy += Long.parseLong(f[i]);
        }
      }
      return busy;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
