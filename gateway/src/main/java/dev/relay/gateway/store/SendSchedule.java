package dev.relay.gateway.store;

import java.time.OffsetDateTime;

/**
 * The due times send-time optimization chose for a batch's messages, stored with them.
 *
 * @param dueAt       each accepted recipient's due time, in the order of the batch's recipients
 * @param withinHours the window the batch asked for
 * @param optimized   messages due at their recipient's own reading hour
 * @param fellBack    messages whose recipient had too little history (default or population hour, or the start)
 * @param expiresAt   the batch's expiry: the latest due time plus its ttl
 */
public record SendSchedule(OffsetDateTime[] dueAt, int withinHours, int optimized, int fellBack,
                           OffsetDateTime expiresAt) {
}
