package dev.relay.gateway.api;

import dev.relay.gateway.experiment.ExperimentConfig;
import dev.relay.gateway.experiment.Experiments;
import dev.relay.gateway.store.ExperimentStore.Stored;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;

/**
 * A campaign's test: {@code GET /v1/campaigns/{id}/experiment} (config, status, figures, decision and rule), and
 * {@code POST …/experiment/decide} (force a winner) and {@code POST …/experiment/cancel} (end it without one).
 */
final class ExperimentRoutes {

  private final Experiments experiments;

  ExperimentRoutes(Experiments experiments) {
    this.experiments = experiments;
  }

  void get(RoutingContext ctx) {
    found(ctx).compose(experiments::view).onSuccess(view -> answer(ctx, view)).onFailure(ctx::fail);
  }

  void decide(RoutingContext ctx) {
    ValidatedRequest request = ctx.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    String variant = request.getBody().getJsonObject().getString("variant");
    end(ctx, variant);
  }

  void cancel(RoutingContext ctx) {
    end(ctx, null);
  }

  private void end(RoutingContext ctx, String variant) {
    found(ctx)
      .compose(test -> {
        if (!"testing".equals(test.status())) {
          return Future.failedFuture(ended(test));
        }
        if (variant != null && !ExperimentConfig.fromJson(test.config()).variants().contains(variant)) {
          return Future.failedFuture(ApiProblem.of(422, "unknown-variant", "Unknown variant",
            "The test of campaign '" + test.campaign() + "' has no variant '" + variant + "' (it has "
              + String.join(", ", ExperimentConfig.fromJson(test.config()).variants()) + "); nothing was changed.")
            .with("pointer", "/variant"));
        }
        return experiments.endNow(test, variant).compose(won -> won
          ? found(ctx).compose(experiments::view)
          : found(ctx).compose(now -> Future.failedFuture(ended(now))));
      })
      .onSuccess(view -> answer(ctx, view))
      .onFailure(ctx::fail);
  }

  private Future<Stored> found(RoutingContext ctx) {
    String name = ctx.pathParam("id");
    return experiments.find(ApiKeyAuth.tenant(ctx).id(), name).compose(test -> test.isPresent()
      ? Future.succeededFuture(test.get())
      : Future.failedFuture(ApiProblem.of(404, "experiment-not-found", "Experiment not found",
          "Campaign '" + name + "' has no experiment (or there is no such campaign).")));
  }

  private static ApiProblem ended(Stored test) {
    return ApiProblem.of(409, "experiment-ended", "Experiment already ended",
      "The test of campaign '" + test.campaign() + "' is " + test.status()
        + (test.winner() == null ? "" : " (winner " + test.winner() + ")") + "; nothing was changed.")
      .with("status", test.status());
  }

  private static void answer(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.toBuffer());
  }
}
