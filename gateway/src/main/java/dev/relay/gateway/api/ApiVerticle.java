package dev.relay.gateway.api;

import dev.relay.gateway.dispatch.Accounts;
import dev.relay.gateway.intake.IntakeService;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.store.BatchStore;
import dev.relay.gateway.store.CampaignStore;
import dev.relay.gateway.store.MessageStore;
import dev.relay.gateway.render.TemplateCache;
import dev.relay.gateway.store.TemplateStore;
import dev.relay.gateway.store.TenantStore;
import dev.relay.gateway.store.WebhookStore;
import dev.relay.gateway.store.EngagementStore;
import dev.relay.gateway.store.PreferenceStore;
import dev.relay.gateway.store.ErasureStore;
import dev.relay.gateway.store.SuppressionStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;

import java.util.Locale;

/**
 * The HTTP API. One instance per event loop; all share the pool, the stores and the contract, which
 * come in through the constructor.
 */
public final class ApiVerticle extends VerticleBase {

  /** What every instance shares. */
  public record Deps(HttpServerOptions serverOptions, OpenAPIContract contract, Buffer contractDocument, Pool pool,
                     Redis redis, TenantStore tenants, BatchStore batches, CampaignStore campaigns,
                     MessageStore messages, IntakeService intake, Accounts accounts, WebhookStore webhooks,
                     TemplateStore templateStore, TemplateCache templates, String publicBaseUrl, int maxBodyBytes,
                     int retryAfterSeconds, long healthTimeoutMs, RelayMetrics metrics, PrometheusMeterRegistry scrape,
                     AuthFailureLimiter authFailures, TrackingRoutes tracking, SuppressionStore suppressions,
                     EngagementStore engagement, PreferenceStore preferences) {
  }

  private static final int WEBHOOK_BODY_LIMIT = 1024 * 1024;

  private final Deps deps;
  private HttpServer server;

