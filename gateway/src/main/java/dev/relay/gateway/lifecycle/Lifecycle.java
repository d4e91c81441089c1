package dev.relay.gateway.lifecycle;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static dev.relay.gateway.lifecycle.MessageState.DEAD;
import static dev.relay.gateway.lifecycle.MessageState.DELIVERED;
import static dev.relay.gateway.lifecycle.MessageState.FAILED;
import static dev.relay.gateway.lifecycle.MessageState.QUEUED;
import static dev.relay.gateway.lifecycle.MessageState.RETRY;
import static dev.relay.gateway.lifecycle.MessageState.SENDING;
import static dev.relay.gateway.lifecycle.MessageState.SENT;
import static dev.relay.gateway.lifecycle.MessageState.OPTED_OUT;
import static dev.relay.gateway.lifecycle.MessageState.SUPPRESSED;
import static dev.relay.gateway.lifecycle.MessageState.WAITING;
import static dev.relay.gateway.lifecycle.MessageState.CAPPED;

/**
 * Every transition of a message's state: from, to, what causes it and what makes it (a named statement of
 * {@code queries.sql}, and for the dispatcher's outcomes the {@code Outcome} factory that decides the state).
 * {@code docs/lifecycle.md} shows this list as a table; {@code LifecycleTest} checks the table, the database's
 * CHECK and every statement and outcome that writes a state against it.
 */
public final class Lifecycle {

  /**
   * One transition.
   *
   * @param from   the states it leaves; empty for a message's birth at intake
   * @param to     the state it reaches
   * @param cause  what makes it happen
   * @param madeBy the named statement, with the outcome factory where the dispatcher decides
   */
  public record Transition(Set<MessageState> from, MessageState to, String cause, String madeBy) {
  }

  /** States no transition reaches, with the reason each is kept. */
  public static final Set<MessageState> UNREACHED = EnumSet.of(
    // Kept in the CHECK and the batch status for rows and clients of earlier releases; a message whose
    // time to live passed ends dead (Outcome.dead).
    MessageState.EXPIRED,
    MessageState.WAITING, MessageState.HELD_OUT);

  public static final List<Transition> TRANSITIONS = List.of(
    new Transition(Set.of(), QUEUED, "a batch is accepted; due at its `send_at` or now",
      "messages-insert"),
    new Transition(Set.of(), SENDING, "a batch due now is accepted and handed to this instance's dispatcher, under "
      + "its lease (attempt 1, no claim)", "messages-insert-leased"),
    new Transition(EnumSet.of(QUEUED, RETRY), SENDING, "due, its campaign not paused: claimed under a lease, the "
      + "attempt bumped", "dispatch-claim"),
    new Transition(EnumSet.of(SENDING), SENT, "the provider accepted it", "dispatch-record ← Outcome.sent"),
    new Transition(EnumSet.of(SENDING), RETRY, "a transient failure: due again after the backoff",
      "dispatch-record ← Outcome.retry"),
    new Transition(EnumSet.of(SENDING), RETRY, "put back without a provider call (every circuit open, quiet hours, "
      + "a full cap with `on_cap: defer`, the suppression list unreadable): the attempt does not count",
      "dispatch-record ← Outcome.deferred"),
    new Transition(EnumSet.of(SENDING), RETRY, "a permanent failure with a channel left in its list: the next "
      + "channel, due now", "dispatch-record ← Outcome.failover"),
    new Transition(EnumSet.of(SENDING), FAILED, "a permanent failure with no channel left, or no account for its "
      + "channel", "dispatch-record ← Outcome.failed"),
    new Transition(EnumSet.of(SENDING), DEAD, "attempts exhausted, or its time to live passed",
      "dispatch-record ← Outcome.dead"),
    new Transition(EnumSet.of(SENDING), SUPPRESSED, "every remaining address is on the tenant's suppression list",
      "dispatch-record ← Outcome.suppressed"),
    new Transition(EnumSet.of(SENDING), OPTED_OUT, "its recipient opted out of its batch's topic on every remaining "
      + "channel it has an address on", "dispatch-record ← Outcome.optedOut"),
    new Transition(EnumSet.of(SENDING), CAPPED, "a marketing message over a frequency cap (`on_cap: skip`)",
      "dispatch-record ← Outcome.capped"),
    new Transition(EnumSet.of(SENDING), RETRY, "its lease ran out (the instance died or stalled): any instance "
      + "reclaims it", "dispatch-reclaim"),
    new Transition(EnumSet.of(SENDING), QUEUED, "graceful shutdown gives back a first claim not yet sent: the "
      + "attempt does not count", "dispatch-release"),
    new Transition(EnumSet.of(SENDING), RETRY, "graceful shutdown gives back a later claim not yet sent: the "
      + "attempt does not count", "dispatch-release"),
    new Transition(EnumSet.of(SENT), DELIVERED, "the provider reports delivery (webhook)", "webhook-apply"),
    new Transition(EnumSet.of(SENT, DELIVERED), FAILED, "the provider reports a hard bounce or a failure (webhook)",
      "webhook-apply"),
    new Transition(EnumSet.of(WAITING, QUEUED, RETRY), SUPPRESSED, "its recipient was erased "
      + "(`DELETE /v1/recipients/{id}`) before it was sent", "recipient-erase"));

  private Lifecycle() {
  }
}
