package dev.relay.gateway.throttle;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Quiet hours in the recipient's time zone")
class QuietHoursTest {

  private static final QuietHours NIGHT = QuietHours.parse("21:00-09:00").orElseThrow();
  private static final ZoneId ISTANBUL = ZoneId.of("Europe/Istanbul");
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  private static Optional<Instant> at(QuietHours q, String instant, ZoneId zone) {
    return q.deferUntil(Clock.fixed(Instant.parse(instant), ZoneOffset.UTC), zone);
  }

  @Test
  @DisplayName("a window across midnight defers to 09:00 local, the same day after midnight and the next day before")
  void acrossMidnight() {
    // 19:30 UTC is 22:30 in Istanbul (UTC+3, no DST): deferred to 09:00 tomorrow, 06:00 UTC.
    assertThat(at(NIGHT, "2026-06-10T19:30:00Z", ISTANBUL)).contains(Instant.parse("2026-06-11T06:00:00Z"));
    // 02:00 in Istanbul: 09:00 the same day.
    assertThat(at(NIGHT, "2026-06-10T23:00:00Z", ISTANBUL)).contains(Instant.parse("2026-06-11T06:00:00Z"));
    // 12:00 in Istanbul: outside.
    assertThat(at(NIGHT, "2026-06-10T09:00:00Z", ISTANBUL)).isEmpty();
    // The end is exclusive, the start inclusive.
    assertThat(at(NIGHT, "2026-06-10T06:00:00Z", ISTANBUL)).isEmpty();
    assertThat(at(NIGHT, "2026-06-10T18:00:00Z", ISTANBUL)).contains(Instant.parse("2026-06-11T06:00:00Z"));
  }

  @Test
  @DisplayName("the same instant is quiet in one zone and not in another")
  void zonesDiffer() {
    // 14:00 UTC: 17:00 in Istanbul (send), 10:00 in New York (send), 23:00 in Tokyo (quiet until 09:00 JST = 00:00 UTC).
    assertThat(at(NIGHT, "2026-06-10T14:00:00Z", ISTANBUL)).isEmpty();
    assertThat(at(NIGHT, "2026-06-10T14:00:00Z", NEW_YORK)).isEmpty();
    assertThat(at(NIGHT, "2026-06-10T14:00:00Z", ZoneId.of("Asia/Tokyo")))
      .contains(Instant.parse("2026-06-11T00:00:00Z"));
  }

  @Test
  @DisplayName("across New York's DST changes the window ends at 09:00 local time, whatever the offset")
  void daylightSaving() {
    // 2026-03-08 02:00 EST → 03:00 EDT. At 01:30 EST (06:30 UTC) the window ends at 09:00 EDT = 13:00 UTC,
    // not 14:00 UTC as the offset at the start would say.
    assertThat(at(NIGHT, "2026-03-08T06:30:00Z", NEW_YORK)).contains(Instant.parse("2026-03-08T13:00:00Z"));
    // 2026-11-01 02:00 EDT → 01:00 EST. At 22:00 EDT on Oct 31 (02:00 UTC) it ends at 09:00 EST = 14:00 UTC.
    assertThat(at(NIGHT, "2026-11-01T02:00:00Z", NEW_YORK)).contains(Instant.parse("2026-11-01T14:00:00Z"));
    // A window ending inside the spring gap (02:30 does not exist on 2026-03-08) ends at the first valid time.
    QuietHours early = QuietHours.parse("01:00-02:30").orElseThrow();
    assertThat(at(early, "2026-03-08T06:30:00Z", NEW_YORK)).contains(Instant.parse("2026-03-08T07:30:00Z"));
  }

  @Test
  @DisplayName("a window inside one day, no time zone (UTC), and bad settings")
  void sameDayAndErrors() {
    QuietHours lunch = QuietHours.parse("13:00-14:00").orElseThrow();
    assertThat(at(lunch, "2026-06-10T13:30:00Z", QuietHours.zoneOf(null))).contains(Instant.parse("2026-06-10T14:00:00Z"));
    assertThat(at(lunch, "2026-06-10T14:30:00Z", QuietHours.zoneOf("Not/AZone"))).isEmpty();
    assertThat(QuietHours.parse("")).isEmpty();
    assertThatThrownBy(() -> QuietHours.parse("21-9")).hasMessageContaining("HH:MM-HH:MM");
    assertThatThrownBy(() -> CapRule.parseAll("3/1w")).hasMessageContaining("3/1w");
    assertThat(CapRule.parseAll("3/1d, 10/7d")).extracting(CapRule::most).containsExactly(3, 10);
  }
}
