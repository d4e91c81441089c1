package dev.relay.gateway.throttle;

import dev.relay.adapters.testkit.Fault;
import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.PrivateRedis;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Throttling through a whole gateway, against a Redis of the test's own (which it stops and starts)
 * and a sandbox provider run by the test, so that what arrives there is counted in one place.
 */
@DisplayName("Throttling: quiet hours, frequency caps, adaptive account rates, Redis outages")
class ThrottleTest {

  private static Vertx vertx;
  private static SandboxServer sandbox;
  private static PrivateRedis redis;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    sandbox = await(SandboxServer.start(vertx, "127.0.0.1", 0));
    redis = PrivateRedis.start();
  }

  @AfterAll
  static void stop() throws Exception {
    redis.close();
    await(sandbox.close());
    await(vertx.close());
  }

  @BeforeEach
  void reset() {
    sandbox.reset();
  }

  private static TestGateway gateway(JsonObject accountExtras, Map<Setting, String> settings) {
    JsonObject account = new JsonObject().put("name", "sandbox-email").put("adapter", "sandbox-email")
      .put("settings", new JsonObject().put("url", sandbox.url()).put("timeout-ms", 5000)).mergeIn(accountExtras);
    JsonObject sms = new JsonObject().put("name", "sandbox-sms").put("adapter", "sandbox-sms")
      .put("settings", new JsonObject().put("url", sandbox.url()));
    Map<Setting, String> all = new EnumMap<>(Setting.class);
    all.put(Setting.REDIS_URI, redis.uri());
    all.put(Setting.DISPATCH_BACKOFF_BASE_MS, "200");
    all.put(Setting.DISPATCH_BACKOFF_MAX_MS, "1000");
    all.put(Setting.THROTTLE_REDIS_RETRY_MS, "300");
    all.putAll(settings);
    return TestGateway.withAccounts(new JsonArray().add(account).add(sms), all);
  }

  private static void eventually(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + seconds + " s: " + what);
      }
      Thread.sleep(50);
    }
  }

  private static JsonObject recipient(String id, String timeZone) {
    return Batches.recipient(id).put("time_zone", timeZone)
      .put("addresses", new JsonObject().put("email", id + "@example.com").put("sms", "+905551234567"));
  }

  private static void post(TestGateway gateway, String key, JsonObject batch) {
    assertThat(gateway.postBatch(key, null, batch).statusCode()).isEqualTo(202);
  }

  private static String one(TestGateway gateway, String sql) {
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (Exception e) {
      throw new IllegalStateException(sql, e);
    }
  }

  private static double effectiveRate(TestGateway gateway) {
    String text = await(gateway.get("/metrics", null).send()).bodyAsString();
    for (String line : text.split("\n")) {
      if (line.startsWith("relay_throttle_effective_rate{") && line.contains("account=\"sandbox-email\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no effective rate of sandbox-email in the metrics");
  }

  private static double deferred(TestGateway gateway, String reason) {
    String text = await(gateway.get("/metrics", null).send()).bodyAsString();
    for (String line : text.split("\n")) {
      if (line.startsWith("relay_throttle_deferred_total{") && line.contains("reason=\"" + reason + "\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no relay_throttle_deferred_total for " + reason);
  }

  @Test
  @DisplayName("a marketing message inside its recipient's quiet hours waits until the window ends; transactional "
    + "and a recipient in another zone go out")
  void quietHours() throws Exception {
    ZoneId istanbul = ZoneId.of("Europe/Istanbul");
    Instant now = Instant.now();
    DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("HH:mm").withZone(istanbul);
    String window = hhmm.format(now.minus(Duration.ofHours(1))) + "-" + hhmm.format(now.plus(Duration.ofHours(1)));
    try (TestGateway gateway = gateway(new JsonObject(), Map.of(Setting.THROTTLE_QUIET_HOURS, window))) {
      String key = gateway.apiKey("acme");
      post(gateway, key, Batches.envelope("night").put("recipients", new JsonArray()
        .add(recipient("in-istanbul", "Europe/Istanbul")).add(recipient("in-alaska", "Etc/GMT+9"))));
      post(gateway, key, Batches.envelope("receipts").put("priority", "transactional")
        .put("recipients", new JsonArray().add(recipient("tx-istanbul", "Europe/Istanbul"))));
      eventually("the transactional and the Alaskan message arrive", 20, () -> sandbox.uniqueCount() == 2);
      eventually("the Istanbul message is deferred", 20, () -> "retry".equals(
        one(gateway, "SELECT state FROM messages WHERE recipient_id = 'in-istanbul'")));
      assertThat(sandbox.receipts()).extracting(SandboxServer.Receipt::recipientId)
        .containsExactlyInAnyOrder("in-alaska", "tx-istanbul");
      Instant due = Instant.parse(one(gateway, "SELECT to_char(due_at AT TIME ZONE 'UTC', "
        + "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM messages WHERE recipient_id = 'in-istanbul'"));
      Instant end = now.plus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
      assertThat(Duration.between(end, due).abs()).isLessThan(Duration.ofSeconds(90));
      assertThat(one(gateway, "SELECT attempt FROM messages WHERE recipient_id = 'in-istanbul'")).isEqualTo("0");
      assertThat(deferred(gateway, "quiet_hours")).isEqualTo(1.0);
    }
  }

  @Test
  @DisplayName("frequency caps count marketing messages per recipient across channels: over the cap a message "
    + "ends capped naming the rule, or waits when its batch says defer; transactional ones are exempt")
  void caps() throws Exception {
    try (TestGateway gateway = gateway(new JsonObject(), Map.of(Setting.THROTTLE_CAPS, "5/1h,2/1d"))) {
      String key = gateway.apiKey("acme");
      JsonObject r = recipient("ayse", "Europe/Istanbul");
      post(gateway, key, Batches.envelope("one").put("recipients", new JsonArray().add(r)));
      eventually("the first arrives", 20, () -> sandbox.uniqueCount() == 1);
      post(gateway, key, Batches.envelope("two").put("channels", new JsonArray().add("sms"))
        .put("recipients", new JsonArray().add(r)));
      eventually("the second arrives, by SMS", 20, () -> sandbox.uniqueCount() == 2);
      post(gateway, key, Batches.envelope("three").put("recipients", new JsonArray().add(r)));
      post(gateway, key, Batches.envelope("four").put("on_cap", "defer").put("recipients", new JsonArray().add(r)));
      post(gateway, key, Batches.envelope("five").put("priority", "transactional")
        .put("recipients", new JsonArray().add(r)));
      eventually("the third ends capped", 20, () -> "1".equals(
        one(gateway, "SELECT count(*) FROM messages WHERE state = 'capped'")));
      eventually("the transactional one arrives", 20, () -> sandbox.uniqueCount() == 3);
      eventually("the fourth waits", 20, () -> "1".equals(one(gateway,
        "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = 'four' "
          + "AND m.state = 'retry' AND m.due_at > now() + interval '23 hours'")));
      assertThat(one(gateway, "SELECT last_error FROM messages WHERE state = 'capped'")).contains("2/1d");
      assertThat(one(gateway, "SELECT reason FROM events WHERE type = 'capped'")).contains("2/1d");
      assertThat(deferred(gateway, "frequency_cap")).isEqualTo(1.0);
      Thread.sleep(500);
      assertThat(sandbox.uniqueCount()).isEqualTo(3);
      JsonObject status = await(gateway.get("/v1/batches/" + one(gateway,
        "SELECT b.id FROM batches b JOIN campaigns c ON c.id = b.campaign_id WHERE c.name = 'three'"), key).send())
        .bodyAsJsonObject();
      assertThat(status.getJsonObject("states").getInteger("capped")).isEqualTo(1);
      assertThat(status.getString("on_cap")).isEqualTo("skip");
    }
  }

  @Test
  @DisplayName("caps of many recipients checked together: each recipient's own count decides, whichever of a "
    + "tenant's hash tags it shares with others")
  void capsOfManyRecipients() throws Exception {
    try (TestGateway gateway = gateway(new JsonObject(), Map.of(Setting.THROTTLE_CAPS, "1/1h"))) {
      String key = gateway.apiKey("acme");
      JsonArray first = new JsonArray();
      for (int i = 0; i < 300; i++) {
        first.add(recipient("many-" + i, "UTC"));
      }
      post(gateway, key, Batches.envelope("first").put("recipients", first));
      eventually("all of the first batch arrive", 30, () -> sandbox.uniqueCount() == 300);
      // The even ones again, with 150 new ones among them: the even ones are full, the new ones are not.
      JsonArray second = new JsonArray();
      for (int i = 0; i < 300; i += 2) {
        second.add(recipient("many-" + i, "UTC"));
        second.add(recipient("new-" + i, "UTC"));
      }
      post(gateway, key, Batches.envelope("second").put("recipients", second));
      eventually("the second batch is done", 30, () -> "0".equals(one(gateway,
        "SELECT count(*) FROM messages WHERE state IN ('queued', 'sending', 'retry')")));
      assertThat(one(gateway, "SELECT count(*) FROM messages WHERE state = 'capped' AND recipient_id LIKE 'many-%'"))
        .isEqualTo("150");
      assertThat(one(gateway, "SELECT count(*) FROM messages WHERE state = 'capped' AND recipient_id NOT LIKE 'many-%'"))
        .isEqualTo("0");
      assertThat(one(gateway, "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id "
        + "WHERE c.name = 'second' AND m.state = 'sent' AND m.recipient_id LIKE 'new-%'")).isEqualTo("150");
      assertThat(sandbox.uniqueCount()).isEqualTo(450);
    }
  }

  @Test
  @DisplayName("a provider's 429 halves the account's effective rate for every instance, and it climbs back while "
    + "the provider accepts; every message arrives once")
  void adaptiveRate() throws Exception {
    try (TestGateway gateway = gateway(new JsonObject().put("rate", 200).put("burst", 20),
      Map.of(Setting.THROTTLE_RECOVERY_PERCENT, "10"))) {
      String key = gateway.apiKey("acme");
      assertThat(effectiveRate(gateway)).isEqualTo(200.0);
      sandbox.inject(Fault.throttle(Duration.ofMillis(100)).forPeriod(Duration.ofMillis(1500)));
      post(gateway, key, Batches.batch("adaptive", "a", 1500));
      eventually("the rate is cut", 10, () -> effectiveRate(gateway) < 150);
      double lowest = effectiveRate(gateway);
      assertThat(lowest).isGreaterThanOrEqualTo(10.0);
      eventually("every message arrives", 60, () -> sandbox.uniqueCount() == 1500);
      eventually("the rate climbs back to the configured one", 30, () -> effectiveRate(gateway) == 200.0);
      assertThat(sandbox.duplicateCount()).isZero();
      eventually("every message is recorded sent", 15, () -> "0".equals(
        one(gateway, "SELECT count(*) FROM messages WHERE state <> 'sent'")));
    }
  }

  @Test
  @DisplayName("Redis restarted mid-campaign: sends wait (redis_unavailable) and resume by themselves, nothing is "
    + "lost, sent twice or sent above the limit; intake keeps accepting")
  void redisRestart() throws Exception {
    int rate = 200;
    int burst = 20;
    int total = 3000;
    try (TestGateway gateway = gateway(new JsonObject().put("rate", rate).put("burst", burst), Map.of())) {
      String key = gateway.apiKey("acme");
      post(gateway, key, Batches.batch("restart", "r", total / 2));
      eventually("sending is under way", 20, () -> sandbox.uniqueCount() > 300);
      redis.stop();
      try {
        post(gateway, key, Batches.batch("restart", "s", total / 2));
        Thread.sleep(1500);
        int during = sandbox.uniqueCount();
        Thread.sleep(1500);
        assertThat(sandbox.uniqueCount()).as("nothing is sent while Redis is down").isEqualTo(during);
        assertThat(deferred(gateway, "redis_unavailable")).isPositive();
      } finally {
        redis.startAgain();
      }
      eventually("every message arrives", 90, () -> sandbox.uniqueCount() == total);
      assertThat(sandbox.duplicateCount()).isZero();
      eventually("every message is recorded sent", 15, () -> "0".equals(
        one(gateway, "SELECT count(*) FROM messages WHERE state <> 'sent'")));
      TreeMap<Long, Integer> perSecond = new TreeMap<>();
      sandbox.receipts().forEach(r -> perSecond.merge(r.receivedAt().toEpochMilli() / 1000, 1, Integer::sum));
      // Sliding one-second windows, in steps of 100 ms.
      long first = sandbox.receipts().get(0).receivedAt().toEpochMilli();
      long last = sandbox.receipts().get(total - 1).receivedAt().toEpochMilli();
      for (long start = first; start <= last; start += 100) {
        long from = start;
        long n = sandbox.receipts().stream().filter(r -> r.receivedAt().toEpochMilli() >= from
          && r.receivedAt().toEpochMilli() < from + 1000).count();
        // A Redis restart forgets the buckets: at most one more burst right after it.
        assertThat(n).as("messages in the second from %d", from).isLessThanOrEqualTo(rate + 2L * burst);
      }
    }
  }
}
