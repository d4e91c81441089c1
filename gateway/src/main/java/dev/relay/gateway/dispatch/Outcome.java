package dev.relay.gateway.dispatch;

import dev.relay.gateway.lifecycle.MessageState;
import io.vertx.core.json.JsonObject;

/**
 * A state change of a claimed message, to be written with others in one statement.
 *
 * @param delayMs for {@code retry}, how long until the message is due again; null otherwise
 * @param event   the event type appended with it
 * @param refund  whether the claim's attempt is given back, because no provider call was made
 * @param details the adapter's facts about an accepted send, or the topic a recipient opted out of (JSON text), or
 *                null
 */
record Outcome(long id, int attempt, MessageState state, Long delayMs, int channelIndex, String channel, String account,
               String providerMessageId, String reason, String event, boolean refund, String details) {

  Outcome(long id, int attempt, MessageState state, Long delayMs, int channelIndex, String channel, String account,
          String providerMessageId, String reason, String event, boolean refund) {
    this(id, attempt, state, delayMs, channelIndex, channel, account, providerMessageId, reason, event, refund, null);
  }

  /** Sent; {@code details} (JSON, or null) are the adapter's facts about the send, kept in the event. */
  static Outcome sent(Claimed m, int channelIndex, String channel, String account, String providerId, String details) {
    return new Outcome(m.id(), m.attempt(), MessageState.SENT, null, channelIndex, channel, account, providerId, null, "sent",
      false, details);
  }

  static Outcome retry(Claimed m, int channelIndex, String channel, String account, long delayMs, String reason) {
    return new Outcome(m.id(), m.attempt(), MessageState.RETRY, delayMs, channelIndex, channel, account, null, reason, "retry",
      false);
  }

  /** Put back without a provider call (every circuit open, or the lease ran out waiting): the attempt does not count. */
  static Outcome deferred(Claimed m, int channelIndex, long delayMs, String reason) {
    return new Outcome(m.id(), m.attempt(), MessageState.RETRY, delayMs, channelIndex, null, null, null, reason, "deferred",
      true);
  }

  /** Ended by a frequency cap without a provider call: {@code reason} names the rule. */
  static Outcome capped(Claimed m, int channelIndex, String reason) {
    return new Outcome(m.id(), m.attempt(), MessageState.CAPPED, null, channelIndex, null, null, null, reason, "capped", true);
  }

  static Outcome failover(Claimed m, int nextChannelIndex, String channel, String account, String reason) {
    return new Outcome(m.id(), m.attempt(), MessageState.RETRY, 0L, nextChannelIndex, channel, account, null, reason,
      "failover", false);
  }

  static Outcome failed(Claimed m, int channelIndex, String channel, String account, String reason) {
    return new Outcome(m.id(), m.attempt(), MessageState.FAILED, null, channelIndex, channel, account, null, reason, "failed",
      false);
  }

  static Outcome dead(Claimed m, int channelIndex, String channel, String account, String reason) {
    return new Outcome(m.id(), m.attempt(), MessageState.DEAD, null, channelIndex, channel, account, null, reason, "dead",
      false);
  }

  /** Ended without a provider call: every remaining address of the message is on its tenant's suppression list. */
  static Outcome suppressed(Claimed m, int channelIndex, String reason) {
    return new Outcome(m.id(), m.attempt(), MessageState.SUPPRESSED, null, channelIndex, m.channels().get(channelIndex).wireName(),
      null, null, reason, "suppressed", false);
  }

  /**
   * Ended without a provider call: the recipient opted out of the batch's topic on every remaining channel it has an
   * address on (some may be suppressed too); the event names the topic.
   */
  static Outcome optedOut(Claimed m, int channelIndex, String reason) {
    return new Outcome(m.id(), m.attempt(), MessageState.OPTED_OUT, null, channelIndex, m.channels().get(channelIndex).wireName(),
      null, null, reason, "opted_out", false, new JsonObject().put("topic", m.topic()).encode());
  }
}
