package dev.relay.gateway.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.sqlclient.Pool;

import java.util.List;

/**
 * {@code /health/live} and {@code /health/ready}. Ready reports PostgreSQL and Redis one by one; it
 * is 503 only when PostgreSQL is down, because without Redis intake still accepts (sends defer).
 */
final class Readiness {

  static final String POSTGRESQL = "postgresql";
  static final String REDIS = "redis";

  private final HealthChecks checks;

  /** @param redis the gateway's Redis, or null when its limits are kept in process (then there is no Redis to check) */
  Readiness(Vertx vertx, Pool pool, Redis redis, long timeoutMs) {
    this.checks = HealthChecks.create(vertx)
      .register(POSTGRESQL, timeoutMs, promise -> pool.query("SELECT 1").execute()
        .<Status>map(rows -> Status.OK())
        .onComplete(promise));
    if (redis != null) {
      RedisAPI redisApi = RedisAPI.api(redis);
      checks.register(REDIS, timeoutMs, promise -> redisApi.ping(List.of())
        .<Status>map(reply -> Status.OK())
        .onComplete(promise));
    }
  }

  void live(RoutingContext ctx) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(new JsonObject().put("status", "UP").toBuffer());
  }

  void ready(RoutingContext ctx) {
    checks.checkStatus()
      .recover(err -> Future.succeededFuture(CheckResult.from("ready", err)))
      .onSuccess(result -> {
        JsonObject body = new JsonObject();
        boolean databaseUp = false;
        for (CheckResult check : result.getChecks() == null ? List.<CheckResult>of() : result.getChecks()) {
          JsonObject entry = new JsonObject().put("status", CheckResult.isUp(check) ? "UP" : "DOWN");
          if (check.getFailure() != null) {
            entry.put("error", String.valueOf(check.getFailure().getMessage()));
          }
          body.put(check.getId(), entry);
          databaseUp |= POSTGRESQL.equals(check.getId()) && CheckResult.isUp(check);
        }
        ctx.response()
          .setStatusCode(databaseUp ? 200 : 503)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .end(new JsonObject().put("status", databaseUp ? "UP" : "DOWN").put("checks", body).toBuffer());
      });
  }
}
