package dev.relay.gateway;

import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.api.ApiProblem;
import dev.relay.gateway.api.ApiVerticle;
import dev.relay.gateway.api.AuthFailureLimiter;
import dev.relay.gateway.api.ClientAddress;
import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.dispatch.Accounts;
import dev.relay.gateway.dispatch.Adapters;
import dev.relay.gateway.dispatch.Dispatcher;
import dev.relay.gateway.dispatch.Handoff;
import dev.relay.gateway.experiment.Experiments;
import dev.relay.gateway.store.ExperimentStore;
import dev.relay.gateway.intake.BatchValidator;
import dev.relay.gateway.intake.IntakeLimits;
import dev.relay.gateway.intake.IntakeService;
import dev.relay.gateway.intake.QueueDepth;
import dev.relay.gateway.metrics.Metrics;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.store.BatchStore;
import dev.relay.gateway.store.CampaignStore;
import dev.relay.gateway.store.DispatchStore;
import dev.relay.gateway.store.ConversionStore;
import dev.relay.gateway.store.EngagementStore;
import dev.relay.gateway.store.PreferenceStore;
import dev.relay.gateway.store.SuppressionStore;
import dev.relay.gateway.store.MessageStore;
import dev.relay.gateway.store.PacedRefresh;
import dev.relay.gateway.store.Database;
import dev.relay.gateway.store.TemplateStore;
import dev.relay.gateway.store.TenantStore;
import dev.relay.gateway.render.ShippedTemplates;
import dev.relay.gateway.render.TemplateCache;
import dev.relay.gateway.render.TemplateDefinition;
import dev.relay.gateway.render.Tracking;
import dev.relay.gateway.track.TrackingTokens;
import dev.relay.gateway.store.WebhookStore;
import dev.relay.gateway.startup.Limits;
import dev.relay.gateway.throttle.CapRule;
import dev.relay.gateway.throttle.Limit;
import dev.relay.gateway.throttle.QuietHours;
import dev.relay.gateway.sendtime.SendTimeOptimizer;
import dev.relay.gateway.store.SendTimeStore;
import dev.relay.gateway.throttle.Throttle;
import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.api.TrackingRoutes;
import dev.relay.gateway.store.SuppressionStore;
import dev.relay.gateway.store.TrackingStore;
import dev.relay.gateway.track.Classifier;
import dev.relay.gateway.track.TrackingJournal;
import dev.relay.gateway.track.TrackingRecorder;
import dev.relay.gateway.webhook.WebhookApplier;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One running gateway: the schema brought up to date, the pool, the limits (in Redis or in this
 * process), the API verticles, and the periodic housekeeping. Started by {@code relay serve} and by tests.
 */
public final class RelayServer {

  private static final Logger LOG = LoggerFactory.getLogger(RelayServer.class);
  private static final String CONTRACT = "openapi.json";
  private static final long IDEMPOTENCY_EXPIRY_PERIOD_MS = 10 * 60 * 1000L;

  private final Vertx vertx;
  private final Pool pool;
  private final Limits limits;
  private final List<ApiVerticle> apis = new CopyOnWriteArrayList<>();
  private final List<Long> timers = new CopyOnWriteArrayList<>();
  private final List<PacedRefresh> refreshes = new CopyOnWriteArrayList<>();
  private final Accounts accounts;
  private final SandboxServer sandbox;
  private final TrackingRecorder recorder;
  private String apiDeployment;
  private String dispatchDeployment;
  private Future<Void> stopped;

  private RelayServer(Vertx vertx, Pool pool, Limits limits, Accounts accounts, SandboxServer sandbox,
                      TrackingRecorder recorder) {
    this.recorder = recorder;
    this.vertx = vertx;
    this.pool = pool;
    this.limits = limits;
    this.accounts = accounts;
    this.sandbox = sandbox;
  }

  /**
   * Migrates the schema when configured to, finds where the limits live (Redis, or this process), then
   * starts serving. The configuration's PostgreSQL is the one to use ({@link dev.relay.gateway.startup.Postgres}).
   */
  public static Future<RelayServer> start(Vertx vertx, RelayConfig config) {
    return start(vertx, config, java.time.Clock.systemUTC());
  }

