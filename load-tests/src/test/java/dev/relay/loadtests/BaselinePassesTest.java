package dev.relay.loadtests;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The bare client's passes")
class BaselinePassesTest {

  private static E2eBench.BaselineRun pass(long messages, double seconds, long unique, long duplicates, long errors) {
    SinkBaseline.Result result = new SinkBaseline.Result();
    result.messages = messages;
    result.errors = errors;
    result.startNanos = 1_000_000_000L;
    result.endNanos = result.startNanos + (long) (seconds * 1e9);
    return new E2eBench.BaselineRun(result, unique, duplicates, new JsonObject(), null, new JsonObject(), List.of());
  }

  @Test
  @DisplayName("report the median pass by rate, with every pass's rate")
  void median() {
    E2eBench.BaselineRun chosen = E2eBench.median(List.of(pass(60_000, 2.0, 60_000, 0, 0), pass(60_000, 6.0, 60_000, 0, 0),
      pass(60_000, 1.2, 60_000, 0, 0), pass(60_000, 3.0, 60_000, 0, 0), pass(60_000, 1.5, 60_000, 0, 0)));
    assertThat(E2eBench.baselineRate(chosen)).isEqualTo(30_000.0);
    assertThat(chosen.passRates()).containsExactly(30_000.0, 10_000.0, 50_000.0, 20_000.0, 40_000.0);
  }

  @Test
  @DisplayName("report a pass that lost, duplicated or failed a message instead, so that the run fails on it")
  void failedPass() {
    E2eBench.BaselineRun duplicated = pass(60_000, 1.0, 60_000, 3, 0);
    assertThat(E2eBench.median(List.of(pass(60_000, 2.0, 60_000, 0, 0), duplicated, pass(60_000, 2.0, 60_000, 0, 0)))
      .duplicates()).isEqualTo(3);
    assertThat(E2eBench.median(List.of(pass(60_000, 2.0, 59_999, 0, 0), pass(60_000, 2.0, 60_000, 0, 0))).unique())
      .isEqualTo(59_999);
    assertThat(E2eBench.median(List.of(pass(60_000, 2.0, 60_000, 0, 0), pass(60_000, 2.0, 60_000, 0, 2))).result().errors)
      .isEqualTo(2);
  }
}
