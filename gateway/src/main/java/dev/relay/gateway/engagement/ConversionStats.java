package dev.relay.gateway.engagement;

import dev.relay.gateway.store.ConversionStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code conversions} member of a campaign's stats. Counts are recipients, not messages: {@code recipients} are
 * those the campaign reached (a message handed to a provider), {@code converted} those of them with an attributed
 * conversion; {@code conversion_rate} = converted / recipients (four decimals); {@code revenue} the sum of the values
 * of conversions whose last human click was on this campaign, per currency, and {@code revenue_per_recipient} that
 * over the reached recipients. The same per variant. With held-out recipients, {@code holdout} counts them alike and
 * {@code lift} compares the reached with the held-out (see {@link Lift}); each variant gets its own lift over the
 * same holdout.
 */
public final class ConversionStats {

  private ConversionStats() {
  }

  public static JsonObject of(ConversionStore.CampaignConversions data) {
    long treated = 0;
    long treatedConverted = 0;
    long heldOut = 0;
    long heldOutConverted = 0;
    Map<String, long[]> variants = new TreeMap<>();
    for (ConversionStore.Group g : data.groups()) {
      if (g.heldOut()) {
        heldOut += g.recipients();
        heldOutConverted += g.converted();
        continue;
      }
      treated += g.recipients();
      treatedConverted += g.converted();
      if (g.variant() != null) {
        long[] v = variants.computeIfAbsent(g.variant(), k -> new long[2]);
        v[0] += g.recipients();
        v[1] += g.converted();
      }
    }
    Map<String, BigDecimal> revenue = new TreeMap<>();
    Map<String, Map<String, BigDecimal>> variantRevenue = new TreeMap<>();
    for (ConversionStore.Revenue r : data.revenue()) {
      revenue.merge(r.currency(), r.amount(), BigDecimal::add);
      if (r.variant() != null) {
        variantRevenue.computeIfAbsent(r.variant(), k -> new TreeMap<>()).merge(r.currency(), r.amount(),
          BigDecimal::add);
      }
    }
    JsonObject stats = group(treated, treatedConverted, revenue);
    JsonObject byVariant = new JsonObject();
    long n0 = heldOut;
    long x0 = heldOutConverted;
    variants.forEach((name, v) -> {
      JsonObject one = group(v[0], v[1], variantRevenue.getOrDefault(name, Map.of()));
      byVariant.put(name, n0 > 0 ? one.put("lift", lift(Lift.of(v[1], v[0], x0, n0))) : one);
    });
    stats.put("variants", byVariant);
    if (heldOut > 0) {
      stats.put("holdout", new JsonObject().put("recipients", heldOut).put("converted", heldOutConverted)
        .put("conversion_rate", rate(heldOutConverted, heldOut)));
      stats.put("lift", lift(Lift.of(treatedConverted, treated, heldOutConverted, heldOut)));
    } else {
      stats.putNull("holdout").putNull("lift");
    }
    return stats;
  }

  private static JsonObject group(long recipients, long converted, Map<String, BigDecimal> revenue) {
    JsonObject amounts = new JsonObject();
    JsonObject perRecipient = new JsonObject();
    revenue.forEach((currency, amount) -> {
      amounts.put(currency, amount.doubleValue());
      if (recipients > 0) {
        perRecipient.put(currency, amount.divide(BigDecimal.valueOf(recipients), 4, RoundingMode.HALF_EVEN)
          .doubleValue());
      }
    });
    return new JsonObject().put("recipients", recipients).put("converted", converted)
      .put("conversion_rate", rate(converted, recipients)).put("revenue", amounts)
      .put("revenue_per_recipient", perRecipient);
  }

  private static JsonObject lift(Lift lift) {
    if (lift == null) {
      return null;
    }
    JsonObject json = new JsonObject().put("absolute", round(lift.absolute())).put("confidence", Lift.CONFIDENCE)
      .put("interval", new JsonArray().add(round(lift.absoluteInterval()[0])).add(round(lift.absoluteInterval()[1])))
      .put("method", "wald difference of proportions; katz log interval of the ratio");
    if (lift.relative() == null) {
      return json.putNull("relative").putNull("relative_interval");
    }
    return json.put("relative", round(lift.relative()))
      .put("relative_interval", new JsonArray().add(round(lift.relativeInterval()[0]))
        .add(round(lift.relativeInterval()[1])));
  }

  private static double round(double x) {
    return BigDecimal.valueOf(x).setScale(6, RoundingMode.HALF_EVEN).doubleValue();
  }

  private static Double rate(long part, long whole) {
    return whole == 0 ? null : BigDecimal.valueOf(part).divide(BigDecimal.valueOf(whole), 4, RoundingMode.HALF_EVEN)
      .doubleValue();
  }
}
