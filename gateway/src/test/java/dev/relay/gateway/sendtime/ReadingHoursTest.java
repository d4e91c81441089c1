package dev.relay.gateway.sendtime;

import dev.relay.gateway.throttle.QuietHours;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Reading hours and the send window of send-time optimization")
class ReadingHoursTest {

  private static final ZoneId ISTANBUL = ZoneId.of("Europe/Istanbul");
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  @Test
  @DisplayName("the best hour is where the weighted events cluster, not the single heaviest hour")
  void clusterBeatsSpike() {
    // 20:00 has one heavy hour alone; 9, 10 and 11 together weigh more around 10.
    double[] histogram = ReadingHours.histogram(new int[] {20, 9, 10, 11}, new double[] {3.0, 2.0, 2.5, 2.0});
    assertThat(ReadingHours.best(histogram)).isEqualTo(10);
  }

  @Test
  @DisplayName("hours wrap around midnight: 23 and 1 are neighbours of 0")
  void wrapsAroundMidnight() {
    double[] histogram = ReadingHours.histogram(new int[] {23, 0, 1, 12}, new double[] {2.0, 2.0, 2.0, 2.5});
    assertThat(ReadingHours.best(histogram)).isEqualTo(0);
    double[] smoothed = ReadingHours.smoothed(histogram);
    assertThat(smoothed[0]).isEqualTo(4.0);
    assertThat(smoothed[23]).isEqualTo(3.0);
    // 22 sees 23, 21 sees nothing.
    assertThat(smoothed[22]).isEqualTo(1.0);
    assertThat(smoothed[21]).isZero();
  }

  @Test
  @DisplayName("a cluster across midnight (23:xx and 00:xx) peaks at the heavier side")
  void clusterAcrossMidnight() {
    double[] histogram = ReadingHours.histogram(new int[] {22, 23, 0}, new double[] {1.0, 3.0, 2.0});
    assertThat(ReadingHours.best(histogram)).isEqualTo(23);
  }

  @Test
  @DisplayName("recent events weighted more move the best hour to the recent habit")
  void recencyWins() {
    // Old habit at 8 (four events of weight 0.1), a recent one at 19 (two events of weight 0.9).
    double[] histogram = ReadingHours.histogram(new int[] {8, 8, 8, 8, 19, 19},
      new double[] {0.1, 0.1, 0.1, 0.1, 0.9, 0.9});
    assertThat(ReadingHours.best(histogram)).isEqualTo(19);
  }

  @Test
  @DisplayName("no events: no best hour; a tie goes to the hour with more events of its own, then the earliest")
  void emptyAndTies() {
    assertThat(ReadingHours.best(new double[24])).isEqualTo(-1);
    assertThat(ReadingHours.best(ReadingHours.histogram(new int[] {5, 15}, new double[] {1.0, 1.0}))).isEqualTo(5);
    assertThatThrownBy(() -> ReadingHours.histogram(new int[] {24}, new double[] {1.0}))
      .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("a message is due at the first occurrence of its hour in the window, at its recipient's minute")
  void firstOccurrence() {
    // 10:20 in Istanbul (07:20 UTC); 24-hour window.
    Instant start = Instant.parse("2026-06-10T07:20:00Z");
    SendWindow window = new SendWindow(start, start.plusSeconds(24 * 3600), Optional.empty(), 30);
    String id = "r-1";
    long minute = Math.floorMod(id.hashCode(), 30);
    // 19:00 Istanbul today = 16:00 UTC.
    assertThat(window.due(id, 19, ISTANBUL, ISTANBUL)).isEqualTo(Instant.parse("2026-06-10T16:00:00Z")
      .plusSeconds(minute * 60));
    // 08:00 Istanbul has passed today: tomorrow, 05:00 UTC.
    assertThat(window.due(id, 8, ISTANBUL, ISTANBUL)).isEqualTo(Instant.parse("2026-06-11T05:00:00Z")
      .plusSeconds(minute * 60));
    // The hour of the start itself: not before the start.
    assertThat(window.due(id, 10, ISTANBUL, ISTANBUL)).isAfterOrEqualTo(start)
      .isBefore(Instant.parse("2026-06-10T08:00:00Z"));
  }

  @Test
  @DisplayName("an hour the window does not reach gives the nearest hour it does; the start when none")
  void nearestInWindow() {
    // 10:00 to 13:00 UTC: asking for 16 gives 12, asking for 8 gives 10.
    Instant start = Instant.parse("2026-06-10T10:00:00Z");
    SendWindow window = new SendWindow(start, start.plusSeconds(3 * 3600), Optional.empty(), 1);
    assertThat(window.due("x", 16, ZoneOffset.UTC, ZoneOffset.UTC)).isEqualTo(Instant.parse("2026-06-10T12:00:00Z"));
    assertThat(window.due("x", 8, ZoneOffset.UTC, ZoneOffset.UTC)).isEqualTo(Instant.parse("2026-06-10T10:00:00Z"));
  }

  @Test
  @DisplayName("quiet hours: a reading hour inside them gives the nearest allowed hour, in the recipient's zone")
  void quietHours() {
    QuietHours night = QuietHours.parse("21:00-09:00").orElseThrow();
    Instant start = Instant.parse("2026-06-10T00:00:00Z");
    SendWindow window = new SendWindow(start, start.plusSeconds(48 * 3600), Optional.of(night), 1);
    // 23:00 is quiet: 20:00 (3 away) beats 09:00 (10 away). New York is UTC-4 in June.
    Instant due = window.due("x", 23, NEW_YORK, NEW_YORK);
    assertThat(due.atZone(NEW_YORK).getHour()).isEqualTo(20);
    // 06:00 is quiet: 09:00 (3 away) beats 20:00 (10 away).
    assertThat(window.due("x", 6, NEW_YORK, NEW_YORK).atZone(NEW_YORK).getHour()).isEqualTo(9);
    // 14:00 is allowed as it is.
    assertThat(window.due("x", 14, NEW_YORK, NEW_YORK).atZone(NEW_YORK).getHour()).isEqualTo(14);
    // A window wholly inside quiet hours: its start (the dispatcher defers it out of them).
    Instant night1 = Instant.parse("2026-06-10T04:00:00Z");
    SendWindow quiet = new SendWindow(night1, night1.plusSeconds(3600), Optional.of(night), 1);
    assertThat(quiet.due("x", 0, NEW_YORK, NEW_YORK)).isEqualTo(night1);
  }

  @Test
  @DisplayName("across a daylight-saving change the due time keeps the local hour")
  void daylightSaving() {
    // New York falls back on 2026-11-01: 19:00 local is 23:00 UTC on Oct 31 and 00:00 UTC on Nov 2.
    Instant start = Instant.parse("2026-11-01T12:00:00Z");
    SendWindow window = new SendWindow(start, start.plusSeconds(72 * 3600), Optional.empty(), 1);
    Instant due = window.due("x", 19, NEW_YORK, NEW_YORK);
    assertThat(due).isEqualTo(Instant.parse("2026-11-02T00:00:00Z"));
    assertThat(due.atZone(NEW_YORK).getHour()).isEqualTo(19);
  }
}
