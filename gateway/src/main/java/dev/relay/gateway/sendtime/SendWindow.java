package dev.relay.gateway.sendtime;

import dev.relay.gateway.throttle.QuietHours;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The window [start, end) a batch's optimized messages are due in, and the due time of a message whose
 * recipient reads at a local hour: the first occurrence of that hour in the window that is wholly outside
 * quiet hours (in the zone the dispatcher applies them in), else of the nearest such hour (the earlier on
 * a tie), at a minute of its own (spread by recipient id) so that an hour does not start with one burst.
 * Not thread-safe: one per batch.
 */
public final class SendWindow {

  private final Instant start;
  private final Instant end;
  private final QuietHours quiet;
  private final int spreadMinutes;
  private final Map<List<ZoneId>, Instant[]> slots = new HashMap<>();

  /**
   * @param spreadMinutes messages of one hour are due in its first this many minutes (1 to 60)
   */
  public SendWindow(Instant start, Instant end, Optional<QuietHours> quiet, int spreadMinutes) {
    if (!start.isBefore(end)) {
      throw new IllegalArgumentException("window " + start + " to " + end + " is empty");
    }
    if (spreadMinutes < 1 || spreadMinutes > 60) {
      throw new IllegalArgumentException("spread of " + spreadMinutes + " minutes is not 1 to 60");
    }
    this.start = start;
    this.end = end;
    this.quiet = quiet.orElse(null);
    this.spreadMinutes = spreadMinutes;
  }

  public Instant start() {
    return start;
  }

  public Instant end() {
    return end;
  }

  /**
   * When a message is due whose recipient reads at {@code hour} in {@code zone}, quiet hours applied in
   * {@code quietZone}; the window's start when no hour of the window is outside quiet hours.
   */
  public Instant due(String recipientId, int hour, ZoneId zone, ZoneId quietZone) {
    Instant[] table = slots.computeIfAbsent(List.of(zone, quietZone), k -> firstSlots(zone, quietZone));
    Duration minute = Duration.ofMinutes(Math.floorMod(recipientId.hashCode(), spreadMinutes));
    for (int distance = 0; distance <= 12; distance++) {
      Instant best = null;
      for (int h : new int[] {hour - distance, hour + distance}) {
        Instant slot = table[Math.floorMod(h, 24)];
        if (slot != null) {
          Instant at = place(slot, minute);
          if (best == null || at.isBefore(best)) {
            best = at;
          }
        }
      }
      if (best != null) {
        return best;
      }
    }
    return start;
  }

  private Instant place(Instant slot, Duration minute) {
    Instant at = slot.plus(minute);
    if (at.isBefore(start)) {
      return start;
    }
    return at.isBefore(end) ? at : (slot.isBefore(start) ? start : slot);
  }

  /** For each local hour of {@code zone}, the start of its first allowed occurrence in the window, or null. */
  private Instant[] firstSlots(ZoneId zone, ZoneId quietZone) {
    Instant[] table = new Instant[24];
    ZonedDateTime slot = start.atZone(zone).truncatedTo(ChronoUnit.HOURS);
    while (slot.toInstant().isBefore(end)) {
      Instant from = slot.toInstant();
      Instant to = from.plus(Duration.ofHours(1));
      int hour = slot.getHour();
      if (table[hour] == null && allowed(from.isBefore(start) ? start : from, to.isAfter(end) ? end : to, quietZone)) {
        table[hour] = from;
      }
      slot = slot.plusHours(1);
    }
    return table;
  }

  /** Whether the part [from, to) of a slot is outside quiet hours (checked at its first and last minute). */
  private boolean allowed(Instant from, Instant to, ZoneId quietZone) {
    if (quiet == null) {
      return true;
    }
    Instant last = to.minus(Duration.ofMinutes(1));
    return quiet.deferUntil(Clock.fixed(from, ZoneOffset.UTC), quietZone).isEmpty()
      && quiet.deferUntil(Clock.fixed(last.isBefore(from) ? from : last, ZoneOffset.UTC), quietZone).isEmpty();
  }
}
