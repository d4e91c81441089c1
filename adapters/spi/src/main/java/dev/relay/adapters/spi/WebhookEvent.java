package dev.relay.adapters.spi;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * A provider's report about one message, normalized.
 *
 * @param providerEventId   the provider's id of this report, used to drop duplicates
 * @param providerMessageId the provider's id of the message it is about
 * @param type              what happened
 * @param occurredAt        when it happened, by the provider's clock
 * @param detail            the provider's fields worth keeping (reason, bounce class, user agent)
 */
public record WebhookEvent(String providerEventId, String providerMessageId, Type type, Instant occurredAt,
                           JsonObject detail) {

  /** What a provider can report. */
  public enum Type {
    DELIVERED, BOUNCED_HARD, BOUNCED_SOFT, COMPLAINED, OPENED, CLICKED, UNSUBSCRIBED, FAILED, READ
  }
}
