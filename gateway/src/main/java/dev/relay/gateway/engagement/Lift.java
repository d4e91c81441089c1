package dev.relay.gateway.engagement;

/**
 * The lift of a treated group's conversion rate over a control group's (the held-out recipients), with 95%
 * confidence intervals.
 * <ul>
 *   <li>absolute lift d = p1 - p0, where p1 = x1 / n1 (treated) and p0 = x0 / n0 (control); its interval is the Wald
 *       interval for the difference of two independent proportions, d &plusmn; z &middot; sqrt(p1 (1 - p1) / n1 +
 *       p0 (1 - p0) / n0), z = 1.959964 (Newcombe 1998, method 1);</li>
 *   <li>relative lift p1 / p0 - 1; its interval is the Katz log interval of the risk ratio, exp(ln(p1 / p0) &plusmn;
 *       z &middot; sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)) - 1 (Katz et al. 1978). Undefined (null) when either group
 *       has no conversion.</li>
 * </ul>
 * Both are large-sample approximations: with few conversions in a group the intervals are too narrow.
 *
 * @param absolute         p1 - p0
 * @param absoluteInterval its 95% interval, {lower, upper}
 * @param relative         p1 / p0 - 1, or null
 * @param relativeInterval its 95% interval, or null
 */
public record Lift(double absolute, double[] absoluteInterval, Double relative, double[] relativeInterval) {

  /** The confidence of the intervals. */
  public static final double CONFIDENCE = 0.95;
  /** The standard normal quantile of 0.975. */
  static final double Z = 1.959963984540054;

  /**
   * The lift of {@code x1} converted of {@code n1} treated over {@code x0} converted of {@code n0} held out; null
   * when either group is empty.
   */
  public static Lift of(long x1, long n1, long x0, long n0) {
    if (n1 <= 0 || n0 <= 0) {
      return null;
    }
    if (x1 < 0 || x0 < 0 || x1 > n1 || x0 > n0) {
      throw new IllegalArgumentException("converted must be between 0 and the group's size");
    }
    double p1 = (double) x1 / n1;
    double p0 = (double) x0 / n0;
    double d = p1 - p0;
    double se = Math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0);
    double[] absoluteInterval = {d - Z * se, d + Z * se};
    if (x1 == 0 || x0 == 0) {
      return new Lift(d, absoluteInterval, null, null);
    }
    double logRatio = Math.log(p1 / p0);
    double seLog = Math.sqrt(1.0 / x1 - 1.0 / n1 + 1.0 / x0 - 1.0 / n0);
    return new Lift(d, absoluteInterval, p1 / p0 - 1,
      new double[] {Math.exp(logRatio - Z * seLog) - 1, Math.exp(logRatio + Z * seLog) - 1});
  }
}
