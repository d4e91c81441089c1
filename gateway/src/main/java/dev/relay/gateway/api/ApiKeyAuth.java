package dev.relay.gateway.api;

import dev.relay.gateway.store.Tenant;
import dev.relay.gateway.store.TenantStore;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

import java.util.Optional;

/**
 * Authenticates API requests by their {@code Authorization: Bearer <key>}. A missing, malformed,
 * unknown or revoked key is answered 401 without telling which; the tenant of a good key is put on
 * the routing context for the handlers that follow.
 */
public final class ApiKeyAuth implements Handler<RoutingContext> {

  private static final String TENANT = "relay.tenant";
  private static final String BEARER = "Bearer ";

  private final TenantStore tenants;
  private final AuthFailureLimiter failures;

  public ApiKeyAuth(TenantStore tenants, AuthFailureLimiter failures) {
    this.tenants = tenants;
    this.failures = failures;
  }

  /** The authenticated tenant of a request that passed this handler. */
  public static Tenant tenant(RoutingContext ctx) {
    return ctx.get(TENANT);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String address = failures.address(ctx.request());
    if (failures.refuses(address)) {
      ctx.fail(ApiProblem.of(429, "too-many-auth-failures", "Too many failed authentications",
          "This address presented too many invalid API keys; it may try again after the Retry-After.")
        .header("Retry-After", Long.toString(failures.windowSeconds())));
      return;
    }
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    Optional<ApiKeys.Presented> key = header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())
      ? ApiKeys.parse(header.substring(BEARER.length()).trim())
      : Optional.empty();
    if (key.isEmpty()) {
      failures.failed(address);
      ctx.fail(unauthorized());
      return;
    }
    ApiKeys.Presented presented = key.get();
    tenants.findKey(presented.id()).onComplete(found -> {
      if (found.failed()) {
        ctx.fail(found.cause());
      } else if (found.result().isPresent() && ApiKeys.matches(presented.secretHash(), found.result().get().secretHash())) {
        ctx.put(TENANT, found.result().get().tenant());
        ctx.next();
      } else {
        failures.failed(address);
        ctx.fail(unauthorized());
      }
    });
  }

  private static ApiProblem unauthorized() {
    return ApiProblem.of(401, "unauthorized", "Unauthorized",
        "A valid API key is required: Authorization: Bearer rly_…")
      .header("WWW-Authenticate", "Bearer realm=\"relay\"");
  }
}
