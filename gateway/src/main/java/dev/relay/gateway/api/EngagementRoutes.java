package dev.relay.gateway.api;

import dev.relay.gateway.engagement.CampaignStats;
import dev.relay.gateway.engagement.ConversionStats;
import dev.relay.gateway.engagement.Ladder;
import dev.relay.gateway.store.ConversionStore;
import dev.relay.gateway.store.EngagementStore;
import dev.relay.gateway.store.MessageStore;
import dev.relay.gateway.store.PreferenceStore;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A campaign's funnel ({@code /v1/campaigns/{id}/stats}) and a recipient's engagement
 * ({@code /v1/recipients/{id}/engagement}): its messages' events and its preference changes, newest first.
 */
final class EngagementRoutes {

  private static final int HISTORY_LIMIT = 500;

  private final EngagementStore store;
  private final ConversionStore conversions;
  private final PreferenceStore preferences;

  EngagementRoutes(EngagementStore store, ConversionStore conversions, PreferenceStore preferences) {
    this.store = store;
    this.conversions = conversions;
    this.preferences = preferences;
  }

  void stats(RoutingContext ctx) {
    String campaign = ctx.pathParam("id");
    long tenant = ApiKeyAuth.tenant(ctx).id();
    store.counters(tenant, campaign)
      .compose(counters -> counters.isEmpty()
        ? Future.succeededFuture((JsonObject) null)
        : Future.all(store.variantCounters(tenant, campaign), conversions.campaign(tenant, campaign))
          .map(both -> CampaignStats.of(campaign, counters.get(), both.<List<EngagementStore.VariantCounter>>resultAt(0))
            .put("conversions", ConversionStats.of(both.<Optional<ConversionStore.CampaignConversions>>resultAt(1)
              .orElseThrow()))))
      .onSuccess(stats -> {
        if (stats == null) {
          ctx.fail(ApiProblem.of(404, "campaign-not-found", "Campaign not found",
            "There is no campaign '" + campaign + "'."));
        } else {
          ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(stats.toBuffer());
        }
      })
      .onFailure(ctx::fail);
  }

  void recipient(RoutingContext ctx) {
    String recipient = ctx.pathParam("id");
    long tenant = ApiKeyAuth.tenant(ctx).id();
    Future<List<EngagementStore.Fact>> history = store.history(tenant, recipient, HISTORY_LIMIT);
    Future<List<EngagementStore.Fact>> recent = store.ladderFacts(tenant, recipient, (int) Ladder.WINDOW.toDays());
    Future<List<PreferenceStore.Change>> changes = preferences.history(tenant, recipient, HISTORY_LIMIT);
    Future.all(history, recent, changes)
      .onSuccess(v -> {
        List<EngagementStore.Fact> facts = history.result();
        if (facts.isEmpty() && changes.result().isEmpty()) {
          ctx.fail(ApiProblem.of(404, "recipient-not-found", "Recipient not found",
            "No message to recipient '" + recipient + "' has any recorded event, and it changed no preference."));
          return;
        }
        List<Ladder.Fact> ladder = recent.result().stream().map(f -> new Ladder.Fact(f.type(), f.eventClass(),
          f.occurredAt().toInstant(), f.campaign(), f.template(), f.url())).toList();
        List<Entry> entries = new ArrayList<>(facts.size() + changes.result().size());
        facts.forEach(f -> entries.add(new Entry(f.occurredAt(), new JsonObject().put("type", f.type())
          .put("class", f.eventClass() == null ? null : f.eventClass().wireName()).put("reason", f.reason()).put("occurred_at", MessageStore.format(f.occurredAt()))
          .put("message_id", f.messageId()).put("channel", f.channel()).put("campaign", f.campaign())
          .put("template", f.template()).put("url", f.url()))));
        changes.result().forEach(c -> entries.add(new Entry(c.occurredAt(), preferenceEvent(c))));
        // Both lists are newest first; merged, the newest HISTORY_LIMIT of either kind are kept.
        entries.sort(Comparator.comparing(Entry::at).reversed());
        JsonArray events = new JsonArray();
        entries.stream().limit(HISTORY_LIMIT).forEach(e -> events.add(e.json()));
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(new JsonObject().put("recipient", recipient).put("stage", Ladder.stage(ladder, Instant.now()).wireName())
            .put("window_days", Ladder.WINDOW.toDays()).put("history", events).toBuffer());
      })
      .onFailure(ctx::fail);
  }

  private record Entry(OffsetDateTime at, JsonObject json) {
  }

  /**
   * A preference change as a history entry: topic and channel null when the change covers all of them; the message
   * whose link was used, when there was one.
   */
  private static JsonObject preferenceEvent(PreferenceStore.Change c) {
    JsonObject event = new JsonObject().put("type", "preference-changed")
      .put("topic", PreferenceStore.ALL.equals(c.topic()) ? null : c.topic())
      .put("all_topics", PreferenceStore.ALL.equals(c.topic()))
      .put("channel", PreferenceStore.ALL.equals(c.channel()) ? null : c.channel())
      .put("opted_in", c.optedIn()).put("source", c.source())
      .put("occurred_at", MessageStore.format(c.occurredAt()));
    if (c.messageId() != null) {
      event.put("message_id", c.messageId());
    }
    return event;
  }
}
