package dev.relay.gateway.lifecycle;

import java.util.Locale;

/**
 * The state of a message, as stored in {@code messages.state} (the table's CHECK lists the same) and answered by
 * the API. {@link Lifecycle} lists every transition between them.
 */
public enum MessageState {
  /** An experiment's remainder: accepted, not claimable until the winner is chosen. */
  WAITING,
  QUEUED,
  SENDING,
  RETRY,
  SENT,
  DELIVERED,
  FAILED,
  DEAD,
  SUPPRESSED,
  CAPPED,
  /** Kept for the batch status and the stored rows: a message whose time to live passed ends {@link #DEAD}. */
  EXPIRED,
  /** In a campaign's control group: never sent. */
  HELD_OUT,
  /** Its recipient opted out of the batch's topic. */
  OPTED_OUT;

  private final String wireName;

  MessageState() {
    this.wireName = name().toLowerCase(Locale.ROOT);
  }

  /** The name stored and answered: {@code queued}, {@code held_out}, … */
  public String wireName() {
    return wireName;
  }

  /** The state of a stored name; an unknown name is a bug (the table's CHECK refuses it). */
  public static MessageState of(String wireName) {
    return valueOf(wireName.toUpperCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
