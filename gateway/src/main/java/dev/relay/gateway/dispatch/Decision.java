package dev.relay.gateway.dispatch;

/**
 * What the send pipeline decided for one message: an outcome to record, or, when {@code outcome} is null, to give
 * the message back unsent (its attempt does not count).
 */
record Decision(Claimed message, Outcome outcome) {

  static Decision record(Claimed message, Outcome outcome) {
    return new Decision(message, outcome);
  }

  static Decision release(Claimed message) {
    return new Decision(message, null);
  }

  boolean releases() {
    return outcome == null;
  }
}
