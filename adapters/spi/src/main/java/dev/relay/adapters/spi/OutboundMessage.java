package dev.relay.adapters.spi;

import io.vertx.core.json.JsonObject;

/**
 * One message to send to one recipient, as an adapter receives it.
 *
 * @param messageId      Relay's id of the message; stable across attempts
 * @param idempotencyKey the key to pass to providers that deduplicate (the same for every attempt of
 *                       the message), so that a resend after a crash is not delivered twice
 * @param attempt        which attempt this is, from 1
 * @param tenant         the tenant's name
 * @param campaign       the campaign's name
 * @param recipientId    the campaign system's id of the recipient
 * @param address        the recipient's address on this adapter's channel
 * @param locale         BCP 47 locale, or null
 * @param content        what to send: the message's parts rendered from its template for this channel
 *                       (email {@code subject}, {@code html}, {@code text}, {@code list_unsubscribe}; SMS and
 *                       chat {@code text}; push {@code title}, {@code body}, {@code data}); for the webhook
 *                       channel, the recipient's variables as given
 */
public record OutboundMessage(long messageId, String idempotencyKey, int attempt, String tenant, String campaign,
                              String recipientId, String address, String locale, JsonObject content) {
}
