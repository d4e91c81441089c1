package dev.relay.gateway.testing;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.RelayServer;
import dev.relay.gateway.api.ApiKeys;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.metrics.Metrics;
import dev.relay.gateway.store.Database;
import dev.relay.gateway.store.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A gateway started in-process for a test class, on its own database and a free port, with a
 * client for its API. The test thread waits on futures with {@link #await}; nothing here runs on an
 * event loop.
 */
public final class TestGateway implements AutoCloseable {

  private final Vertx vertx;
  private final TestDatabase database;
  private final RelayServer server;
  private final RelayConfig config;
  private final WebClient client;
  private final boolean ownsDatabase;

  private TestGateway(Vertx vertx, TestDatabase database, RelayServer server, RelayConfig config,
                      boolean ownsDatabase) {
    this.vertx = vertx;
    this.database = database;
    this.server = server;
    this.config = config;
    this.ownsDatabase = ownsDatabase;
    this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("localhost")
      .setDefaultPort(server.port()));
  }

  /** Starts a gateway with the defaults, overridden where given, on a new database it drops when closed. */
  public static TestGateway start(Map<Setting, String> overrides) {
    return start(TestDatabase.fresh(), overrides, true);
  }

  /** Starts a gateway on an existing database (to restart on the same data); closing it keeps the database. */
  public static TestGateway restart(TestDatabase database, Map<Setting, String> overrides) {
    return start(database, overrides, false);
  }

  /** Starts a gateway with these provider accounts (the {@code accounts:} list of a config file). */
  public static TestGateway withAccounts(JsonArray accounts, Map<Setting, String> overrides) {
    return start(TestDatabase.fresh(), overrides, true, new JsonObject().put("accounts", accounts));
  }

  private static TestGateway start(TestDatabase database, Map<Setting, String> overrides, boolean ownsDatabase) {
    return start(database, overrides, ownsDatabase, new JsonObject());
  }

  private static TestGateway start(TestDatabase database, Map<Setting, String> overrides, boolean ownsDatabase,
                                   JsonObject file) {
    Map<Setting, String> settings = settings(database);
    settings.putAll(overrides);
    RelayConfig config = RelayConfig.of(settings, file);
    Vertx vertx = Metrics.vertx();
    RelayServer server;
    try {
      server = await(RelayServer.start(vertx, config));
    } catch (RuntimeException | AssertionError e) {
      // A gateway that refuses to start (the tests of start-up errors) leaves no Vert.x and no database behind.
      try {
        await(vertx.close());
        if (ownsDatabase) {
          database.close();
        }
      } catch (Exception | AssertionError cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    return new TestGateway(vertx, database, server, config, ownsDatabase);
  }

  /** The settings of a test gateway on this database: loopback, any free ports, one event loop, quick polls. */
  public static Map<Setting, String> settings(TestDatabase database) {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.HTTP_HOST, "127.0.0.1");
    settings.put(Setting.HTTP_PORT, "0");
    settings.put(Setting.HTTP_INSTANCES, "1");
    settings.put(Setting.DB_HOST, TestDatabase.HOST);
    settings.put(Setting.DB_PORT, Integer.toString(TestDatabase.PORT));
    settings.put(Setting.DB_USER, TestDatabase.USER);
    settings.put(Setting.DB_NAME, database.name());
    settings.put(Setting.INTAKE_QUEUE_DEPTH_REFRESH_MS, "100");
    settings.put(Setting.SANDBOX_PORT, "0");
    settings.put(Setting.DISPATCH_IDLE_POLL_MS, "50");
    // Each gateway its own tracking journal (a directory is locked by one process; tests run several).
    try {
      settings.put(Setting.TRACKING_JOURNAL_DIR, java.nio.file.Files.createTempDirectory("relay-journal-").toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return settings;
  }

  public static TestGateway start() {
    return start(Map.of());
  }

  /** Waits for a future from the test thread. */
  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("future failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Makes an API key for a tenant, returning the key text to put in Authorization. */
  public String apiKey(String tenant) {
    ApiKeys.Issued key = ApiKeys.issue();
    Pool pool = Database.pool(vertx, config);
    try {
      await(new TenantStore(pool).insertKey(tenant, key.id(), key.secretHash()));
    } finally {
      await(pool.close());
    }
    return key.text();
  }

  /** The in-process sandbox provider every channel is sent to. */
  public SandboxServer sandbox() {
    return server.sandbox();
  }

  /** Stops the gateway gracefully, keeping the client's Vert.x for nothing else. */
  public void stop() {
    await(server.stop());
  }

  public TestDatabase database() {
    return database;
  }

  public RelayConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public int port() {
    return server.port();
  }

  public HttpRequest<Buffer> get(String path, String key) {
    return authorized(client.get(path), key);
  }

  public HttpRequest<Buffer> post(String path, String key) {
    return authorized(client.post(path), key).putHeader("Content-Type", "application/json");
  }

  /** POSTs a batch and waits for the answer. */
  public HttpResponse<Buffer> postBatch(String key, String idempotencyKey, Buffer body) {
    HttpRequest<Buffer> request = post("/v1/batches", key);
    if (idempotencyKey != null) {
      request.putHeader("Idempotency-Key", idempotencyKey);
    }
    return await(request.sendBuffer(body));
  }

  public HttpResponse<Buffer> postBatch(String key, String idempotencyKey, JsonObject body) {
    return postBatch(key, idempotencyKey, body.toBuffer());
  }

  /** Stores a new version of a template for the key's tenant; fails the test unless it is created. */
  public JsonObject putTemplate(String key, String name, JsonObject definition) {
    HttpResponse<Buffer> response = await(authorized(client.put("/v1/templates/" + name), key)
      .putHeader("Content-Type", "application/json").sendJsonObject(definition));
    if (response.statusCode() != 201) {
      throw new AssertionError("PUT /v1/templates/" + name + " answered " + response.statusCode() + ": "
        + response.bodyAsString());
    }
    return response.bodyAsJsonObject();
  }

  private static HttpRequest<Buffer> authorized(HttpRequest<Buffer> request, String key) {
    return key == null ? request : request.putHeader("Authorization", "Bearer " + key);
  }

  @Override
  public void close() throws java.sql.SQLException, java.io.IOException {
    try {
      client.close();
      await(server.stop());
      await(vertx.close());
    } finally {
      if (ownsDatabase) {
        database.close();
      }
      deleteJournal();
    }
  }

  /** The gateway's tracking journal, written out to the database once it stopped. */
  private void deleteJournal() throws java.io.IOException {
    java.nio.file.Path journal = java.nio.file.Path.of(config.string(Setting.TRACKING_JOURNAL_DIR));
    if (java.nio.file.Files.isDirectory(journal)) {
      try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(journal)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
