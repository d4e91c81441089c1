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
 * Of the two JVMs (the gateways and the benchmark) it also reads what their JIT compiler and garbage
 * collector threads took, which is part of their figure, not added to it.
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
                  Map<Long, ThreadTicks> gatewayJvmThreads, Map<Long, ThreadTicks> benchJvmThreads, boolean available) {
  }

  /** A JVM's own thread: what it does for the JVM and its CPU ticks so far. */
  record ThreadTicks(JvmWork work, long ticks) {
  }

  /** The JVM's own work that shows in a Java process's CPU: compiling and collecting. */
  enum JvmWork {
    JIT_COMPILER("jit_compiler"), GC("gc");

    final String key;

    JvmWork(String key) {
      this.key = key;
    }

    /**
     * HotSpot's name for a thread (as {@code /proc} gives it, cut to 15 characters): {@code C1 CompilerThre},
     * {@code C2 CompilerThre}; {@code GC Thread#N} and G1's {@code G1 Refine#N}, {@code G1 Conc#N},
     * {@code G1 Main Marker}, {@code G1 Service}. Null for any other thread.
     */
    static JvmWork of(String threadName) {
      if (threadName.startsWith("C1 CompilerThre") || threadName.startsWith("C2 CompilerThre")) {
        return JIT_COMPILER;
      }
      if (threadName.startsWith("GC Thread") || threadName.startsWith("G1 ")) {
        return GC;
      }
      return null;
    }
  }

  Snapshot snapshot() {
    long nanos = System.nanoTime();
    if (!Files.isReadable(PROC.resolve("stat"))) {
      return new Snapshot(nanos, Map.of(), Map.of(), 0, 0, Map.of(), Map.of(), false);
    }
    Map<Long, Long> gateway = new HashMap<>();
    Map<Long, ThreadTicks> gatewayThreads = new HashMap<>();
    for (long pid : gatewayPids) {
      gateway.put(pid, processTicks(pid));
      gatewayThreads.putAll(jvmThreads(pid));
    }
    return new Snapshot(nanos, gateway, postgresTicks(), processTicks(benchPid), machineBusyTicks(), gatewayThreads,
      jvmThreads(benchPid), true);
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
    split
      .put("postgresql", round2(postgres))
      .put("load_generator", round2(bench))
      .put("other", round2(Math.max(0, machine - gateway - postgres - bench)))
      .put("machine_busy", round2(machine))
      .put("machine_cores", cores);
    JsonObject jvm = new JsonObject();
    if (!to.gateway().isEmpty() && !to.gatewayJvmThreads().isEmpty()) {
      jvm.put("gateway", jvmSplit(from.gatewayJvmThreads(), to.gatewayJvmThreads(), seconds));
    }
    if (!to.benchJvmThreads().isEmpty()) {
      jvm.put("load_generator", jvmSplit(from.benchJvmThreads(), to.benchJvmThreads(), seconds));
    }
    if (!jvm.isEmpty()) {
      split.put("jvm_threads", jvm);
    }
    return split;
  }

  /**
   * Cores' worth of each kind of JVM work between two snapshots, over the threads alive at the second (a thread
   * started in between counts from zero, one that ended in between is missing: a lower bound).
   */
  static JsonObject jvmSplit(Map<Long, ThreadTicks> from, Map<Long, ThreadTicks> to, double seconds) {
    long[] ticks = new long[JvmWork.values().length];
    to.forEach((tid, now) -> {
      ThreadTicks before = from.get(tid);
      ticks[now.work().ordinal()] += Math.max(0, now.ticks() - (before == null ? 0 : before.ticks()));
    });
    JsonObject split = new JsonObject();
    for (JvmWork work : JvmWork.values()) {
      split.put(work.key, round2(cores(ticks[work.ordinal()], seconds)));
    }
    return split;
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
    return ticks(PROC.resolve(Long.toString(pid)).resolve("stat"));
  }

  /** The JIT compiler and GC threads of a JVM, by thread id; empty when it is gone or not a HotSpot JVM. */
  static Map<Long, ThreadTicks> jvmThreads(long pid) {
    Map<Long, ThreadTicks> threads = new HashMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(PROC.resolve(Long.toString(pid)).resolve("task"))) {
      for (Path task : tasks) {
        try {
          JvmWork work = JvmWork.of(Files.readString(task.resolve("comm")).strip());
          if (work != null) {
            threads.put(Long.parseLong(task.getFileName().toString()), new ThreadTicks(work, ticks(task.resolve("stat"))));
          }
        } catch (IOException | NumberFormatException e) {
          // The thread ended while being looked at.
        }
      }
    } catch (IOException e) {
      return Map.of();
    }
    return threads;
  }

  /** utime + stime of a {@code stat} file of /proc (a process's or a thread's); 0 when it is gone. */
  private static long ticks(Path statFile) {
    try {
      String stat = Files.readString(statFile);
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
