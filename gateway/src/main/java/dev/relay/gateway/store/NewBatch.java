package dev.relay.gateway.store;

import dev.relay.gateway.lifecycle.Priority;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * Everything intake stores for one batch, in one transaction: the idempotency record with the
 * answer it will replay, the batch, and one message per accepted recipient.
 *
 * @param idempotencyKey the request's Idempotency-Key, or null when it carried none
 * @param requestHash    SHA-256 of the request body, compared on replay
 * @param templateName   the batch's one template, or null when it has variants
 * @param templateVersion the version of the template resolved at intake (null with variants)
 * @param recipients     the accepted recipients, each placed by intake: {@code variant} (absent when the batch has
 *                       none) and {@code state} (absent when the message is to be sent, else e.g. {@code held_out})
 * @param templateId     that version's id, which the dispatcher renders (null with variants)
 * @param variants       the variants resolved at intake, stored as {@code batches.variants}: name to
 *                       {@code {template, template_version, template_id, weight}}; null when none
 * @param holdout        the campaign's holdout the recipients were placed with (0 when none)
 * @param givenHoldout   the holdout the request gave, which becomes the campaign's if it has none; null when none
 * @param heldOut        how many recipients were placed {@code held_out}
 * @param topic          the subscription topic the batch names, or null
 * @param experiment     the campaign's test the recipients were placed with, and the one to create; null when the
 *                       campaign had none and the batch gives none
 */
public record NewBatch(long tenantId, String idempotencyKey, byte[] requestHash, UUID batchId, String campaign,
                       String templateName, Integer templateVersion, String[] channels, Priority priority,
                       OffsetDateTime sendAt, int ttlSeconds, JsonArray recipients, int rejected,
                       int responseStatus, String responseBody, Long templateId, String onCap,
                       JsonObject variants, double holdout, Double givenHoldout, int heldOut,
                       String topic, ExperimentStore.Intake experiment) {
}
