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
 * {@code machine_by_reason} counts the machine opens and clicks (events) by the classifier's reason. Rates are
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

  private static final String[] STEPS = {"accepted", "sent", "delivered", "bounced", "failed", "suppressed"};

  private CampaignStats() {
  }

  public static JsonObject of(String campaign, List<EngagementStore.Counter> counters) {
    Map<String, Map<String, Long>> byChannel = new TreeMap<>();
    for (EngagementStore.Counter c : counters) {
      byChannel.computeIfAbsent(c.channel(), k -> new TreeMap<>()).merge(c.metric(), c.n(), Long::sum);
    }
    byChannel.remove("none");
    JsonObject channels = new JsonObject();
    Map<String, Long> all = new TreeMap<>();
    byChannel.forEach((channel, metrics) -> {
      metrics.forEach((k, v) -> all.merge(k, v, Long::sum));
      channels.put(channel, funnel(metrics));
    });
    return new JsonObject().put("campaign", campaign).put("total", funnel(all)).put("channels", channels);
  }

  private static JsonObject funnel(Map<String, Long> m) {
    JsonObject f = new JsonObject();
    for (String step : STEPS) {
      f.put(step, n(m, step));
    }
    f.put("failed", n(m, "failed") + n(m, "dead"));
    f.put("opted_out", n(m, "opted_out"));
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