  /** As {@link #start(Vertx, RelayConfig)}, with the clock that times opens and clicks (a test's replays). */
  public static Future<RelayServer> start(Vertx vertx, RelayConfig config, java.time.Clock trackingClock) {
    Future<Void> schema = config.bool(Setting.DB_MIGRATE_ON_START)
      ? Database.ensureSchema(vertx, config)
      : Future.succeededFuture();
    return schema
      .compose(v -> Limits.open(vertx, config, java.time.Clock.systemUTC()))
      .compose(limits -> start(vertx, config, limits, trackingClock).onFailure(err -> limits.close()));
  }

  private static Future<RelayServer> start(Vertx vertx, RelayConfig config, Limits limits,
                                           java.time.Clock trackingClock) {
    return vertx.fileSystem().readFile(CONTRACT)
      .compose(document -> OpenAPIContract.from(vertx, forValidation(document.toJsonObject()))
        .compose(contract -> providers(vertx, config)
          .compose(providers -> TrackingJournal.open(vertx, TrackingJournal.directory(config))
            .onFailure(err -> {
              providers.accounts().close();
              if (providers.sandbox() != null) {
                providers.sandbox().close();
              }
            })
            .compose(journal -> deploy(vertx, config, contract, document, providers.accounts(), providers.sandbox(),
              journal, limits, trackingClock)))));
  }

  private record Providers(Accounts accounts, SandboxServer sandbox) {
  }

  /**
   * Opens the configured provider accounts; with none configured, starts the sandbox provider in this
   * process and sends every channel to it, so that a gateway with default settings delivers.
   */
  private static Future<Providers> providers(Vertx vertx, RelayConfig config) {
    Future<SandboxServer> sandbox = config.accounts().isEmpty()
      ? SandboxServer.start(vertx, "127.0.0.1", config.integer(Setting.SANDBOX_PORT))
        .onSuccess(s -> LOG.info("no provider accounts configured: sending every channel to the sandbox at {}", s.url()))
      : Future.succeededFuture();
    return sandbox.compose(server -> {
      JsonArray defaults = new JsonArray();
      if (server != null) {
        for (Channel channel : Channel.values()) {
          defaults.add(new JsonObject().put("name", "sandbox-" + channel.wireName())
            .put("adapter", "sandbox-" + channel.wireName())
            .put("settings", new JsonObject().put("url", server.url())
              .put("timeout-ms", config.integer(Setting.DISPATCH_SEND_TIMEOUT_MS))));
        }
      }
      return vertx.executeBlocking(() -> Accounts.open(vertx, config,
          Adapters.discover(RelayServer.class.getClassLoader()), defaults))
        .map(accounts -> new Providers(accounts, server))
        .onFailure(err -> {
          if (server != null) {
            server.close();
          }
        });
    });
  }