  public ApiVerticle(Deps deps) {
    this.deps = deps;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    // First: a target the router could not decode fails here, with a problem, not while matching a route.
    router.route().handler(MalformedRequests::checkTarget);
    Readiness readiness = new Readiness(vertx, deps.pool(), deps.redis(), deps.healthTimeoutMs());
    router.get("/health/live").handler(readiness::live);
    router.get("/health/ready").handler(readiness::ready);
    router.get("/openapi.json").handler(ctx -> ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .end(deps.contractDocument()));
    if (deps.scrape() != null) {
      // Prometheus text format 0.0.4; unauthenticated, like /health: not for the public network.
      router.get("/metrics").handler(PrometheusScrapingHandler.create(deps.scrape()));
    }

    // Recipients' tracking and unsubscribe links carry a signed token instead of an API key.
    deps.tracking().mount(router);

    // Provider webhooks carry their provider's signature instead of an API key.
    WebhookRoutes webhooks = new WebhookRoutes(deps.accounts(), deps.webhooks(), deps.publicBaseUrl(), deps.metrics());
    router.post("/v1/webhooks/:adapter/:account")
      .handler(BodyHandler.create(false).setBodyLimit(WEBHOOK_BODY_LIMIT))
      .handler(webhooks::receive);
    // Meta verifies a webhook URL with a GET carrying hub.challenge before it posts anything.
    router.get("/v1/webhooks/:adapter/:account")
      .handler(BodyHandler.create(false).setBodyLimit(WEBHOOK_BODY_LIMIT))
      .handler(webhooks::receive);

    router.post("/v1/batches").handler(this::timeIntake);
    router.route("/v1/*").handler(BodyHandler.create(false).setBodyLimit(deps.maxBodyBytes()));
    router.route("/v1/*").handler(new ApiKeyAuth(deps.tenants(), deps.authFailures()));
    // After the key: an unauthenticated client learns nothing about a route, not even its media type.
    router.post("/v1/batches").handler(ApiVerticle::requireJson);
    router.put("/v1/templates/:name").handler(ApiVerticle::requireJson);
    router.post("/v1/templates/:name/preview").handler(ApiVerticle::requireJson);
    router.post("/v1/templates/:name/test").handler(ApiVerticle::requireJson);
    router.post("/v1/suppressions").handler(ApiVerticle::requireJson);
    router.put("/v1/topics/:name").handler(ApiVerticle::requireJson);
    router.put("/v1/recipients/:id/preferences").handler(ApiVerticle::requireJson);

    RouterBuilder api = RouterBuilder.create(vertx, deps.contract(),
      StringParameters.around(RequestExtractor.withBodyHandler()));
    // Every /v1 route is authenticated above by ApiKeyAuth, before its body is validated.
    api.getRoutes().forEach(route -> route.setDoSecurity(false));
    BatchRoutes batches = new BatchRoutes(deps.intake(), deps.batches());
    api.getRoute("createBatch").addHandler(batches::create);
    api.getRoute("getBatch").addHandler(batches::get);
    CampaignRoutes campaigns = new CampaignRoutes(deps.campaigns(), deps.messages());
    api.getRoute("pauseCampaign").addHandler(campaigns::pause);
    api.getRoute("resumeCampaign").addHandler(campaigns::resume);
    api.getRoute("getMessage").addHandler(campaigns::message);
    TemplateRoutes templates = new TemplateRoutes(deps.templateStore(), deps.templates(), deps.intake(),
      deps.messages());
    api.getRoute("putTemplate").addHandler(templates::put);
    api.getRoute("listTemplateVersions").addHandler(templates::list);
    api.getRoute("previewTemplate").addHandler(templates::preview);
    api.getRoute("testTemplate").addHandler(templates::test);
    SuppressionRoutes suppressionRoutes = new SuppressionRoutes(deps.suppressions());
    api.getRoute("listSuppressions").addHandler(suppressionRoutes::list);
    api.getRoute("addSuppression").addHandler(suppressionRoutes::add);
    api.getRoute("removeSuppression").addHandler(suppressionRoutes::remove);
    EngagementRoutes engagementRoutes = new EngagementRoutes(deps.engagement(), deps.preferences());
    api.getRoute("getCampaignStats").addHandler(engagementRoutes::stats);
    api.getRoute("getRecipientEngagement").addHandler(engagementRoutes::recipient);
    TopicRoutes topicRoutes = new TopicRoutes(deps.preferences());
    api.getRoute("putTopic").addHandler(topicRoutes::put);
    api.getRoute("listTopics").addHandler(topicRoutes::list);
    api.getRoute("getTopic").addHandler(topicRoutes::get);
    api.getRoute("getRecipientPreferences").addHandler(topicRoutes::preferences);
    api.getRoute("putRecipientPreferences").addHandler(topicRoutes::setPreferences);
    api.getRoute("eraseRecipient").addHandler(new ErasureRoutes(new ErasureStore(deps.pool()))::erase);
    Router apiRouter = api.createRouter();
    router.route("/*").subRouter(apiRouter);

    router.route().last().handler(ctx -> ctx.fail(404));
    ProblemHandler problems = new ProblemHandler(deps.maxBodyBytes(), deps.retryAfterSeconds());
    router.route().failureHandler(problems);
    problems.install(router);
    problems.install(apiRouter);

    return vertx.createHttpServer(deps.serverOptions())
      .invalidRequestHandler(MalformedRequests.answer(deps.serverOptions()))
      .requestHandler(router)
      .listen()
      .onSuccess(s -> server = s);
  }

  private void timeIntake(RoutingContext ctx) {
    long started = System.nanoTime();
    ctx.addEndHandler(v -> deps.metrics().intakeDuration(System.nanoTime() - started));
    ctx.next();
  }

  private static void requireJson(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      ctx.fail(415);
    } else {
      ctx.next();
    }
  }

  /** The port this instance listens on (useful when the configured port is 0). */
  public int actualPort() {
    return server.actualPort();
  }
}
