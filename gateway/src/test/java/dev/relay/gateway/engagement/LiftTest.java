package dev.relay.gateway.engagement;

import dev.relay.gateway.store.ConversionStore;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@DisplayName("Lift of a treated group over a held-out one, with its confidence intervals")
class LiftTest {

  @Test
  @DisplayName("the absolute lift's interval is Newcombe's (1998) method 1 for 56/70 against 48/80: 0.0575 to 0.3425")
  void waldDifference() {
    Lift lift = Lift.of(56, 70, 48, 80);
    assertThat(lift.absolute()).isCloseTo(0.2, within(1e-12));
    assertThat(lift.absoluteInterval()[0]).isCloseTo(0.0575, within(5e-5));
    assertThat(lift.absoluteInterval()[1]).isCloseTo(0.3425, within(5e-5));
  }

  @Test
  @DisplayName("the relative lift's interval is Katz's log interval of the ratio: 1.3333 (1.0766 to 1.6512) for 56/70 "
    + "against 48/80, given as ratio - 1")
  void katzRatio() {
    // ln(4/3) = 0.287682; SE = sqrt(1/56 - 1/70 + 1/48 - 1/80) = 0.109109; exp(0.287682 -+ 1.959964 * 0.109109).
    Lift lift = Lift.of(56, 70, 48, 80);
    assertThat(lift.relative()).isCloseTo(1.0 / 3, within(1e-12));
    assertThat(lift.relativeInterval()[0]).isCloseTo(0.076626, within(1e-6));
    assertThat(lift.relativeInterval()[1]).isCloseTo(0.651249, within(1e-6));
  }

  @Test
  @DisplayName("without conversions in a group the relative lift is undefined; without a group there is no lift")
  void degenerate() {
    Lift noControlConversion = Lift.of(10, 100, 0, 50);
    assertThat(noControlConversion.absolute()).isCloseTo(0.1, within(1e-12));
    assertThat(noControlConversion.relative()).isNull();
    assertThat(noControlConversion.relativeInterval()).isNull();
    assertThat(Lift.of(10, 100, 0, 0)).isNull();
    assertThat(Lift.of(0, 0, 1, 10)).isNull();
    assertThatThrownBy(() -> Lift.of(11, 10, 1, 10)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("the stats' conversions member: rates, revenue per recipient, holdout, lift overall and per variant")
  void statsMember() {
    JsonObject stats = ConversionStats.of(new ConversionStore.CampaignConversions(List.of(
      new ConversionStore.Group("a", false, 40, 30),
      new ConversionStore.Group("b", false, 30, 26),
      new ConversionStore.Group(null, true, 80, 48)), List.of(
      new ConversionStore.Revenue("a", "EUR", new BigDecimal("100.50")),
      new ConversionStore.Revenue("b", "EUR", new BigDecimal("39.50")),
      new ConversionStore.Revenue("b", "USD", new BigDecimal("7")))));
    assertThat(stats.getLong("recipients")).isEqualTo(70);
    assertThat(stats.getLong("converted")).isEqualTo(56);
    assertThat(stats.getDouble("conversion_rate")).isEqualTo(0.8);
    assertThat(stats.getJsonObject("revenue").getDouble("EUR")).isEqualTo(140.0);
    assertThat(stats.getJsonObject("revenue_per_recipient").getDouble("EUR")).isEqualTo(2.0);
    assertThat(stats.getJsonObject("revenue_per_recipient").getDouble("USD")).isEqualTo(0.1);
    assertThat(stats.getJsonObject("holdout")).isEqualTo(new JsonObject().put("recipients", 80L).put("converted", 48L)
      .put("conversion_rate", 0.6));
    JsonObject lift = stats.getJsonObject("lift");
    assertThat(lift.getDouble("absolute")).isEqualTo(0.2);
    assertThat(lift.getDouble("confidence")).isEqualTo(0.95);
    assertThat(lift.getJsonArray("interval").getDouble(0)).isEqualTo(0.057505);
    assertThat(lift.getJsonArray("interval").getDouble(1)).isEqualTo(0.342495);
    assertThat(lift.getDouble("relative")).isEqualTo(0.333333);
    JsonObject b = stats.getJsonObject("variants").getJsonObject("b");
    assertThat(b.getLong("recipients")).isEqualTo(30);
    assertThat(b.getDouble("conversion_rate")).isEqualTo(0.8667);
    assertThat(b.getJsonObject("revenue").getDouble("USD")).isEqualTo(7.0);
    assertThat(b.getJsonObject("lift").getDouble("absolute")).isEqualTo(0.266667);
    assertThat(stats.getJsonObject("variants").getJsonObject("a").getJsonObject("revenue_per_recipient")
      .getDouble("EUR")).isEqualTo(2.5125);
  }

  @Test
  @DisplayName("a campaign without holdout has null holdout and lift, and no variants")
  void noHoldout() {
    JsonObject stats = ConversionStats.of(new ConversionStore.CampaignConversions(List.of(
      new ConversionStore.Group(null, false, 10, 1)), List.of()));
    assertThat(stats.getValue("holdout")).isNull();
    assertThat(stats.containsKey("lift")).isTrue();
    assertThat(stats.getValue("lift")).isNull();
    assertThat(stats.getJsonObject("variants").isEmpty()).isTrue();
    assertThat(stats.getDouble("conversion_rate")).isEqualTo(0.1);
  }
}
