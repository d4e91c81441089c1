package dev.relay.gateway.track;

import java.util.Locale;

/**
 * Who an open or a click came from, as stored in {@code events.class}: a person, or a machine (a mail privacy
 * proxy, a link scanner, a prefetch). Only human events count as engagement.
 */
public enum EventClass {
  HUMAN,
  MACHINE;

  private final String wireName = name().toLowerCase(Locale.ROOT);

  /** The name stored and answered: {@code human} or {@code machine}. */
  public String wireName() {
    return wireName;
  }

  /** The class of a stored name; null for an event that has none (a state change). */
  public static EventClass of(String wireName) {
    return wireName == null ? null : valueOf(wireName.toUpperCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
