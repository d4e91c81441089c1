package dev.relay.gateway.api;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookReply;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.spi.WebhookVerifier;
import dev.relay.gateway.dispatch.Accounts;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.store.WebhookStore;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;

/**
 * {@code POST /v1/webhooks/{adapter}/{account}}: a provider's report, authenticated by the provider's own
 * signature scheme (no API key). A call that fails verification is answered 401 and stored nowhere; a
 * verified one that is not the provider's payload is 400 and stored nowhere; a verified one is stored, raw
 * and normalized, before the 200, so that an accepted webhook is never lost. A provider's onboarding
 * handshake ({@code POST} or {@code GET}: Slack's URL verification, Meta's verification request) is answered
 * as the adapter says and stored nowhere.
 */
final class WebhookRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookRoutes.class);

  private final Accounts accounts;
  private final WebhookStore store;
  private final String publicBaseUrl;
  private final RelayMetrics metrics;

  WebhookRoutes(Accounts accounts, WebhookStore store, String publicBaseUrl, RelayMetrics metrics) {
    this.accounts = accounts;
    this.metrics = metrics;
    this.store = store;
    this.publicBaseUrl = publicBaseUrl.endsWith("/") ? publicBaseUrl.substring(0, publicBaseUrl.length() - 1)
      : publicBaseUrl;
  }

  void receive(RoutingContext ctx) {
    String adapter = ctx.pathParam("adapter");
    String accountName = ctx.pathParam("account");
    Optional<WebhookVerifier> verifier = accounts.all().stream()
      .filter(e -> e.name().equals(accountName) && e.account().settings().adapter().equals(adapter))
      .findFirst()
      .flatMap(e -> e.account().webhooks());
    if (verifier.isEmpty()) {
      ctx.fail(ApiProblem.of(404, "webhook-endpoint-not-found", "No such webhook endpoint",
        "No account '" + accountName + "' of adapter '" + adapter + "' takes webhooks."));
      return;
    }
    // Schemes that sign the URL (Twilio) need the URL the provider called, not the one behind a proxy.
    String url = publicBaseUrl.isEmpty() ? ctx.request().absoluteURI() : publicBaseUrl + ctx.request().uri();
    WebhookRequest request = new WebhookRequest(ctx.request().method().name(), url, ctx.request().headers(),
      ctx.body().buffer() == null ? io.vertx.core.buffer.Buffer.buffer() : ctx.body().buffer());
    List<WebhookEvent> events;
    try {
      Optional<WebhookReply> handshake = verifier.get().handshake(request);
      if (handshake.isPresent()) {
        // Onboarding (Slack's url_verification, Meta's hub.challenge): answered as the provider asks, not stored.
        ctx.response().setStatusCode(handshake.get().status())
          .putHeader(HttpHeaders.CONTENT_TYPE, handshake.get().contentType())
          .end(handshake.get().body());
        return;
      }
      events = verifier.get().verify(request);
    } catch (WebhookRejectedException e) {
      LOG.warn("webhook for account {} rejected: {}", accountName, e.getMessage());
      metrics.webhook(adapter, RelayMetrics.WEBHOOK_REJECTED, false);
      ctx.fail(ApiProblem.of(401, "webhook-rejected", "Webhook not verified", e.getMessage()));
      return;
    } catch (IllegalArgumentException e) {
      ctx.fail(ApiProblem.of(400, "webhook-malformed", "Webhook not understood", e.getMessage()));
      return;
    }
    JsonObject headers = new JsonObject();
    request.headers().forEach(h -> headers.put(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
    store.store(adapter, accountName, url, headers, request.body(), events)
      .onSuccess(fresh -> events.forEach(e -> metrics.webhook(adapter, e.type().name(), true)))
      .onSuccess(fresh -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("events", events.size()).put("new", fresh)
          .put("duplicates", events.size() - fresh).toBuffer()))
      .onFailure(ctx::fail);
  }

}