  /**
   * The contract as vertx-openapi 5.0 can load it: it rejects application/problem+json as a response
   * media type, and responses are not validated, so the copy used for request validation names them
   * application/json. The document served at /openapi.json is the original.
   */
  private static JsonObject forValidation(JsonObject document) {
    JsonObject copy = document.copy();
    // Webhooks are routed before the validator: their bodies are each provider's own format.
    copy.getJsonObject("paths").remove("/v1/webhooks/{adapter}/{account}");
    // So are the recipients' signed links: their answers are a pixel, a redirect and pages, not JSON.
    copy.getJsonObject("paths").fieldNames().removeIf(path -> path.startsWith("/t/") || path.startsWith("/u/"));
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

  private static Future<RelayServer> deploy(Vertx vertx, RelayConfig config, OpenAPIContract contract, Buffer document,
                                            Accounts accounts, SandboxServer sandbox, TrackingJournal journal,
                                            Limits limits, java.time.Clock trackingClock) {
    Pool pool = Database.pool(vertx, config);
    PrometheusMeterRegistry registry = Metrics.registry(vertx);
    RelayMetrics metrics = new RelayMetrics(registry);
    accounts.all().forEach(account -> {
      metrics.account(account.channel().wireName(), account.name());
      account.account().webhooks().ifPresent(w -> metrics.webhookAdapter(account.account().settings().adapter(),
        java.util.Arrays.stream(dev.relay.adapters.spi.WebhookEvent.Type.values())
          .map(t -> t.name().toLowerCase(java.util.Locale.ROOT)).toList()));
    });
    Redis redis = limits.redis();
    TenantStore tenants = new TenantStore(pool);
    BatchStore batches = new BatchStore(pool);
    TemplateStore templateStore = new TemplateStore(pool);
    TemplateCache templates = new TemplateCache(id -> templateStore.definition(id).map(TemplateDefinition::parse),
      tracking(config), config.integer(Setting.TEMPLATES_CACHE_VERSIONS));
    QueueDepth depth = new QueueDepth(config.integer(Setting.INTAKE_MAX_QUEUE_DEPTH));
    Dispatcher.Options dispatchOptions = Dispatcher.Options.from(config);
    boolean dispatching = config.bool(Setting.DISPATCH_ENABLED);
    Handoff handoff = new Handoff(dispatchOptions.maxPending(), config.integer(Setting.DISPATCH_HANDOFF_MAX_PENDING),
      dispatchOptions.leaseSeconds());
    PreferenceStore preferences = new PreferenceStore(pool);
    ConversionStore conversions = new ConversionStore(pool, config.integer(Setting.CONVERSIONS_ATTRIBUTION_WINDOW_HOURS));
    Experiments experiments = new Experiments(vertx, new ExperimentStore(pool), Experiments.Options.from(config),
      metrics, campaignId -> conversions.perVariant(campaignId).map(byVariant -> {
        Map<String, Long> converted = new HashMap<>();
        byVariant.forEach((variant, figures) -> converted.put(variant, figures.converted()));
        return converted;
      }));
    IntakeService intake = new IntakeService(new BatchValidator(IntakeLimits.from(config)), batches, depth,
      templateStore, dispatching && config.bool(Setting.DISPATCH_HANDOFF) ? handoff : null, metrics, preferences,
      new SendTimeOptimizer(new SendTimeStore(pool), SendTimeOptimizer.Options.from(config)), experiments);
    TrackingStore trackingStore = new TrackingStore(pool);
    TrackingRecorder recorder = TrackingRecorder.start(vertx, journal, trackingStore, Classifier.from(config), metrics,
      config.integer(Setting.TRACKING_FLUSH_MS));
    SuppressionStore suppressions = new SuppressionStore(pool);
    EngagementStore engagement = new EngagementStore(pool);
    ClientAddress clients = ClientAddress.from(config);
    TrackingRoutes trackingRoutes = new TrackingRoutes(templates.tracking().tokens(), templates, recorder,
      trackingStore, suppressions, preferences, clients, trackingClock);
    ApiVerticle.Deps deps = new ApiVerticle.Deps(
      serverOptions(config),
      contract, document, pool, redis, tenants, batches, new CampaignStore(pool), new MessageStore(pool), intake,
      accounts, new WebhookStore(pool), templateStore, templates, config.string(Setting.HTTP_PUBLIC_BASE_URL),
      config.integer(Setting.INTAKE_MAX_BODY_BYTES),
      config.integer(Setting.INTAKE_RETRY_AFTER_SECONDS),
      config.integer(Setting.HEALTH_TIMEOUT_MS),
      metrics, config.bool(Setting.METRICS_ENABLED) ? registry : null,
      new AuthFailureLimiter(config.integer(Setting.API_AUTH_FAILURE_LIMIT),
        config.integer(Setting.API_AUTH_FAILURE_WINDOW_SECONDS), clients), trackingRoutes, suppressions, engagement,
      conversions, preferences, experiments);

    RelayServer server = new RelayServer(vertx, pool, limits, accounts, sandbox, recorder);

    int instances = config.integer(Setting.HTTP_INSTANCES) == 0
      ? Runtime.getRuntime().availableProcessors()
      : config.integer(Setting.HTTP_INSTANCES);
    // Both count the whole queue, which costs more the larger it is: paced by their own duration.
    server.refreshes.add(PacedRefresh.start(vertx, config.integer(Setting.INTAKE_QUEUE_DEPTH_REFRESH_MS), () ->
      batches.queueDepth()
        .onSuccess(depth::recounted)
        .onFailure(err -> LOG.debug("queue depth not recounted: {}", err.toString()))));
    server.refreshes.add(PacedRefresh.start(vertx, config.integer(Setting.METRICS_QUEUE_REFRESH_MS), () ->
      batches.queueStats()
        .onSuccess(q -> metrics.queue(q.queued(), q.retry(), q.sending(), q.lagSeconds()))
        .onFailure(err -> LOG.debug("queue not counted for the metrics: {}", err.toString()))));
    int retention = config.integer(Setting.INTAKE_IDEMPOTENCY_RETENTION_HOURS);
    server.timers.add(vertx.setPeriodic(IDEMPOTENCY_EXPIRY_PERIOD_MS, id -> batches.expireIdempotencyKeys(retention)
      .onSuccess(n -> LOG.debug("forgot {} idempotency keys", n))
      .onFailure(err -> LOG.warn("idempotency keys not expired: {}", err.toString()))));

    WebhookApplier applier = new WebhookApplier(vertx, engagement, config.integer(Setting.WEBHOOKS_APPLY_RETRY_SECONDS),
      config.integer(Setting.WEBHOOKS_APPLY_GIVE_UP_HOURS) * 3600L);
    server.timers.add(applier.start(config.integer(Setting.WEBHOOKS_APPLY_INTERVAL_MS)));
    server.timers.add(experiments.start());
    int aheadDays = config.integer(Setting.ENGAGEMENT_PARTITIONS_AHEAD_DAYS);
    int retentionDays = config.integer(Setting.ENGAGEMENT_RETENTION_DAYS);
    int messagesRetentionDays = config.integer(Setting.MESSAGES_RETENTION_DAYS);
    server.timers.add(vertx.setPeriodic(1, config.integer(Setting.ENGAGEMENT_MAINTENANCE_INTERVAL_SECONDS) * 1000L, id ->
      engagement.maintainPartitions(aheadDays, retentionDays)
        .onSuccess(done -> LOG.debug("events partitions maintained: {}", done.encode()))
        .onFailure(err -> LOG.warn("events partitions not maintained: {}", err.toString()))
        .eventually(() -> engagement.maintainMessages(messagesRetentionDays)
          .onSuccess(done -> LOG.debug("messages partitions maintained: {}", done.encode()))
          .onFailure(err -> LOG.warn("messages partitions not maintained: {}", err.toString())))));

    Future<Void> shipped = shipTemplates(vertx, templateStore);
    Future<Void> dispatch = shipped.compose(v -> dispatching
      ? vertx.deployVerticle(new Dispatcher(new DispatchStore(pool, instanceName()), templates, accounts,
          dispatchOptions, handoff, Throttle.create(limits.store(), throttleOptions(config), java.time.Clock.systemUTC()),
          metrics, suppressions, preferences))
        .onSuccess(id -> server.dispatchDeployment = id)
        .mapEmpty()
      : Future.succeededFuture());
    return dispatch
      .compose(v -> vertx.deployVerticle(() -> {
        ApiVerticle api = new ApiVerticle(deps);
        server.apis.add(api);
        return api;
      }, new DeploymentOptions().setInstances(instances)))
      .map(id -> {
        server.apiDeployment = id;
        LOG.info("Relay listening on {}:{} ({} event loops); dispatch {}", config.string(Setting.HTTP_HOST),
          server.apis.get(0).actualPort(), server.apis.size(),
          server.dispatchDeployment == null ? "off" : "on, " + accounts.all().size() + " accounts");
        return server;
      })
      .recover(err -> server.stop().transform(v -> Future.failedFuture(err)));
  }

  /**
   * The listener's options: plain HTTP, or HTTPS through OpenSSL (netty-tcnative) with HTTP/2 offered
   * by ALPN when a certificate and key are configured.
   */
  static HttpServerOptions serverOptions(RelayConfig config) {
    HttpServerOptions options = new HttpServerOptions()
      .setHost(config.string(Setting.HTTP_HOST))
      .setPort(config.integer(Setting.HTTP_PORT))
      .setCompressionSupported(true);
    String cert = config.string(Setting.HTTP_TLS_CERT);
    String key = config.string(Setting.HTTP_TLS_KEY);
    if (cert.isEmpty() && key.isEmpty()) {
      return options;
    }
    if (cert.isEmpty() || key.isEmpty()) {
      throw new ConfigException("TLS needs both " + Setting.HTTP_TLS_CERT.key() + " and " + Setting.HTTP_TLS_KEY.key()
        + "; only " + (cert.isEmpty() ? Setting.HTTP_TLS_KEY.key() : Setting.HTTP_TLS_CERT.key()) + " is set");
    }
    for (Setting setting : new Setting[] {Setting.HTTP_TLS_CERT, Setting.HTTP_TLS_KEY}) {
      if (!java.nio.file.Files.isReadable(java.nio.file.Path.of(config.string(setting)))) {
        throw new ConfigException(setting.key() + ": cannot read " + config.string(setting));
      }
    }
    if (!OpenSSLEngineOptions.isAvailable()) {
      throw new ConfigException("TLS is configured but OpenSSL (netty-tcnative) is not available on this platform");
    }
    return options
      .setSsl(true)
      .setUseAlpn(true)
      .setSslEngineOptions(new OpenSSLEngineOptions())
      .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert).setKeyPath(key));
  }

  /**
   * Stores the templates Relay ships (the top-level templates/ folder, in the jar) as new versions where
   * they changed: every tenant's starting points. Idempotent, and safe when several instances start at once.
   */
  private static Future<Void> shipTemplates(Vertx vertx, TemplateStore store) {
    return vertx.executeBlocking(() -> ShippedTemplates.load(RelayServer.class.getClassLoader()))
      .compose(list -> {
        Future<Void> chain = Future.succeededFuture();
        for (ShippedTemplates.Shipped template : list) {
          chain = chain.compose(v -> store.ship(template.name(), template.definition())
            .map(version -> {
              version.ifPresent(n -> LOG.info("shipped template '{}' stored as version {}", template.name(), n));
              return null;
            }));
        }
        return chain;
      });
  }

  /** Tracking links: signed with tracking.keys, starting with http.public-base-url. */
  private static Tracking tracking(RelayConfig config) {
    String base = config.string(Setting.HTTP_PUBLIC_BASE_URL);
    if (base.isBlank()) {
      base = "http://localhost:" + config.integer(Setting.HTTP_PORT);
      LOG.warn("http.public-base-url is not set: tracking links start with {}, which recipients cannot reach", base);
    }
    return new Tracking(base, TrackingTokens.fromSetting(config.string(Setting.TRACKING_KEYS)));
  }

  /** The throttle's settings; a setting it cannot read stops start-up with a message that names it. */
  static Throttle.Options throttleOptions(RelayConfig config) {
    String prefix = config.string(Setting.THROTTLE_KEY_PREFIX).isBlank()
      ? "relay:" + config.string(Setting.DB_NAME) : config.string(Setting.THROTTLE_KEY_PREFIX);
    try {
      int tenantRate = config.integer(Setting.THROTTLE_TENANT_RATE);
      int campaignRate = config.integer(Setting.THROTTLE_CAMPAIGN_RATE);
      return new Throttle.Options(prefix, QuietHours.parse(config.string(Setting.THROTTLE_QUIET_HOURS)),
        CapRule.parseAll(config.string(Setting.THROTTLE_CAPS)), tenantRate == 0 ? null : Limit.of(tenantRate),
        campaignRate == 0 ? null : Limit.of(campaignRate), config.integer(Setting.THROTTLE_REDIS_TIMEOUT_MS),
        config.integer(Setting.THROTTLE_REDIS_RETRY_MS), config.integer(Setting.THROTTLE_MAX_HOLD_MS),
        config.integer(Setting.THROTTLE_RECOVERY_PERCENT), 5);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** The HTTP port actually bound. */
  public int port() {
    return apis.get(0).actualPort();
  }

  /** This process's name in events: host and process id, as the JVM reports them. */
  private static String instanceName() {
    return java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
  }

  /** The in-process sandbox provider, when no accounts are configured. */
  public SandboxServer sandbox() {
    return sandbox;
  }

  /**
   * Stops gracefully: the dispatcher stops claiming, lets provider calls finish within its grace period,
   * releases what it did not send and writes every outcome; then the API stops and connections close.
   */
  public synchronized Future<Void> stop() {
    if (stopped == null) {
      stopped = shutdown();
    }
    return stopped;
  }

  private Future<Void> shutdown() {
    timers.forEach(vertx::cancelTimer);
    refreshes.forEach(PacedRefresh::stop);
    Future<Void> dispatch = dispatchDeployment == null ? Future.succeededFuture() : vertx.undeploy(dispatchDeployment);
    return dispatch
      .eventually(() -> apiDeployment == null ? Future.succeededFuture() : vertx.undeploy(apiDeployment))
      .eventually(recorder::close)
      .eventually(accounts::close)
      .eventually(() -> sandbox == null ? Future.succeededFuture() : sandbox.close())
      .eventually(pool::close)
      .eventually(limits::close)
      .mapEmpty();
  }
}
