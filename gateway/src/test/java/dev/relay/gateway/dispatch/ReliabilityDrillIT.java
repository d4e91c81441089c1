package dev.relay.gateway.dispatch;

import dev.relay.adapters.testkit.FaultProxy;
import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.DeliveryChecker;
import dev.relay.gateway.testing.GatewayProcess;
import dev.relay.gateway.testing.PrivateRedis;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Drills with a history checker: a gateway process sends a campaign to the sandbox provider while a
 * fault is applied, the checker records every accepted recipient and every arrival, and each drill
 * ends with nothing lost, duplicates only within the window it names, and nothing left in flight.
 * The PostgreSQL drill restarts the local server with {@code -m immediate} (a crash and recovery);
 * -Drelay.pg.restart replaces the command elsewhere.
 */
@DisplayName("Reliability drills")
class ReliabilityDrillIT {

  private static final String PG_RESTART = System.getProperty("relay.pg.restart",
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -n 1) main restart -m immediate");

  private static Vertx vertx;
  private static SandboxServer sandbox;

  @BeforeAll
  static void startSandbox() {
    vertx = Vertx.vertx();
    sandbox = await(SandboxServer.start(vertx, "127.0.0.1", 0));
  }

  @AfterAll
  static void stopSandbox() {
    await(sandbox.close());
    await(vertx.close());
  }

  private static Map<String, String> environment(TestDatabase database, String providerUrl) throws IOException {
    Map<String, String> env = GatewayProcess.sandboxEnvironment(database, TestGateway.newTestDir("relay-drill"),
      providerUrl, 3000);
    env.put("RELAY_DISPATCH_LEASE_SECONDS", "10");
    env.put("RELAY_DISPATCH_IDLE_POLL_MS", "50");
    env.put("RELAY_DISPATCH_BACKOFF_BASE_MS", "200");
    env.put("RELAY_DISPATCH_BACKOFF_MAX_MS", "2000");
    env.put("RELAY_DISPATCH_SEND_TIMEOUT_MS", "3000");
    env.put("RELAY_DISPATCH_BREAKER_RESET_MS", "1000");
    env.put("RELAY_DISPATCH_MAX_ATTEMPTS", "50");
    env.put("RELAY_DISPATCH_MAX_IN_FLIGHT", "100");
    env.put("RELAY_DB_CONNECT_TIMEOUT_MS", "2000");
    return env;
  }

  private static void post(GatewayProcess gateway, String key, DeliveryChecker checker, String campaign, int batches,
                           int size) throws Exception {
    for (int i = 0; i < batches; i++) {
      JsonObject batch = Batches.batch(campaign, campaign + "-" + i, size);
      HttpResponse<String> answer = gateway.post("/v1/batches", key, campaign + "-" + i, batch.encode());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
      checker.accepted(batch, new JsonObject(answer.body()));
    }
  }

