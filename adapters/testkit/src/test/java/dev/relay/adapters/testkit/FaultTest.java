package dev.relay.adapters.testkit;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FaultTest {

  @Test
  @DisplayName("A fault applies to every request until cleared unless narrowed, and narrowing makes a copy")
  void defaultsAndWithers() {
    Fault fault = Fault.status(503);
    Fault narrowed = fault.share(0.25).forPeriod(Duration.ofSeconds(3));

    assertThat(fault.probability()).isEqualTo(1.0);
    assertThat(fault.period()).isEmpty();
    assertThat(narrowed.kind()).isEqualTo(Fault.Kind.STATUS);
    assertThat(narrowed.httpStatus()).isEqualTo(503);
    assertThat(narrowed.probability()).isEqualTo(0.25);
    assertThat(narrowed.period()).contains(Duration.ofSeconds(3));
  }

  @Test
  @DisplayName("Nonsense faults are refused when they are made")
  void validation() {
    assertThatThrownBy(() -> Fault.status(200)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.status(600)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.reset().share(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.reset().share(1.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.timeout().forPeriod(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.slow(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("The JSON form reads back into the same fault, for every kind")
  void jsonRoundTrip() {
    for (Fault fault : new Fault[] {Fault.status(500).share(0.5), Fault.throttle(Duration.ofSeconds(2)),
      Fault.timeout().forPeriod(Duration.ofSeconds(10)), Fault.slow(Duration.ofMillis(250)), Fault.reset()}) {
      assertThat(Fault.fromJson(fault.toJson())).isEqualTo(fault);
    }
  }

  @Test
  @DisplayName("The documented JSON form reads as documented")
  void documentedJson() {
    Fault fault = Fault.fromJson(new JsonObject("{\"kind\":\"throttle\",\"retry_after_seconds\":2,\"share\":0.5,"
      + "\"seconds\":10}"));

    assertThat(fault).isEqualTo(Fault.throttle(Duration.ofSeconds(2)).share(0.5).forPeriod(Duration.ofSeconds(10)));
    assertThat(Fault.fromJson(new JsonObject().put("kind", "slow").put("delay_ms", 500)))
      .isEqualTo(Fault.slow(Duration.ofMillis(500)));
  }

  @Test
  @DisplayName("Bad JSON faults are refused with a message that names the field")
  void jsonErrors() {
    assertThatThrownBy(() -> Fault.fromJson(new JsonObject())).hasMessageContaining("'kind'");
    assertThatThrownBy(() -> Fault.fromJson(new JsonObject().put("kind", "explode"))).hasMessageContaining("'kind'");
    assertThatThrownBy(() -> Fault.fromJson(new JsonObject().put("kind", "status"))).hasMessageContaining("'status'");
    assertThatThrownBy(() -> Fault.fromJson(new JsonObject().put("kind", "slow").put("delay_ms", "soon")))
      .hasMessageContaining("'delay_ms'");
    assertThatThrownBy(() -> Fault.fromJson(new JsonObject().put("kind", "reset").put("share", "half")))
      .hasMessageContaining("'share'");
  }

  @Test
  @DisplayName("Retry-After is announced in whole seconds, rounded up")
  void retryAfterSeconds() {
    assertThat(Fault.throttle(Duration.ofMillis(1500)).retryAfterSeconds()).isEqualTo(2);
    assertThat(Fault.throttle(Duration.ofSeconds(3)).retryAfterSeconds()).isEqualTo(3);
    assertThat(Fault.throttle(Duration.ZERO).retryAfterSeconds()).isZero();
  }
}
