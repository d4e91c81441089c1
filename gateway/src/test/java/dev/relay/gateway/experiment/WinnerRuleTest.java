package dev.relay.gateway.experiment;

import dev.relay.gateway.experiment.WinnerRule.Arm;
import dev.relay.gateway.experiment.WinnerRule.Result;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@DisplayName("Winner rule: the two-proportion z-test, checked against textbook figures")
class WinnerRuleTest {

  @Test
  @DisplayName("Φ matches the standard normal table (1.645 → 0.95, 1.96 → 0.975, 2.576 → 0.995, 0 → 0.5)")
  void normalTable() {
    assertThat(WinnerRule.phi(0)).isCloseTo(0.5, within(1e-7));
    assertThat(WinnerRule.phi(1.0)).isCloseTo(0.841345, within(1e-6));
    assertThat(WinnerRule.phi(1.644854)).isCloseTo(0.95, within(1e-6));
    assertThat(WinnerRule.phi(1.959964)).isCloseTo(0.975, within(1e-6));
    assertThat(WinnerRule.phi(2.575829)).isCloseTo(0.995, within(1e-6));
    assertThat(WinnerRule.phi(-1.959964)).isCloseTo(0.025, within(1e-6));
    assertThat(WinnerRule.phi(-6)).isCloseTo(9.865876e-10, within(1e-9));
  }

  @Test
  @DisplayName("x1 = 140 of 200 against x2 = 255 of 340: z = -1.266 (pooled 0.7315, SE 0.03949), one-tailed p = 0.1028 "
    + "(the normal table: between Φ(-1.27) = 0.1020 and Φ(-1.26) = 0.1038)")
  void textbookExampleOne() {
    double z = WinnerRule.z(new Arm("a", 200, 140), new Arm("b", 340, 255));
    assertThat(z).isCloseTo(-1.266015, within(1e-5));
    assertThat(WinnerRule.phi(z)).isCloseTo(0.102754, within(1e-5)).isBetween(0.1020, 0.1038);
  }

  @Test
  @DisplayName("x1 = 28 of 254 against x2 = 36 of 301: z = -0.344, two-tailed p = 0.7307, not significant at 0.05")
  void textbookExampleTwo() {
    Result result = WinnerRule.decide(List.of(new Arm("a", 254, 28), new Arm("b", 301, 36)), 0.95);
    assertThat(result.best()).isEqualTo("b");
    assertThat(result.winner()).isNull();
    assertThat(result.comparisons()).singleElement().satisfies(c -> {
      assertThat(c.variant()).isEqualTo("a");
      assertThat(c.z()).isCloseTo(0.3441, within(1e-4));
      assertThat(c.pValue()).isCloseTo(0.7307, within(1e-4));
      assertThat(c.significant()).isFalse();
    });
    assertThat(result.reason()).contains("not significant");
  }

  @Test
  @DisplayName("10% against 13% of 1,000 each: z = 2.1028, p = 0.0355: a winner at 95%, none at 99%")
  void confidenceDecides() {
    List<Arm> arms = List.of(new Arm("a", 1000, 100), new Arm("b", 1000, 130));
    Result at95 = WinnerRule.decide(arms, 0.95);
    assertThat(at95.winner()).isEqualTo("b");
    assertThat(at95.comparisons().get(0).z()).isCloseTo(2.1028, within(1e-4));
    assertThat(at95.comparisons().get(0).pValue()).isCloseTo(0.0355, within(1e-4));
    assertThat(at95.reason()).isNull();
    Result at99 = WinnerRule.decide(arms, 0.99);
    assertThat(at99.best()).isEqualTo("b");
    assertThat(at99.winner()).isNull();
  }

  @Test
  @DisplayName("three variants: the level is split over the two comparisons (Bonferroni), and every one must pass")
  void bonferroni() {
    // b over a: p = 0.0355 < 0.05 but > 0.025, so with a third variant b is no longer a winner at 95%.
    Result result = WinnerRule.decide(List.of(new Arm("a", 1000, 100), new Arm("b", 1000, 130),
      new Arm("c", 1000, 50)), 0.95);
    assertThat(result.alpha()).isCloseTo(0.025, within(1e-12));
    assertThat(result.best()).isEqualTo("b");
    assertThat(result.winner()).isNull();
    Result clear = WinnerRule.decide(List.of(new Arm("a", 1000, 100), new Arm("b", 1000, 160),
      new Arm("c", 1000, 50)), 0.95);
    assertThat(clear.winner()).isEqualTo("b");
    assertThat(clear.comparisons()).extracting(WinnerRule.Comparison::variant).containsExactly("a", "c");
  }

  @Test
  @DisplayName("no winner from a tie, a variant with nothing sent, or no variance at all")
  void noWinner() {
    assertThat(WinnerRule.decide(List.of(new Arm("a", 1000, 300), new Arm("b", 1000, 300),
      new Arm("c", 1000, 10)), 0.95).reason()).contains("share the best rate");
    assertThat(WinnerRule.decide(List.of(new Arm("a", 1000, 300), new Arm("b", 0, 0)), 0.95).reason())
      .contains("variant b has no message sent");
    Result zero = WinnerRule.decide(List.of(new Arm("a", 1000, 0), new Arm("b", 1000, 0)), 0.95);
    assertThat(zero.winner()).isNull();
    assertThat(zero.toJson().getJsonArray("comparisons").getJsonObject(0).getValue("z")).isNull();
  }

  @Test
  @DisplayName("figures that are no rate, one variant, or a confidence outside (0, 1) are refused")
  void refusals() {
    assertThatThrownBy(() -> new Arm("a", 10, 11)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WinnerRule.decide(List.of(new Arm("a", 10, 1)), 0.95))
      .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WinnerRule.decide(List.of(new Arm("a", 10, 1), new Arm("b", 10, 2)), 1.0))
      .isInstanceOf(IllegalArgumentException.class);
  }
}
