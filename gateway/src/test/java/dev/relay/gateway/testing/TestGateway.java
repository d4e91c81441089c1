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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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

  /** Starts a gateway whose opens and clicks are timed by {@code trackingClock} (replays of timed traffic). */
  public static TestGateway start(Map<Setting, String> overrides, java.time.Clock trackingClock) {
    return start(TestDatabase.fresh(), overrides, true, new JsonObject(), trackingClock);
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
    return start(database, overrides, ownsDatabase, file, java.time.Clock.systemUTC());
  }

  private static TestGateway start(TestDatabase database, Map<Setting, String> overrides, boolean ownsDatabase,
                                   JsonObject file, java.time.Clock trackingClock) {
    Map<Setting, String> settings = settings(database);
    settings.putAll(overrides);
    RelayConfig config = RelayConfig.of(settings, file);
    Vertx vertx = Metrics.vertx();
    RelayServer server;
    try {
      server = await(RelayServer.start(vertx, config, trackingClock));
    } catch (RuntimeException | AssertionError e) {
      // A gateway that refuses to start (the tests of start-up errors) leaves no Vert.x and no database behind.
      try {
        await(vertx.close());
        if (ownsDatabase) {
          database.close();
        }
        deleteDataDir(config);
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
    // Each gateway its own data directory (its tracking journal is locked by one process; tests run several),
    // under target/ rather than the system's temporary folder, deleted when the gateway closes.
    settings.put(Setting.DATA_DIR, newDataDir().toString());
    return settings;
  }

  /** A new data directory for one gateway of a test, under {@code target/test-data}. */
  public static Path newDataDir() {
    return Path.of("target", "test-data", UUID.randomUUID().toString()).toAbsolutePath();
  }

  /** A new empty directory under {@code target/test-data} for a test's files: never in the system's /tmp. */
  public static Path newTestDir(String prefix) throws IOException {
    return Files.createTempDirectory(Files.createDirectories(Path.of("target", "test-data")), prefix).toAbsolutePath();
  }

  /** Deletes a test gateway's data directory (its tracking journal written out to the database once it stopped). */
  public static void deleteDataDir(RelayConfig config) throws IOException {
    deleteTree(Path.of(config.string(Setting.DATA_DIR)));
  }

  /** Deletes a directory and everything in it; nothing when it does not exist. */
  public static void deleteTree(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
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
  public void close() throws SQLException, IOException {
    try {
      client.close();
      await(server.stop());
      await(vertx.close());
    } finally {
      if (ownsDatabase) {
        database.close();
      }
      deleteDataDir(config);
    }
  }
}
