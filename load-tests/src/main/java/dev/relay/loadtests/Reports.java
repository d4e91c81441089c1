package dev.relay.loadtests;

import io.vertx.core.json.JsonObject;

import java.util.Locale;

/** Rounding and the summary lines the benchmarks' reports share. */
final class Reports {

  private Reports() {
  }

  static double perSecond(double count, double seconds) {
    return seconds > 0 ? count / seconds : 0;
  }

  /** Microseconds as milliseconds, to 0.01 ms. */
  static double millis(long micros) {
    return round(micros / 1000.0, 2);
  }

  static double round(double value, int digits) {
    double scale = Math.pow(10, digits);
    return Math.round(value * scale) / scale;
  }

  /** The summary's first lines: the benchmark's name and start, and the machine. */
  static String header(String title, JsonObject result) {
    JsonObject m = result.getJsonObject("machine");
    return String.format(Locale.ROOT, "%n%s, %s%n", title, result.getString("started_at"))
      + String.format(Locale.ROOT, "  machine    %d cores (%s), %.1f GiB, Java %s, PostgreSQL %s%n",
      m.getInteger("cores"), m.getString("cpu_model"), m.getLong("memory_bytes") / (double) (1L << 30),
      m.getString("java"), m.getJsonObject("postgresql").getString("version"));
  }

  /** A goal of a result ({@code ReportWriter.goal}) as one summary line: met or NOT, what, figure, goal. */
  static String goalLine(JsonObject goal) {
    Object figure = goal.getValue("figure");
    return String.format(Locale.ROOT, "  %-4s %s: %s (goal %s)%n", goal.getBoolean("met") ? "met" : "NOT",
      goal.getString("what"), figure == null ? "not measured" : figure, goal.getString("goal"));
  }

  /** A {@link CpuUsage#between} split as one summary line; empty when there is none. */
  static String cpuLine(JsonObject cpu) {
    if (cpu == null || cpu.isEmpty()) {
      return "";
    }
    JsonObject jvm = cpu.getJsonObject("jvm_threads", new JsonObject());
    String gateway = cpu.containsKey("gateway")
      ? String.format(Locale.ROOT, "gateway %.2f%s, ", cpu.getDouble("gateway"), jvmWork(jvm.getJsonObject("gateway")))
      : "";
    return String.format(Locale.ROOT,
      "  cpu cores  %spostgresql %.2f, load generator %.2f%s, other %.2f; machine busy %.2f of %d%n",
      gateway, cpu.getDouble("postgresql"), cpu.getDouble("load_generator"), jvmWork(jvm.getJsonObject("load_generator")),
      cpu.getDouble("other"), cpu.getDouble("machine_busy"), cpu.getInteger("machine_cores"));
  }

  /**
   * A {@link BenchDatabase.WalPosition#perRow} as one summary line, per {@code unit} ("message", "row"); empty
   * when there is none, the reason when it was not read.
   */
  static String writesLine(JsonObject writes, String unit) {
    if (writes == null || writes.isEmpty()) {
      return "";
    }
    if (writes.containsKey("error")) {
      return "  pg WAL     " + writes.getString("error") + "\n";
    }
    return String.format(Locale.ROOT, "  pg WAL     %.1f bytes per %s (%.1f MiB in all)%n",
      writes.getDouble("wal_bytes_per_row"), unit, writes.getLong("wal_bytes") / (double) (1L << 20));
  }

  /** What of a JVM's cores its JIT compiler and GC threads took, as " (JIT 0.27, GC 0.05)"; empty when not read. */
  static String jvmWork(JsonObject split) {
    if (split == null || !split.containsKey("jit_compiler")) {
      return "";
    }
    return String.format(Locale.ROOT, " (JIT %.2f, GC %.2f)", split.getDouble("jit_compiler"), split.getDouble("gc"));
  }
}
