package dev.relay.gateway.dispatch;

import dev.relay.adapters.testkit.Fault;
import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.DeliveryChecker;
import dev.relay.gateway.testing.GatewayProcess;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whole-process drills: gateway jars as processes on one database, sending to one sandbox provider
 * that this test runs, so that every arrival is counted in one place.
 */
@DisplayName("Dispatch across processes")
class DispatchDrillIT {

  private static final int MESSAGES = 20_000;
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

  private static Map<String, String> environment(TestDatabase database, Path dir) throws IOException {
    Map<String, String> env = GatewayProcess.sandboxEnvironment(database, dir, sandbox.url(), 5000);
    env.put("RELAY_DISPATCH_LEASE_SECONDS", "6");
    env.put("RELAY_DISPATCH_IDLE_POLL_MS", "50");
    return env;
  }

  private static void postCampaign(GatewayProcess a, GatewayProcess b, String key) throws Exception {
    postCampaign(a, b, key, new DeliveryChecker());
  }

  private static void postCampaign(GatewayProcess a, GatewayProcess b, String key, DeliveryChecker checker)
    throws Exception {
    for (int i = 0; i < MESSAGES / 1000; i++) {
      GatewayProcess target = i % 2 == 0 ? a : b;
      io.vertx.core.json.JsonObject batch = Batches.batch("shared", "p" + i, 1000);
      java.net.http.HttpResponse<String> answer = target.post("/v1/batches", key, "part-" + i, batch.encode());
      assertThat(answer.statusCode()).isEqualTo(202);
      checker.accepted(batch, new io.vertx.core.json.JsonObject(answer.body()));
    }
  }

  private static void awaitAllSent(TestDatabase database, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (database.count("SELECT count(*) FROM messages WHERE state = 'sent'") < MESSAGES) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not all sent within " + seconds + " s: " + database.count(
          "SELECT count(*) FROM messages WHERE state = 'sent'") + " of " + MESSAGES);
      }
      Thread.sleep(200);
    }
  }

  @Test
  @DisplayName("two processes on one database share a campaign: both send, and no message arrives twice")
  void twoProcessesShareACampaign() throws Exception {
    sandbox.reset();
    Path dir = TestGateway.newTestDir("relay-drill");
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<String, String> env = environment(database, dir);
      String key = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
      try (GatewayProcess a = GatewayProcess.serve(env); GatewayProcess b = GatewayProcess.serve(env)) {
        postCampaign(a, b, key);
        awaitAllSent(database, 180);

        assertThat(sandbox.uniqueCount()).isEqualTo(MESSAGES);
        assertThat(sandbox.duplicateCount()).isZero();
        // A send leaves no event row naming its instance any more (V22): each process's own count of its sends.
        double sentByA = a.sentCount();
        double sentByB = b.sentCount();
        assertThat(sentByA).as("messages sent by %s", instance(a)).isPositive();
        assertThat(sentByB).as("messages sent by %s", instance(b)).isPositive();
        assertThat(sentByA + sentByB).isEqualTo(MESSAGES);
        assertThat(database.count("SELECT count(*) FROM messages WHERE state <> 'sent'")).isZero();
      }
    }
  }

  @Test
  @DisplayName("kill -9 of one process mid-campaign and a restart: every message arrives; duplicates only from "
    + "sends the killed process had made before it died")
  void killNineAndRestart() throws Exception {
    sandbox.reset();
    Path dir = TestGateway.newTestDir("relay-drill");
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<String, String> env = environment(database, dir);
      String key = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
      Instant killedAt;
      // A provider answering every call after 100 ms keeps each process busy for seconds, so that the
      // one killed dies with messages in provider calls, in its lanes and under handed-over leases.
      sandbox.inject(Fault.slow(Duration.ofMillis(100)));
      env.put("RELAY_DISPATCH_MAX_IN_FLIGHT", "100");
      DeliveryChecker checker = new DeliveryChecker();
      try (GatewayProcess a = GatewayProcess.serve(env); GatewayProcess b = GatewayProcess.serve(env)) {
        postCampaign(a, b, key, checker);
        while (sandbox.uniqueCount() < MESSAGES / 4) {
          Thread.sleep(20);
        }
        a.kill();
        killedAt = Instant.now();
        sandbox.clearFaults();
        try (GatewayProcess restarted = GatewayProcess.serve(env)) {
          awaitAllSent(database, 180);
          assertThat(restarted.isAlive()).isTrue();
        }
      }

      assertThat(sandbox.uniqueCount()).isEqualTo(MESSAGES);
      DeliveryChecker.Verdict verdict = checker.check(sandbox.receipts());
      System.out.printf("kill -9 drill: %s%n", verdict);
      assertThat(verdict.accepted()).isEqualTo(MESSAGES);
      assertThat(verdict.lost()).isZero();
      assertThat(verdict.unexpected()).isZero();
      Map<String, Instant> firstArrival = new HashMap<>();
      sandbox.receipts().forEach(r -> firstArrival.merge(r.idempotencyKey(), r.receivedAt(),
        (x, y) -> x.isBefore(y) ? x : y));
      Set<String> duplicated = sandbox.receipts().stream()
        .collect(Collectors.groupingBy(SandboxServer.Receipt::idempotencyKey, Collectors.counting()))
        .entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).collect(Collectors.toSet());
      System.out.printf("kill -9 drill: %d messages, %d arrived, %d unique, %d duplicated%n", MESSAGES,
        sandbox.receivedCount(), sandbox.uniqueCount(), duplicated.size());
      // The slow provider stamps a receipt when it answers, 100 ms after the call: a call the killed
      // process made just before it died is stamped just after. A resend by another process comes only
      // after the lease (6 s) expired.
      Instant callsOfTheKilled = killedAt.plus(Duration.ofSeconds(2));
      for (String key2 : duplicated) {
        assertThat(firstArrival.get(key2)).as("first arrival of duplicated %s is from a call before the kill", key2)
          .isBefore(callsOfTheKilled);
      }
      // The window: messages the killed process held under lease (handed to the provider, not yet
      // recorded as sent) and that were reclaimed when their lease expired.
      long reclaimed = database.count("SELECT count(*) FROM events WHERE type = 'lease_expired'");
      System.out.printf("kill -9 drill: %d leases reclaimed from the killed process%n", reclaimed);
      assertThat(reclaimed).as("the killed process held leased messages: the drill killed it mid-campaign")
        .isPositive();
      assertThat((long) duplicated.size()).isLessThanOrEqualTo(reclaimed);
      assertThat(verdict.duplicated()).isEqualTo(duplicated.size());
      assertThat(database.count("SELECT count(*) FROM messages WHERE state <> 'sent'")).isZero();
    }
  }


  private static String instance(GatewayProcess process) throws IOException {
    return process.pid() + "@" + java.net.InetAddress.getLocalHost().getHostName();
  }
}