  private static void awaitArrivals(int count, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (sandbox.uniqueCount() < count) {
      assertThat(System.nanoTime()).as("%d arrivals within %d s (have %d)", count, seconds, sandbox.uniqueCount())
        .isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static void awaitNothingInFlight(TestDatabase database, int messages, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (database.count("SELECT count(*) FROM messages WHERE state = 'sent'") < messages) {
      assertThat(System.nanoTime()).as("all %d sent within %d s: %d", messages, seconds,
        database.count("SELECT count(*) FROM messages WHERE state = 'sent'")).isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat(database.count("SELECT count(*) FROM messages WHERE state <> 'sent'")).as("stuck messages").isZero();
  }

  @Test
  @DisplayName("provider faults through a TCP proxy (latency, hang, reset, slow bandwidth): nothing lost; duplicates "
    + "only from calls in flight when the provider hung")
  void providerFaults() throws Exception {
    sandbox.reset();
    FaultProxy proxy = await(FaultProxy.start(vertx, "127.0.0.1", sandbox.port()));
    DeliveryChecker checker = new DeliveryChecker();
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<String, String> env = environment(database, sandbox.url().replace(":" + sandbox.port(), ":" + proxy.port()));
      String key = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
      try (GatewayProcess gateway = GatewayProcess.serve(env)) {
        proxy.set(new FaultProxy.Latency(150));
        post(gateway, key, checker, "faults", 8, 1000);
        awaitArrivals(500, 60);
        proxy.set(new FaultProxy.Hang());
        Thread.sleep(4000);
        proxy.set(new FaultProxy.Reset());
        Thread.sleep(2000);
        proxy.set(new FaultProxy.Slow(64 * 1024));
        Thread.sleep(2000);
        proxy.heal();
        awaitNothingInFlight(database, 8000, 180);
      }
      DeliveryChecker.Verdict verdict = checker.check(sandbox.receipts());
      System.out.printf("provider-fault drill: %s; %d proxy connections, %d reset%n", verdict, proxy.connections(),
        proxy.resets());
      assertThat(verdict.accepted()).isEqualTo(8000);
      assertThat(verdict.lost()).isZero();
      assertThat(verdict.unexpected()).isZero();
      assertThat(proxy.resets()).as("the reset phase reset connections").isPositive();
      // A hang swallows the answers of the calls in flight when it begins: those messages reached the
      // provider and are sent again under the same idempotency key; at most max-in-flight of them.
      assertThat(verdict.duplicated()).isLessThanOrEqualTo(100);
    } finally {
      await(proxy.close());
    }
  }

  @Test
  @DisplayName("PostgreSQL restarted with -m immediate mid-campaign: nothing lost, nothing duplicated, nothing stuck")
  void postgresqlCrashRestart() throws Exception {
    sandbox.reset();
    DeliveryChecker checker = new DeliveryChecker();
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<String, String> env = environment(database, sandbox.url());
      String key = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
      // A slow provider keeps the campaign going for several seconds.
      sandbox.inject(dev.relay.adapters.testkit.Fault.slow(java.time.Duration.ofMillis(50)));
      try (GatewayProcess gateway = GatewayProcess.serve(env)) {
        post(gateway, key, checker, "crash", 10, 1000);
        awaitArrivals(2500, 60);
        shell(PG_RESTART);
        sandbox.clearFaults();
        awaitNothingInFlight(database, 10_000, 180);
        assertThat(gateway.isAlive()).isTrue();
        assertThat(gateway.log()).as("the gateway saw the outage").containsAnyOf("failed", "retrying", "cannot reach");
      }
      DeliveryChecker.Verdict verdict = checker.check(sandbox.receipts());
      System.out.printf("postgresql -m immediate drill: %s%n", verdict);
      assertThat(verdict.accepted()).isEqualTo(10_000);
      assertThat(verdict.lost()).isZero();
      assertThat(verdict.unexpected()).isZero();
      assertThat(verdict.duplicated()).isZero();
    }
  }

  @Test
  @DisplayName("Redis (the rate limits' store) killed and restarted mid-campaign: nothing lost, nothing sent twice, "
    + "nothing above the limit, nothing stuck")
  void redisRestart() throws Exception {
    sandbox.reset();
    DeliveryChecker checker = new DeliveryChecker();
    try (TestDatabase database = TestDatabase.fresh(); PrivateRedis redis = PrivateRedis.start()) {
      Path config = TestGateway.newTestDir("relay-drill").resolve("relay.yaml");
      Files.writeString(config, "accounts:\n"
        + "  - name: sandbox-email\n"
        + "    adapter: sandbox-email\n"
        + "    rate: 500\n"
        + "    burst: 50\n"
        + "    settings:\n"
        + "      url: " + sandbox.url() + "\n");
      Map<String, String> env = environment(database, sandbox.url());
      env.put("RELAY_CONFIG", config.toString());
      env.put("RELAY_REDIS_URI", redis.uri());
      env.put("RELAY_THROTTLE_REDIS_RETRY_MS", "500");
      String key = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
      try (GatewayProcess gateway = GatewayProcess.serve(env)) {
        post(gateway, key, checker, "redis", 5, 1000);
        awaitArrivals(1000, 60);
        redis.stop();
        int atStop = sandbox.uniqueCount();
        Thread.sleep(3000);
        int whileDown = sandbox.uniqueCount() - atStop;
        // Intake does not need Redis: a batch is still accepted while it is down.
        post(gateway, key, checker, "redis-down", 1, 500);
        redis.startAgain();
        awaitNothingInFlight(database, 5500, 120);
        System.out.printf("redis restart drill: %d arrived in the 3 s Redis was down (calls already in flight)%n",
          whileDown);
        assertThat(whileDown).as("sent while Redis was down (at most the lane's in-flight calls)").isLessThanOrEqualTo(50);
        assertThat(database.count("SELECT count(*) FROM events WHERE type = 'deferred' AND reason ILIKE '%redis%'"))
          .as("messages deferred because Redis could not be reached").isPositive();
      }
      DeliveryChecker.Verdict verdict = checker.check(sandbox.receipts());
      System.out.printf("redis restart drill: %s%n", verdict);
      assertThat(verdict.accepted()).isEqualTo(5500);
      assertThat(verdict.lost()).isZero();
      assertThat(verdict.unexpected()).isZero();
      assertThat(verdict.duplicated()).isZero();
    }
  }

  private static void shell(String command) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", command).inheritIO().start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(command).isTrue();
    assertThat(p.exitValue()).as(command).isZero();
    for (int i = 0; i < 60; i++) {
      Process ready = new ProcessBuilder("pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q").start();
      if (ready.waitFor(10, TimeUnit.SECONDS) && ready.exitValue() == 0) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("PostgreSQL did not come back after: " + command);
  }
}
