package dev.relay.gateway.experiment;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The statistical rule that chooses an experiment's winner: a two-proportion z-test of the variant with the
 * highest rate against every other variant.
 *
 * <p>Each variant is an {@link Arm}: {@code n} messages sent and {@code x} of them that did the thing measured
 * (clicked as a person, opened as a person, converted). The best arm is the one with the highest rate
 * {@code x / n}. For every other arm, with the pooled rate {@code p = (x1 + x2) / (n1 + n2)}, the statistic is
 * {@code z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))} and its two-sided p-value {@code 2 (1 - Φ(|z|))}. The best
 * arm wins when every comparison's p-value is below {@code α = (1 - confidence) / (k - 1)}: the significance level
 * split over the {@code k - 1} comparisons (Bonferroni), so that the chance of naming a winner that is not better
 * stays below {@code 1 - confidence} however many variants run. A tie for the best rate, an arm with nothing sent,
 * or rates of 0 or 1 everywhere (no variance to test) name no winner.
 */
public final class WinnerRule {

  /** The rule's name, as kept with a decision. */
  public static final String NAME = "two-proportion-z-test";

  private WinnerRule() {
  }

  /** One variant's figures: messages sent, and of them those that counted (unique per message). */
  public record Arm(String variant, long sent, long counted) {
    public Arm {
      if (sent < 0 || counted < 0 || counted > sent) {
        throw new IllegalArgumentException("variant " + variant + ": " + counted + " of " + sent + " is not a rate");
      }
    }

    public double rate() {
      return sent == 0 ? 0 : (double) counted / sent;
    }
  }

  /** The best arm against one other. */
  public record Comparison(String variant, double z, double pValue, boolean significant) {
  }

  /**
   * What the rule found.
   *
   * @param best    the arm with the highest rate, null when tied or nothing was sent
   * @param winner  {@code best} when every comparison is significant, else null
   * @param alpha   the significance level of each comparison
   * @param reason  why there is no winner, null when there is one
   */
  public record Result(String best, String winner, double confidence, double alpha, List<Comparison> comparisons,
                       String reason) {

    public JsonObject toJson() {
      JsonArray list = new JsonArray();
      comparisons.forEach(c -> list.add(new JsonObject().put("variant", c.variant()).put("z", Double.isNaN(c.z()) ? null : round(c.z()))
        .put("p_value", round(c.pValue())).put("significant", c.significant())));
      return new JsonObject().put("name", NAME).put("confidence", confidence).put("alpha", round(alpha))
        .put("best", best).put("winner", winner).put("comparisons", list).put("reason", reason);
    }
  }

  /** Applies the rule to at least two arms at a confidence strictly between 0 and 1. */
  public static Result decide(List<Arm> arms, double confidence) {
    if (arms.size() < 2) {
      throw new IllegalArgumentException("a test needs at least two variants, not " + arms.size());
    }
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException("confidence must be between 0 and 1, not " + confidence);
    }
    double alpha = (1 - confidence) / (arms.size() - 1);
    for (Arm arm : arms) {
      if (arm.sent() == 0) {
        return new Result(null, null, confidence, alpha, List.of(), "variant " + arm.variant() + " has no message sent");
      }
    }
    Arm best = arms.get(0);
    boolean tied = false;
    for (Arm arm : arms.subList(1, arms.size())) {
      int order = Double.compare(arm.rate(), best.rate());
      if (order > 0) {
        best = arm;
        tied = false;
      } else if (order == 0) {
        tied = true;
      }
    }
    List<Comparison> comparisons = new ArrayList<>();
    boolean all = true;
    for (Arm arm : arms) {
      if (arm != best) {
        double z = z(best, arm);
        double p = Double.isNaN(z) ? 1 : 2 * (1 - phi(Math.abs(z)));
        boolean significant = p < alpha;
        all &= significant;
        comparisons.add(new Comparison(arm.variant(), z, p, significant));
      }
    }
    if (tied) {
      return new Result(null, null, confidence, alpha, comparisons, "several variants share the best rate");
    }
    return all
      ? new Result(best.variant(), best.variant(), confidence, alpha, comparisons, null)
      : new Result(best.variant(), null, confidence, alpha, comparisons,
          "the best variant's lead over every other is not significant at this confidence");
  }

  /** The pooled two-proportion z statistic of {@code a} over {@code b}; NaN when the pooled rate is 0 or 1. */
  static double z(Arm a, Arm b) {
    double pooled = (double) (a.counted() + b.counted()) / (a.sent() + b.sent());
    double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / a.sent() + 1.0 / b.sent()));
    return se == 0 ? Double.NaN : (a.rate() - b.rate()) / se;
  }

  /**
   * The standard normal distribution function Φ, through the complementary error function by the Chebyshev fit
   * {@code erfcc} of Numerical Recipes (fractional error below 1.2e-7 everywhere).
   */
  static double phi(double x) {
    return 0.5 * erfc(-x / Math.sqrt(2));
  }

  private static double erfc(double x) {
    double z = Math.abs(x);
    double t = 1 / (1 + 0.5 * z);
    double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
      + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
      + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? r : 2 - r;
  }

  private static double round(double value) {
    return Math.round(value * 1e6) / 1e6;
  }
}
