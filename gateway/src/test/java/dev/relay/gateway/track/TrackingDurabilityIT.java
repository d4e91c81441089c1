package dev.relay.gateway.track;

import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.GatewayProcess;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tracking journal's promise: a gateway killed (kill -9) right after answering opens and clicks,
 * with none of them written to PostgreSQL yet, writes every answered one once it restarts on the same
 * journal, and each only once.
 */
class TrackingDurabilityIT {

  @Test
  @DisplayName("Every open and click answered before a kill -9 is in events after the restart, exactly once")
  void answeredHitsSurviveAKill() throws Exception {
    try (TestDatabase database = TestDatabase.fresh()) {
      Path journal = TestGateway.newTestDir("relay-journal-it-");
      Map<String, String> env = new HashMap<>(GatewayProcess.environment(database));
      env.put("RELAY_TRACKING_JOURNAL_DIR", journal.toString());
      env.put("RELAY_DISPATCH_ENABLED", "false");
      env.put("RELAY_TRACKING_FLUSH_MS", "3600000");
      String key = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme").stdout().trim();
      TrackingTokens tokens = TrackingTokens.fromSetting("");
      int total = 600;
      Set<Integer> answered = ConcurrentHashMap.newKeySet();
      try (GatewayProcess gateway = GatewayProcess.serve(env)) {
        assertThat(gateway.post("/v1/batches", key, null, Batches.batch("durable", "d", 10).encode()).statusCode())
          .isEqualTo(202);
        List<Long> messages = new ArrayList<>();
        try (Connection c = database.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id FROM messages ORDER BY id")) {
          while (rs.next()) {
            messages.add(rs.getLong(1));
          }
        }
        assertThat(messages).hasSize(10);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        CountDownLatch half = new CountDownLatch(total / 2);
        List<CompletableFuture<?>> calls = new ArrayList<>();
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(32);
        for (int i = 0; i < total; i++) {
          inFlight.acquire();
          if (i == total * 2 / 3) {
            // Killed while hits are in flight, some answered a moment before.
            gateway.kill();
            break;
          }
          long message = messages.get(i % messages.size());
          int n = i;
          String path = i % 3 == 0 ? "/t/o/" + tokens.open(message)
            : "/t/c/" + tokens.click(message, "https://shop.example.com/n/" + i);
          calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
              .header("User-Agent", TrackingTest.CHROME).header("X-Hit", Integer.toString(n)).build(),
              HttpResponse.BodyHandlers.discarding())
            .whenComplete((response, error) -> {
              inFlight.release();
              if (response != null && (response.statusCode() == 200 || response.statusCode() == 302)) {
                answered.add(n);
              }
              outcomes.merge(response != null ? Integer.toString(response.statusCode())
                : error.getClass().getSimpleName(), 1, Integer::sum);
              half.countDown();
            }));
        }
        assertThat(half.await(60, TimeUnit.SECONDS)).isTrue();
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).handle((v, e) -> null).join();
        assertThat(answered.size()).as("answered before the kill: %s", outcomes).isGreaterThanOrEqualTo(total / 2);
        assertThat(database.count("SELECT count(*) FROM events WHERE type IN ('opened', 'clicked')"))
          .as("nothing written to PostgreSQL before the kill: the restart has to replay the journal").isZero();
      }

      env.put("RELAY_TRACKING_FLUSH_MS", "100");
      GatewayProcess restarted = GatewayProcess.serve(env);
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (database.count("SELECT count(*) FROM events WHERE type IN ('opened', 'clicked')") < answered.size()) {
          assertThat(System.nanoTime()).as("the journal replayed").isLessThan(deadline);
          Thread.sleep(100);
        }
        Thread.sleep(500);
      } finally {
        restarted.close();
      }
      Set<String> written = new HashSet<>();
      long opens = 0;
      try (Connection c = database.connect(); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT type, data->>'link' FROM events WHERE type IN ('opened', 'clicked')")) {
        while (rs.next()) {
          if ("opened".equals(rs.getString(1))) {
            opens++;
          } else {
            assertThat(written.add(rs.getString(2))).as("written once: %s", rs.getString(2)).isTrue();
          }
        }
      }
      long answeredOpens = answered.stream().filter(n -> n % 3 == 0).count();
      for (int n : answered) {
        if (n % 3 != 0) {
          assertThat(written).as("answered click %d written", n).contains("https://shop.example.com/n/" + n);
        }
      }
      assertThat(opens).as("opens written: every answered one, and none twice").isGreaterThanOrEqualTo(answeredOpens);
      assertThat(database.count("SELECT count(*) - count(DISTINCT data->>'hit') FROM events WHERE data ? 'hit'"))
        .isZero();
      assertThat(written.size() + opens).isLessThanOrEqualTo(total);
      System.out.printf("tracking durability: %d of %d hits answered before kill -9; %d written after restart%n",
        answered.size(), total, written.size() + opens);
    }
  }
}
