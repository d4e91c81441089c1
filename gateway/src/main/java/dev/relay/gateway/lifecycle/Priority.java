package dev.relay.gateway.lifecycle;

import java.util.Locale;

/**
 * A batch's priority class, stored in {@code batches.priority} and {@code messages.priority}: a transactional
 * message bypasses frequency caps and quiet hours and goes ahead of marketing ones (handoff, claim, lane).
 */
public enum Priority {
  TRANSACTIONAL,
  MARKETING;

  private final String wireName = name().toLowerCase(Locale.ROOT);

  /** The name stored and answered: {@code transactional} or {@code marketing}. */
  public String wireName() {
    return wireName;
  }

  /** The priority of a stored or validated name; any other name is a bug (the schema and the CHECK refuse it). */
  public static Priority of(String wireName) {
    return valueOf(wireName.toUpperCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
