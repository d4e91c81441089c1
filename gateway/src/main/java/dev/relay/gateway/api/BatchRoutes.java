package dev.relay.gateway.api;

import dev.relay.gateway.intake.IntakeService;
import dev.relay.gateway.store.BatchStore;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;

import java.util.UUID;

/** {@code POST /v1/batches} and {@code GET /v1/batches/{id}}. */
final class BatchRoutes {

  private static final String JSON = "application/json";

  private final IntakeService intake;
  private final BatchStore batches;

  BatchRoutes(IntakeService intake, BatchStore batches) {
    this.intake = intake;
    this.batches = batches;
  }

  void create(RoutingContext ctx) {
    ValidatedRequest request = ctx.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    String key = ctx.request().getHeader("Idempotency-Key");
    intake.submit(ApiKeyAuth.tenant(ctx), key, ctx.body().buffer(), request.getBody().getJsonObject())
      .onSuccess(answer -> {
        if (answer.replayed()) {
          ctx.response().putHeader("Idempotent-Replayed", "true");
        }
        ctx.response()
          .setStatusCode(answer.status())
          .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
          .putHeader(HttpHeaders.LOCATION, "/v1/batches/" + answer.batchId())
          .end(answer.body());
      })
      .onFailure(ctx::fail);
  }

  void get(RoutingContext ctx) {
    UUID id = UUID.fromString(ctx.pathParam("id"));
    batches.status(ApiKeyAuth.tenant(ctx).id(), id)
      .onSuccess(status -> {
        if (status.isEmpty()) {
          ctx.fail(ApiProblem.of(404, "batch-not-found", "Batch not found", "There is no batch " + id + "."));
          return;
        }
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(status.get().toBuffer());
      })
      .onFailure(ctx::fail);
  }
}
