package dev.relay.gateway.engagement;

import dev.relay.gateway.store.EngagementStore;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A campaign's funnel per channel from its counters. Counts of steps are messages (each counted once,
 * however often the step was reported); opens and clicks are also given as totals (every report);
 * {@code machine_by_reason} counts the machine opens and clicks (events) by the classifier's reason; {@code held_out}
 * counts the recipients kept out as the campaign's control group (in the total only: they have no channel).
 * {@code variants} gives the same funnel per variant of an experiment (over all channels). Rates are
 * fractions with four decimals, null when their denominator is 0:
 * <ul>
 *   <li>{@code delivery_rate} = delivered / sent; {@code bounce_rate} = bounced / sent;</li>
 *   <li>{@code open_rate}, {@code human_open_rate}, {@code click_rate}, {@code human_click_rate},
 *       {@code unsubscribe_rate}, {@code complaint_rate} = unique count / delivered, or / sent on a channel
 *       that reported no delivery (the {@code rate_base} field says which);</li>
 *   <li>{@code click_to_open_rate} = unique clicks / unique opens.</li>
 * </ul>
 */
public final class CampaignStats {

  private static final String HELD_OUT = "held_out";
  private static final String[] STEPS = {"accepted", "sent", "delivered", "bounced", "failed", "suppressed"};

  private CampaignStats() {
  }

  public static JsonObject of(String campaign, List<EngagementStore.Counter> counters) {
    return of(campaign, counters, List.of());
  }

  /** The stats of a campaign from its counters per channel and per variant. */
  public static JsonObject of(String campaign, List<EngagementStore.Counter> counters,
                              List<EngagementStore.VariantCounter> variantCounters) {
    Map<String, Map<String, Long>> byChannel = new TreeMap<>();
    for (EngagementStore.Counter c : counters) {
      byChannel.computeIfAbsent(c.channel(), k -> new TreeMap<>()).merge(c.metric(), c.n(), Long::sum);
    }
    Map<String, Long> none = byChannel.remove("none");
    JsonObject channels = new JsonObject();
    Map<String, Long> all = new TreeMap<>();
    byChannel.forEach((channel, metrics) -> {
      metrics.forEach((k, v) -> all.merge(k, v, Long::sum));
      channels.put(channel, funnel(metrics));
    });
    // A held-out recipient was never given a channel: its event is counted under 'none'.
    if (none != null) {
      all.merge(HELD_OUT, none.getOrDefault(HELD_OUT, 0L), Long::sum);
    }
    Map<String, Map<String, Long>> byVariant = new TreeMap<>();
    for (EngagementStore.VariantCounter c : variantCounters) {
      byVariant.computeIfAbsent(c.variant(), k -> new TreeMap<>()).merge(c.metric(), c.n(), Long::sum);
    }
    JsonObject variants = new JsonObject();
    byVariant.forEach((variant, metrics) -> variants.put(variant, funnel(metrics)));
    return new JsonObject().put("campaign", campaign).put("total", funnel(all)).put("channels", channels)
      .put("variants", variants);
  }

  private static JsonObject funnel(Map<String, Long> m) {
    JsonObject f = new JsonObject();
    for (String step : STEPS) {
      f.put(step, n(m, step));
    }
    f.put("failed", n(m, "failed") + n(m, "dead"));
    f.put(HELD_OUT, n(m, HELD_OUT));
    f.put("bounced_hard", n(m, "bounced_hard")).put("bounced_soft", n(m, "bounced_soft"));
    for (String step : new String[] {"opened", "clicked"}) {
      JsonObject byReason = new JsonObject();
      String prefix = step + "_machine:";
      m.forEach((metric, n) -> {
        if (metric.startsWith(prefix) && n != 0) {
          byReason.put(metric.substring(prefix.length()), n);
        }
      });
      f.put(step, new JsonObject().put("total", n(m, step + "_total")).put("unique", n(m, step))
        .put("unique_human", n(m, step + "_human")).put("machine_by_reason", byReason));
    }
    f.put("unsubscribed", n(m, "unsubscribed")).put("complained", n(m, "complained"));
    long sent = n(m, "sent");
    long delivered = n(m, "delivered");
    boolean byDelivered = delivered > 0;
    long base = byDelivered ? delivered : sent;
    JsonObject rates = new JsonObject()
      .put("rate_base", byDelivered ? "delivered" : "sent")
      .put("delivery_rate", rate(delivered, sent))
      .put("bounce_rate", rate(n(m, "bounced"), sent))
      .put("open_rate", rate(n(m, "opened"), base))
      .put("human_open_rate", rate(n(m, "opened_human"), base))
      .put("click_rate", rate(n(m, "clicked"), base))
      .put("human_click_rate", rate(n(m, "clicked_human"), base))
      .put("click_to_open_rate", rate(n(m, "clicked"), n(m, "opened")))
      .put("unsubscribe_rate", rate(n(m, "unsubscribed"), base))
      .put("complaint_rate", rate(n(m, "complained"), base));
    return f.put("rates", rates);
  }

  private static long n(Map<String, Long> m, String metric) {
    return m.getOrDefault(metric, 0L);
  }

  private static Double rate(long part, long whole) {
    return whole == 0 ? null : BigDecimal.valueOf(part).divide(BigDecimal.valueOf(whole), 4, RoundingMode.HALF_EVEN)
      .doubleValue();
  }
}
