package dev.relay.gateway.experiment;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Stable assignment of recipients")
class AssignmentTest {

  private static final int N = 100_000;
  /** 4.5 standard deviations: a fair draw passes all but once in ~150,000 runs per bound; a biased one fails. */
  private static final double SIGMAS = 4.5;

  private static void assertBinomial(String what, long observed, int n, double p) {
    double mean = n * p;
    double sd = Math.sqrt(n * p * (1 - p));
    assertThat((double) observed).as("%s: %d of %d, expected %.1f ± %.1f", what, observed, n, mean, SIGMAS * sd)
      .isBetween(mean - SIGMAS * sd, mean + SIGMAS * sd);
  }

  @Test
  @DisplayName("unit is SHA-256 of salt|tenant|campaign|recipient, its first 8 bytes unsigned over 2^64 "
    + "(53 bits), as an independent implementation (Python's hashlib) computes it")
  void documentedFormula() {
    assertThat(Assignment.unit("variant", 1, "spring", "r-1")).isEqualTo(0.542927192430359);
    assertThat(Assignment.unit("holdout", 42, "Spring sale ☀", "Ayşe")).isEqualTo(0.2929658993938663);
  }

  @Test
  @DisplayName("the same input gives the same value and variant every time; another salt, tenant, campaign or "
    + "recipient gives another value")
  void stable() {
    List<Assignment.Weighted> variants = List.of(new Assignment.Weighted("a", 1), new Assignment.Weighted("b", 1));
    for (int i = 0; i < 1000; i++) {
      String r = "r-" + i;
      double u = Assignment.unit("variant", 7, "c", r);
      assertThat(Assignment.unit("variant", 7, "c", r)).isEqualTo(u).isGreaterThanOrEqualTo(0).isLessThan(1);
      assertThat(Assignment.variant(variants, u)).isEqualTo(Assignment.variant(variants, Assignment.unit("variant", 7,
        "c", r)));
    }
    double u = Assignment.unit("variant", 7, "c", "r");
    assertThat(Assignment.unit("holdout", 7, "c", "r")).isNotEqualTo(u);
    assertThat(Assignment.unit("variant", 8, "c", "r")).isNotEqualTo(u);
    assertThat(Assignment.unit("variant", 7, "d", "r")).isNotEqualTo(u);
    assertThat(Assignment.unit("variant", 7, "c", "s")).isNotEqualTo(u);
  }

  @Test
  @DisplayName("variants lie on [0, 1) in name order by cumulative weight, whatever the order given")
  void cumulative() {
    List<Assignment.Weighted> given = List.of(new Assignment.Weighted("b", 3), new Assignment.Weighted("a", 1));
    assertThat(Assignment.variant(given, 0.0)).isEqualTo("a");
    assertThat(Assignment.variant(given, 0.2499)).isEqualTo("a");
    assertThat(Assignment.variant(given, 0.25)).isEqualTo("b");
    assertThat(Assignment.variant(given, Math.nextDown(1.0))).isEqualTo("b");
    assertThat(Assignment.variant(List.of(new Assignment.Weighted("a", 1), new Assignment.Weighted("b", 3)), 0.2499))
      .isEqualTo("a");
    assertThatThrownBy(() -> Assignment.variant(given, 1.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Assignment.variant(List.of(), 0.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Assignment.Weighted("a", 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Assignment.Weighted("a", -1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("over 100,000 recipients each variant's share and the holdout are within 4.5 binomial sigmas of "
    + "their weights, and holdout and variant draws are independent")
  void shares() {
    List<Assignment.Weighted> variants = List.of(new Assignment.Weighted("a", 1), new Assignment.Weighted("b", 2),
      new Assignment.Weighted("c", 7));
    double holdout = 0.1;
    Map<String, Long> byVariant = new HashMap<>();
    Map<String, Long> heldByVariant = new HashMap<>();
    long held = 0;
    long lowHalf = 0;
    for (int i = 0; i < N; i++) {
      String recipient = "user-" + i + "@example.com";
      String v = Assignment.variant(variants, Assignment.unit(Assignment.VARIANT, 3, "spring-sale", recipient));
      byVariant.merge(v, 1L, Long::sum);
      double h = Assignment.unit(Assignment.HOLDOUT, 3, "spring-sale", recipient);
      if (h < holdout) {
        held++;
        heldByVariant.merge(v, 1L, Long::sum);
      }
      if (Assignment.unit(Assignment.TEST, 3, "spring-sale", recipient) < 0.5) {
        lowHalf++;
      }
    }
    assertBinomial("a", byVariant.get("a"), N, 0.1);
    assertBinomial("b", byVariant.get("b"), N, 0.2);
    assertBinomial("c", byVariant.get("c"), N, 0.7);
    assertBinomial("held out", held, N, holdout);
    assertBinomial("test share", lowHalf, N, 0.5);
    // Independence: the held-out recipients split among the variants as everyone does.
    assertBinomial("held out in a", heldByVariant.get("a"), N, holdout * 0.1);
    assertBinomial("held out in b", heldByVariant.get("b"), N, holdout * 0.2);
    assertBinomial("held out in c", heldByVariant.get("c"), N, holdout * 0.7);
  }
}
