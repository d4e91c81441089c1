package dev.relay.gateway.api;

import dev.relay.gateway.store.ErasureStore;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code DELETE /v1/recipients/{id}}: a recipient's personal data erased from the tenant's rows. */
final class ErasureRoutes {

  private final ErasureStore store;

  ErasureRoutes(ErasureStore store) {
    this.store = store;
  }

  void erase(RoutingContext ctx) {
    String recipient = ctx.pathParam("id");
    store.erase(ApiKeyAuth.tenant(ctx).id(), recipient)
      .onSuccess(erased -> {
        if (erased.isEmpty()) {
          ctx.fail(ApiProblem.of(404, "recipient-not-found", "Recipient not found",
            "There is no message to recipient '" + recipient + "' (never sent to, or already erased)."));
        } else {
          ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(new JsonObject().put("recipient", recipient).put("erased", erased.get()).toBuffer());
        }
      })
      .onFailure(ctx::fail);
  }
}
