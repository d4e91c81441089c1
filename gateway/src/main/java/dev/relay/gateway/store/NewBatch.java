package dev.relay.gateway.store;

import io.vertx.core.json.JsonArray;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * Everything intake stores for one batch, in one transaction: the idempotency record with the
 * answer it will replay, the batch, and one message per accepted recipient.
 *
 * @param idempotencyKey the request's Idempotency-Key, or null when it carried none
 * @param requestHash    SHA-256 of the request body, compared on replay
 * @param templateVersion the version of the template resolved at intake
 * @param templateId     that version's id, which the dispatcher renders
 * @param topic          the subscription topic the batch names, or null
 */
public record NewBatch(long tenantId, String idempotencyKey, byte[] requestHash, UUID batchId, String campaign,
                       String templateName, Integer templateVersion, String[] channels, String priority,
                       OffsetDateTime sendAt, int ttlSeconds, JsonArray recipients, int rejected,
                       int responseStatus, String responseBody, long templateId, String onCap,
                       String topic) {
}
