package dev.relay.loadtests;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class TimeSeriesTest {

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @Test
  @DisplayName("The interval is the longest of 1 s, 500, 250 and 100 ms that cuts the phase into ten or more")
  void intervalFitsThePhase() {
    assertThat(TimeSeries.over(30_000 * MS).intervalMillis()).isEqualTo(1000);
    assertThat(TimeSeries.over(30_000 * MS).intervals()).isEqualTo(30);
    assertThat(TimeSeries.over(8_000 * MS).intervalMillis()).isEqualTo(500);
    assertThat(TimeSeries.over(3_000 * MS).intervalMillis()).isEqualTo(250);
    assertThat(TimeSeries.over(1_200 * MS).intervalMillis()).isEqualTo(100);
    assertThat(TimeSeries.over(200 * MS).intervals()).isEqualTo(2);
  }

  @Test
  @DisplayName("Rates are per second of each interval, the last one running to the phase's end")
  void ratesPerSecond() {
    TimeSeries series = TimeSeries.over(10_500 * MS).rate("rows");
    series.count("rows", 0, 100);
    series.count("rows", 999 * MS, 100);
    series.count("rows", 10_200 * MS, 50);
    series.count("rows", 11_000 * MS, 1_000_000); // after the phase: left out
    JsonObject json = series.toJson();

    assertThat(json.getLong("interval_ms")).isEqualTo(1000);
    JsonArray rows = json.getJsonArray("rows");
    assertThat(rows).hasSize(11);
    assertThat(rows.getDouble(0)).isEqualTo(200.0);
    assertThat(rows.getDouble(1)).isEqualTo(0.0);
    assertThat(rows.getDouble(10)).isEqualTo(100.0); // 50 in the last half second
    assertThat(json.getJsonArray("t_seconds").getDouble(10)).isEqualTo(10.0);
  }

  @Test
  @DisplayName("A tail shorter than half an interval joins the last interval instead of making a rate of its own")
  void shortTailJoinsTheLastInterval() {
    TimeSeries series = TimeSeries.over(20_020 * MS).rate("rows");
    series.count("rows", 19_500 * MS, 1000);
    series.count("rows", 20_010 * MS, 4000); // in the last 20 ms: not a rate of 200,000/s
    JsonArray rows = series.toJson().getJsonArray("rows");

    assertThat(rows).hasSize(20);
    assertThat(rows.getDouble(19)).isEqualTo(4902.0); // 5000 over 1.02 s
  }

  @Test
  @DisplayName("Latency percentiles are nearest-rank over the samples of each interval, null where there is none")
  void percentilesPerInterval() {
    TimeSeries series = TimeSeries.over(20_000 * MS).latency("post");
    for (int i = 1; i <= 100; i++) {
      series.sample("post", 500 * MS, i * 1000L); // 1 to 100 ms in the first second
    }
    series.sample("post", 2_500 * MS, 7_000);
    JsonObject json = series.toJson();

    assertThat(json.getJsonArray("post_p50_ms").getDouble(0)).isEqualTo(50.0);
    assertThat(json.getJsonArray("post_p99_ms").getDouble(0)).isEqualTo(99.0);
    assertThat(json.getJsonArray("post_p50_ms").getValue(1)).isNull();
    assertThat(json.getJsonArray("post_p99_ms").getDouble(2)).isEqualTo(7.0);
  }

  @Test
  @DisplayName("Completions count their items at their end and their latency in the same interval")
  void completions() {
    Completions done = new Completions();
    long start = 1_000_000_000L;
    done.add(start + 1_500 * MS, 40_000, 1000);
    done.add(start + 1_600 * MS, 60_000, 1000);
    done.add(start + 4_000 * MS, -1, 1000);
    TimeSeries series = TimeSeries.over(12_000 * MS);
    series.add(done, start, "recipients_per_second", "post");
    JsonObject json = series.toJson();

    assertThat(json.getJsonArray("recipients_per_second").getDouble(1)).isEqualTo(2000.0);
    assertThat(json.getJsonArray("recipients_per_second").getDouble(4)).isEqualTo(1000.0);
    assertThat(json.getJsonArray("post_p99_ms").getDouble(1)).isEqualTo(60.0);
    assertThat(json.getJsonArray("post_p50_ms").getValue(4)).isNull();
  }
}
