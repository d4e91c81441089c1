package dev.relay.gateway.throttle;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * A daily window of local time in which marketing messages are not sent, such as {@code 21:00-09:00}
 * (across midnight) or {@code 13:00-14:00}, applied in each recipient's own time zone. A message due in
 * the window waits until its end, in the recipient's zone on that day: when a daylight-saving change
 * moves the end (a gap at 09:00), the first valid local time after it counts.
 */
public final class QuietHours {

  private final LocalTime start;
  private final LocalTime end;
  private final String text;

  private QuietHours(LocalTime start, LocalTime end, String text) {
    this.start = start;
    this.end = end;
    this.text = text;
  }

  /** Reads {@code HH:MM-HH:MM}; the empty text means no quiet hours. */
  public static Optional<QuietHours> parse(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      return Optional.empty();
    }
    String[] parts = trimmed.split("-");
    try {
      if (parts.length != 2) {
        throw new DateTimeParseException("no single '-'", trimmed, 0);
      }
      LocalTime start = LocalTime.parse(parts[0].trim());
      LocalTime end = LocalTime.parse(parts[1].trim());
      if (start.equals(end)) {
        throw new IllegalArgumentException("quiet hours '" + text + "' start and end at the same time");
      }
      return Optional.of(new QuietHours(start, end, trimmed));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("quiet hours '" + text + "' are not HH:MM-HH:MM, such as 21:00-09:00");
    }
  }

  /**
   * When a message for a recipient in {@code zone} may be sent, if now is inside the window: the
   * window's end; empty when now is outside it.
   */
  public Optional<Instant> deferUntil(Clock clock, ZoneId zone) {
    ZonedDateTime now = clock.instant().atZone(zone);
    LocalTime local = now.toLocalTime();
    LocalDate endDay;
    if (start.isBefore(end)) {
      if (local.isBefore(start) || !local.isBefore(end)) {
        return Optional.empty();
      }
      endDay = now.toLocalDate();
    } else if (!local.isBefore(start)) {
      endDay = now.toLocalDate().plusDays(1);
    } else if (local.isBefore(end)) {
      endDay = now.toLocalDate();
    } else {
      return Optional.empty();
    }
    return Optional.of(ZonedDateTime.of(endDay, end, zone).toInstant());
  }

  /** The zone of a recipient's {@code time_zone}; UTC when it has none or an unknown one. */
  public static ZoneId zoneOf(String timeZone) {
    if (timeZone == null || timeZone.isBlank()) {
      return ZoneOffset.UTC;
    }
    try {
      return ZoneId.of(timeZone);
    } catch (DateTimeException e) {
      return ZoneOffset.UTC;
    }
  }

  @Override
  public String toString() {
    return text;
  }
}
