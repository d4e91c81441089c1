package dev.relay.loadtests;

import dev.relay.loadtests.CpuUsage.JvmWork;
import dev.relay.loadtests.CpuUsage.ThreadTicks;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CpuUsageTest {

  @Test
  @DisplayName("HotSpot's compiler and collector threads are told from the rest by their names in /proc")
  void jvmThreadsByName() {
    assertThat(JvmWork.of("C2 CompilerThre")).isEqualTo(JvmWork.JIT_COMPILER);
    assertThat(JvmWork.of("C1 CompilerThre")).isEqualTo(JvmWork.JIT_COMPILER);
    assertThat(JvmWork.of("GC Thread#1")).isEqualTo(JvmWork.GC);
    assertThat(JvmWork.of("G1 Refine#0")).isEqualTo(JvmWork.GC);
    assertThat(JvmWork.of("G1 Main Marker")).isEqualTo(JvmWork.GC);
    assertThat(JvmWork.of("vert.x-eventloo")).isNull();
    assertThat(JvmWork.of("VM Thread")).isNull();
    assertThat(JvmWork.of("main")).isNull();
  }

  @Test
  @DisplayName("A JVM's compiler and GC cores are the ticks its threads gained; a thread started in between counts from 0")
  void jvmSplitFromTicks() {
    Map<Long, ThreadTicks> before = Map.of(
      11L, new ThreadTicks(JvmWork.JIT_COMPILER, 100),
      12L, new ThreadTicks(JvmWork.GC, 50),
      13L, new ThreadTicks(JvmWork.GC, 70));
    Map<Long, ThreadTicks> after = Map.of(
      11L, new ThreadTicks(JvmWork.JIT_COMPILER, 300),
      12L, new ThreadTicks(JvmWork.GC, 50),
      13L, new ThreadTicks(JvmWork.GC, 80),
      14L, new ThreadTicks(JvmWork.GC, 10));

    // Over 2 s at 100 ticks a second: the compiler 200 ticks, the collectors 0 + 10 + 10.
    assertThat(CpuUsage.jvmSplit(before, after, 2.0))
      .isEqualTo(new JsonObject().put("jit_compiler", 1.0).put("gc", 0.1));
  }

  @Test
  @DisplayName("This JVM's own compiler threads are found in /proc, and a phase's split carries them")
  void readsALiveJvm() {
    long self = ProcessHandle.current().pid();
    assertThat(CpuUsage.jvmThreads(self).values()).extracting(ThreadTicks::work).contains(JvmWork.JIT_COMPILER);

    CpuUsage cpu = new CpuUsage(self);
    CpuUsage.Snapshot from = cpu.snapshot();
    CpuUsage.Snapshot to = cpu.snapshot();
    JsonObject split = CpuUsage.between(from, to, 2);
    assertThat(split.getJsonObject("jvm_threads").getJsonObject("gateway").fieldNames())
      .containsExactlyInAnyOrder("jit_compiler", "gc");
    assertThat(split.getJsonObject("jvm_threads").getJsonObject("load_generator").fieldNames())
      .containsExactlyInAnyOrder("jit_compiler", "gc");
    assertThat(CpuUsage.jvmThreads(Long.MAX_VALUE)).isEmpty();
  }
}
