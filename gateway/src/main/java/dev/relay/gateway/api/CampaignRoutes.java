package dev.relay.gateway.api;

import dev.relay.gateway.store.CampaignStore;
import dev.relay.gateway.store.MessageStore;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** Campaign pause and resume, and one message's history. */
final class CampaignRoutes {

  private final CampaignStore campaigns;
  private final MessageStore messages;

  CampaignRoutes(CampaignStore campaigns, MessageStore messages) {
    this.campaigns = campaigns;
    this.messages = messages;
  }

  void pause(RoutingContext ctx) {
    setStatus(ctx, true);
  }

  void resume(RoutingContext ctx) {
    setStatus(ctx, false);
  }

  private void setStatus(RoutingContext ctx, boolean paused) {
    String name = ctx.pathParam("id");
    campaigns.setStatus(ApiKeyAuth.tenant(ctx).id(), name, paused, "paused through the API")
      .onSuccess(status -> {
        if (status.isEmpty()) {
          ctx.fail(ApiProblem.of(404, "campaign-not-found", "Campaign not found", "There is no campaign '" + name + "'."));
        } else {
          ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(status.get().toBuffer());
        }
      })
      .onFailure(ctx::fail);
  }

  void message(RoutingContext ctx) {
    long id;
    try {
      id = Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      ctx.fail(ApiProblem.of(404, "message-not-found", "Message not found", "There is no message " + ctx.pathParam("id") + "."));
      return;
    }
    messages.find(ApiKeyAuth.tenant(ctx).id(), id)
      .onSuccess(message -> {
        if (message.isEmpty()) {
          ctx.fail(ApiProblem.of(404, "message-not-found", "Message not found", "There is no message " + id + "."));
        } else {
          ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(message.get().toBuffer());
        }
      })
      .onFailure(ctx::fail);
  }
}
