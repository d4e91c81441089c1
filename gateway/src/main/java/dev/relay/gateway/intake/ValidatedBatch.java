package dev.relay.gateway.intake;

import dev.relay.adapters.spi.Channel;
import io.vertx.core.json.JsonArray;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A batch after validation: its envelope, the recipients that passed (as given, ready to store) and
 * the ones that did not, with their reasons. {@code onCap} is what a message capped by a frequency cap
 * does: {@code skip} (ends {@code capped}) or {@code defer} (waits until the cap has room). {@code topic} is the
 * subscription topic the batch names, or null.
 */
public record ValidatedBatch(String campaign, String templateName, Integer templateVersion, List<Channel> channels,
                             String priority, OffsetDateTime sendAt, int ttlSeconds, JsonArray accepted,
                             List<Rejection> rejected, String onCap,
                             String topic) {
}
