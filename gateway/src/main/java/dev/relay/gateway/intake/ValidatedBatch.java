package dev.relay.gateway.intake;

import dev.relay.gateway.lifecycle.Priority;
import dev.relay.adapters.spi.Channel;
import io.vertx.core.json.JsonArray;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A batch after validation: its envelope, the recipients that passed (as given, ready to store) and
 * the ones that did not, with their reasons. {@code onCap} is what a message capped by a frequency cap
 * does: {@code skip} (ends {@code capped}) or {@code defer} (waits until the cap has room).
 *
 * @param templateName the batch's one template; null when it gives {@code variants}
 * @param variants     the batch's variants (2 to 26, names unique), or null when it gives one template
 * @param holdout      the holdout share the batch gives (0 ≤ x < 1), or null when it gives none
 * @param topic        the subscription topic the batch names, or null
 */
public record ValidatedBatch(String campaign, String templateName, Integer templateVersion, List<Channel> channels,
                             Priority priority, OffsetDateTime sendAt, int ttlSeconds, JsonArray accepted,
                             List<Rejection> rejected, String onCap, List<Variant> variants, Double holdout,
                             String topic) {

  /** One variant of a batch: its name, its template (a version pinned or null for the newest) and its weight. */
  public record Variant(String name, String template, Integer templateVersion, double weight) {
  }
}
