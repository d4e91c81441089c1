package dev.relay.gateway.api;

import dev.relay.gateway.engagement.CampaignStats;
import dev.relay.gateway.engagement.Ladder;
import dev.relay.gateway.store.EngagementStore;
import dev.relay.gateway.store.MessageStore;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.List;

/** A campaign's funnel ({@code /v1/campaigns/{id}/stats}) and a recipient's engagement ({@code /v1/recipients/{id}/engagement}). */
final class EngagementRoutes {

  private static final int HISTORY_LIMIT = 500;

  private final EngagementStore store;

  EngagementRoutes(EngagementStore store) {
    this.store = store;
  }

  void stats(RoutingContext ctx) {
    String campaign = ctx.pathParam("id");
    long tenant = ApiKeyAuth.tenant(ctx).id();
    store.counters(tenant, campaign)
      .compose(counters -> counters.isEmpty()
        ? Future.succeededFuture((JsonObject) null)
        : store.variantCounters(tenant, campaign).map(variants -> CampaignStats.of(campaign, counters.get(), variants)))
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
    Future.all(history, recent)
      .onSuccess(v -> {
        List<EngagementStore.Fact> facts = history.result();
        if (facts.isEmpty()) {
          ctx.fail(ApiProblem.of(404, "recipient-not-found", "Recipient not found",
            "No message to recipient '" + recipient + "' has any recorded event."));
          return;
        }
        List<Ladder.Fact> ladder = recent.result().stream().map(f -> new Ladder.Fact(f.type(), f.eventClass(),
          f.occurredAt().toInstant(), f.campaign(), f.template(), f.url())).toList();
        JsonArray events = new JsonArray();
        facts.forEach(f -> events.add(new JsonObject().put("type", f.type()).put("class", f.eventClass())
          .put("reason", f.reason()).put("occurred_at", MessageStore.format(f.occurredAt()))
          .put("message_id", f.messageId()).put("channel", f.channel()).put("campaign", f.campaign())
          .put("template", f.template()).put("url", f.url())));
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(new JsonObject().put("recipient", recipient).put("stage", Ladder.stage(ladder, Instant.now()).wireName())
            .put("window_days", Ladder.WINDOW.toDays()).put("history", events).toBuffer());
      })
      .onFailure(ctx::fail);
  }
}
