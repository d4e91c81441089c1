package dev.relay.gateway;

import dev.relay.gateway.api.ApiProblem;
import dev.relay.gateway.api.ApiVerticle;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.intake.BatchValidator;
import dev.relay.gateway.intake.IntakeLimits;
import dev.relay.gateway.intake.IntakeService;
import dev.relay.gateway.intake.QueueDepth;
import dev.relay.gateway.store.BatchStore;
import dev.relay.gateway.store.Database;
import dev.relay.gateway.store.TenantStore;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One running gateway: the schema brought up to date, the pool and the Redis client, the API
 * verticles, and the periodic housekeeping. Started by {@code relay serve} and by tests.
 */
public final class RelayServer {

  private static final Logger LOG = LoggerFactory.getLogger(RelayServer.class);
  private static final String CONTRACT = "openapi.json";
  private static final long IDEMPOTENCY_EXPIRY_PERIOD_MS = 10 * 60 * 1000L;

  private final Vertx vertx;
  private final Pool pool;
  private final Redis redis;
  private final List<ApiVerticle> apis;
  private final List<Long> timers;
  private String deploymentId;

  private RelayServer(Vertx vertx, Pool pool, Redis redis, List<ApiVerticle> apis, List<Long> timers) {
    this.vertx = vertx;
    this.pool = pool;
    this.redis = redis;
    this.apis = apis;
    this.timers = timers;
  }

  /** Migrates the schema when configured to, then starts serving. */
  public static Future<RelayServer> start(Vertx vertx, RelayConfig config) {
    Future<Void> schema = config.bool(Setting.DB_MIGRATE_ON_START)
      ? Database.ensureSchema(vertx, config)
      : Future.succeededFuture();
    return schema
      .compose(v -> vertx.fileSystem().readFile(CONTRACT))
      .compose(document -> OpenAPIContract.from(vertx, forValidation(document.toJsonObject()))
        .compose(contract -> deploy(vertx, config, contract, document)));
  }

  /**
   * The contract as vertx-openapi 5.0 can load it: it rejects application/problem+json as a response
   * media type, and responses are not validated, so the copy used for request validation names them
   * application/json. The document served at /openapi.json is the original.
   */
  private static JsonObject forValidation(JsonObject document) {
    JsonObject copy = document.copy();
    JsonObject responses = copy.getJsonObject("components").getJsonObject("responses");
    for (String name : responses.fieldNames()) {
      JsonObject content = responses.getJsonObject(name).getJsonObject("content");
      Object problem = content.remove(ApiProblem.CONTENT_TYPE);
      if (problem != null) {
        content.put("application/json", problem);
      }
    }
    return copy;
  }

  private static Future<RelayServer> deploy(Vertx vertx, RelayConfig config, OpenAPIContract contract, Buffer document) {
    Pool pool = Database.pool(vertx, config);
    Redis redis = Redis.createClient(vertx, new RedisOptions()
      .setConnectionString(config.string(Setting.REDIS_URI))
      .setMaxPoolSize(4)
      .setMaxWaitingHandlers(1024));
    TenantStore tenants = new TenantStore(pool);
    BatchStore batches = new BatchStore(pool);
    QueueDepth depth = new QueueDepth(config.integer(Setting.INTAKE_MAX_QUEUE_DEPTH));
    IntakeService intake = new IntakeService(new BatchValidator(IntakeLimits.from(config)), batches, depth);
    ApiVerticle.Deps deps = new ApiVerticle.Deps(
      new HttpServerOptions()
        .setHost(config.string(Setting.HTTP_HOST))
        .setPort(config.integer(Setting.HTTP_PORT))
        .setCompressionSupported(true),
      contract, document, pool, redis, tenants, batches, intake,
      config.integer(Setting.INTAKE_MAX_BODY_BYTES),
      config.integer(Setting.INTAKE_RETRY_AFTER_SECONDS),
      config.integer(Setting.HEALTH_TIMEOUT_MS));

    List<ApiVerticle> apis = new CopyOnWriteArrayList<>();
    List<Long> timers = new CopyOnWriteArrayList<>();
    RelayServer server = new RelayServer(vertx, pool, redis, apis, timers);

    int instances = config.integer(Setting.HTTP_INSTANCES);
    if (instances == 0) {
      instances = Runtime.getRuntime().availableProcessors();
    }
    timers.add(vertx.setPeriodic(1, config.integer(Setting.INTAKE_QUEUE_DEPTH_REFRESH_MS), id ->
      batches.queueDepth()
        .onSuccess(depth::recounted)
        .onFailure(err -> LOG.debug("queue depth not recounted: {}", err.toString()))));
    int retention = config.integer(Setting.INTAKE_IDEMPOTENCY_RETENTION_HOURS);
    timers.add(vertx.setPeriodic(IDEMPOTENCY_EXPIRY_PERIOD_MS, id -> batches.expireIdempotencyKeys(retention)
      .onSuccess(n -> LOG.debug("forgot {} idempotency keys", n))
      .onFailure(err -> LOG.warn("idempotency keys not expired: {}", err.toString()))));

    return vertx.deployVerticle(() -> {
        ApiVerticle api = new ApiVerticle(deps);
        apis.add(api);
        return api;
      }, new DeploymentOptions().setInstances(instances))
      .map(id -> {
        server.deploymentId = id;
        LOG.info("Relay listening on {}:{} ({} event loops)", config.string(Setting.HTTP_HOST),
          apis.get(0).actualPort(), apis.size());
        return server;
      })
      .recover(err -> server.stop().transform(v -> Future.failedFuture(err)));
  }

  /** The HTTP port actually bound. */
  public int port() {
    return apis.get(0).actualPort();
  }

  /** Stops serving and closes the pool and the Redis client. */
  public Future<Void> stop() {
    timers.forEach(vertx::cancelTimer);
    Future<Void> undeploy = deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
    return undeploy
      .eventually(pool::close)
      .eventually(redis::close)
      .mapEmpty();
  }
}
