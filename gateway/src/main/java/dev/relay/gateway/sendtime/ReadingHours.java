package dev.relay.gateway.sendtime;

/**
 * A recipient's reading hours: a circular histogram of its human opens and clicks over the 24 local hours
 * (each already weighted by recency), smoothed over neighbouring hours, and the hour where they cluster.
 * The hours wrap around midnight: 23 and 0 are neighbours.
 */
public final class ReadingHours {

  /** How much an hour's neighbours add to it: reading around 21:00 spills into 20:xx and 22:xx. */
  static final double NEIGHBOUR = 0.5;

  private ReadingHours() {
  }

  /** The 24-hour histogram of these local hours with these weights (same length; hours 0 to 23). */
  public static double[] histogram(int[] hours, double[] weights) {
    if (hours.length != weights.length) {
      throw new IllegalArgumentException(hours.length + " hours but " + weights.length + " weights");
    }
    double[] histogram = new double[24];
    for (int i = 0; i < hours.length; i++) {
      if (hours[i] < 0 || hours[i] > 23) {
        throw new IllegalArgumentException("hour " + hours[i] + " is not 0 to 23");
      }
      histogram[hours[i]] += weights[i];
    }
    return histogram;
  }

  /** The histogram with each hour's neighbours (circularly) added at half weight. */
  public static double[] smoothed(double[] histogram) {
    double[] smoothed = new double[24];
    for (int h = 0; h < 24; h++) {
      smoothed[h] = histogram[h] + NEIGHBOUR * (histogram[(h + 23) % 24] + histogram[(h + 1) % 24]);
    }
    return smoothed;
  }

  /**
   * The hour where the smoothed histogram peaks; on a tie the hour with more events of its own, then the
   * earliest; -1 when the histogram is empty.
   */
  public static int best(double[] histogram) {
    double[] smoothed = smoothed(histogram);
    int best = -1;
    for (int h = 0; h < 24; h++) {
      if (smoothed[h] <= 0) {
        continue;
      }
      if (best < 0 || smoothed[h] > smoothed[best]
        || (smoothed[h] == smoothed[best] && histogram[h] > histogram[best])) {
        best = h;
      }
    }
    return best;
  }
}
