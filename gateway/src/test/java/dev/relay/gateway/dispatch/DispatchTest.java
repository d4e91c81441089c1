package dev.relay.gateway.dispatch;

import dev.relay.adapters.testkit.Fault;
import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Dispatch through the sandbox provider")
class DispatchTest {

  private TestGateway gateway;

  @AfterEach
  void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
  }

  private static Map<Setting, String> fastRetries() {
    Map<Setting, String> settings = new HashMap<>();
    settings.put(Setting.DISPATCH_BACKOFF_BASE_MS, "100");
    settings.put(Setting.DISPATCH_BACKOFF_MAX_MS, "400");
    settings.put(Setting.DISPATCH_SEND_TIMEOUT_MS, "1000");
    settings.put(Setting.DISPATCH_BREAKER_RESET_MS, "300");
    settings.put(Setting.DISPATCH_MAX_ATTEMPTS, "30");
    return settings;
  }

  private long count(String where) {
    return gateway.database().count("SELECT count(*) FROM messages WHERE " + where);
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

  private String post(String key, JsonObject batch) {
    HttpResponse<Buffer> response = gateway.postBatch(key, null, batch);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(202);
    return response.bodyAsJsonObject().getString("batch_id");
  }

  @Test
  @DisplayName("10,000 messages: each arrives at the provider exactly once and all end sent")
  void tenThousandExactlyOnce() throws Exception {
    gateway = TestGateway.start();
    String key = gateway.apiKey("acme");
    for (int i = 0; i < 10; i++) {
      post(key, Batches.batch("ten-k", "b" + i, 1000));
    }

    eventually("all 10,000 sent", 120, () -> count("state = 'sent'") == 10_000);

    SandboxServer sandbox = gateway.sandbox();
    assertThat(sandbox.receivedCount()).isEqualTo(10_000);
    assertThat(sandbox.uniqueCount()).isEqualTo(10_000);
    assertThat(sandbox.duplicateCount()).isZero();
    assertThat(sandbox.requestCount()).as("messages go to the provider in batches, not one call each")
      .isLessThan(1000);
    assertThat(count("state <> 'sent'")).isZero();
    assertThat(count("provider_message_id IS NULL")).isZero();
    assertThat(count("sent_at IS NOT NULL")).isEqualTo(10_000);
    assertThat(gateway.database().count("SELECT coalesce(sum(n), 0) FROM campaign_counters WHERE metric = 'sent'"))
      .as("each send recorded once").isEqualTo(10_000);
    SandboxServer.Receipt first = sandbox.receipts().get(0);
    assertThat(first.channel()).isEqualTo("email");
    // Rendered from the shipped welcome template in the recipient's locale (tr-TR → tr), tracking applied.
    assertThat(first.locale()).isEqualTo("tr-TR");
    assertThat(first.content().getString("subject")).isEqualTo("Acme'a hoş geldin, Ayşe!");
    assertThat(first.content().getString("html")).contains("<h1>Hoş geldin, Ayşe!</h1>").contains("/t/o/");
    assertThat(first.content().getString("list_unsubscribe")).contains("/u/");
  }

  @Test
  @DisplayName("429s, 5xx, timeouts and resets for a while: every message still arrives, retried with backoff; "
    + "permanent errors end failed with their reason; nothing is left sending")
  void faultsAreRetried() throws Exception {
    gateway = TestGateway.start(fastRetries());
    String key = gateway.apiKey("acme");
    SandboxServer sandbox = gateway.sandbox();
    sandbox.inject(Fault.throttle(Duration.ofMillis(200)).share(0.3).forPeriod(Duration.ofSeconds(3)));
    sandbox.inject(Fault.status(503).share(0.3).forPeriod(Duration.ofSeconds(3)));
    sandbox.inject(Fault.timeout().share(0.1).forPeriod(Duration.ofSeconds(3)));
    sandbox.inject(Fault.reset().share(0.1).forPeriod(Duration.ofSeconds(3)));
    JsonObject batch = Batches.batch("faults", "f", 500);
    for (int i = 0; i < 5; i++) {
      batch.getJsonArray("recipients").add(new JsonObject().put("id", "rejected-" + i)
        .put("addresses", new JsonObject().put("email", "reject-" + i + "@example.com")));
    }
    String batchId = post(key, batch);

    eventually("every message settled", 90, () -> count("batch_id = '" + batchId + "' AND state IN ('sent', 'failed')") == 505);

    assertThat(count("state = 'sent'")).isEqualTo(500);
    assertThat(sandbox.uniqueCount()).isEqualTo(500);
    assertThat(count("state = 'failed' AND last_error = 'sandbox rejects this address'")).isEqualTo(5);
    assertThat(gateway.database().count("SELECT count(*) FROM events WHERE type = 'retry'")).isPositive();
    assertThat(count("state = 'sending'")).isZero();
    assertThat(sandbox.requestCount()).isGreaterThan(sandbox.uniqueCount() / 50);
  }

  @Test
  @DisplayName("a recipient without an address on the first channel is sent on the next; a permanent failure "
    + "fails over to the next channel, and without one the message fails")
  void channelFallback() throws Exception {
    gateway = TestGateway.start();
    String key = gateway.apiKey("acme");
    JsonArray recipients = new JsonArray()
      .add(new JsonObject().put("id", "no-push").put("addresses", new JsonObject()
        .put("sms", "+905551234567").put("email", "a@example.com")))
      .add(new JsonObject().put("id", "bad-email").put("addresses", new JsonObject()
        .put("email", "reject-me@example.com").put("sms", "+905551234568")))
      .add(new JsonObject().put("id", "only-bad-email").put("addresses", new JsonObject()
        .put("email", "reject-too@example.com")));
    post(key, Batches.envelope("fallback").put("channels", new JsonArray().add("push").add("email").add("sms"))
      .put("recipients", recipients));

    eventually("all settled", 30, () -> count("state IN ('sent', 'failed')") == 3);

    Map<String, String> channelByRecipient = gateway.sandbox().receipts().stream()
      .collect(Collectors.toMap(SandboxServer.Receipt::recipientId, SandboxServer.Receipt::channel));
    assertThat(channelByRecipient).containsOnly(Map.entry("no-push", "email"), Map.entry("bad-email", "sms"));
    assertThat(count("recipient_id = 'bad-email' AND state = 'sent' AND channel = 'sms'")).isEqualTo(1);
    assertThat(count("recipient_id = 'only-bad-email' AND state = 'failed'")).isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM events WHERE type = 'failover'")).isEqualTo(1);
  }

  @Test
  @DisplayName("a paused campaign sends nothing until it is resumed; GET /v1/messages/{id} shows the history")
  void pauseAndResume() throws Exception {
    gateway = TestGateway.start();
    String key = gateway.apiKey("acme");
    HttpResponse<Buffer> paused = await(gateway.get("/v1/campaigns/spring/pause", key).send());
    assertThat(paused.statusCode()).as("GET is not a route").isEqualTo(404);
    paused = await(gateway.post("/v1/campaigns/spring/pause", key).send());
    assertThat(paused.statusCode()).isEqualTo(404);
    assertThat(paused.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:campaign-not-found");

    post(key, Batches.batch("spring", "warm", 1));
    eventually("the first message sent", 30, () -> count("state = 'sent'") == 1);
    // As an operator would, with no body and no Content-Type.
    paused = await(gateway.get("/v1/campaigns/spring/pause", null).method(io.vertx.core.http.HttpMethod.POST)
      .putHeader("Authorization", "Bearer " + key).send());
    assertThat(paused.statusCode()).as(paused.bodyAsString()).isEqualTo(200);
    assertThat(paused.bodyAsJsonObject().getString("status")).isEqualTo("paused");
    post(key, Batches.batch("spring", "held", 50));
    Thread.sleep(1000);
    assertThat(count("state = 'queued'")).isEqualTo(50);
    assertThat(gateway.sandbox().receivedCount()).isEqualTo(1);

    HttpResponse<Buffer> resumed = await(gateway.post("/v1/campaigns/spring/resume", key).send());
    assertThat(resumed.bodyAsJsonObject().getString("status")).isEqualTo("active");
    eventually("all sent after resume", 30, () -> count("state = 'sent'") == 51);

    long id = gateway.database().count("SELECT id FROM messages WHERE recipient_id = 'warm-0'");
    JsonObject message = await(gateway.get("/v1/messages/" + id, key).send()).bodyAsJsonObject();
    assertThat(message.getString("state")).isEqualTo("sent");
    assertThat(message.getInteger("attempts")).isEqualTo(1);
    assertThat(message.getString("channel")).isEqualTo("email");
    assertThat(message.getString("account")).isEqualTo("sandbox-email");
    assertThat(message.getString("provider_message_id")).startsWith("sbx_");
    // Accepted while the campaign was active: stored leased to the dispatcher and handed over, no claim.
    assertThat(eventTypes(message)).containsExactly("sent");
    long held = gateway.database().count("SELECT id FROM messages WHERE recipient_id = 'held-0'");
    JsonObject heldMessage = await(gateway.get("/v1/messages/" + held, key).send()).bodyAsJsonObject();
    // Accepted while paused: queued (above), then claimed after the resume; a claim writes no event row.
    assertThat(eventTypes(heldMessage)).containsExactly("sent");
    assertThat(heldMessage.getInteger("attempts")).isEqualTo(1);
    String other = gateway.apiKey("globex");
    assertThat(await(gateway.get("/v1/messages/" + id, other).send()).statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("with the handoff off, intake queues every batch and the dispatcher claims each message")
  void withoutHandoffEveryMessageIsClaimed() throws Exception {
    Map<Setting, String> settings = new HashMap<>();
    settings.put(Setting.DISPATCH_HANDOFF, "false");
    gateway = TestGateway.start(settings);
    watchClaims();
    String key = gateway.apiKey("acme");
    post(key, Batches.batch("claimed", "c", 300));
    eventually("all sent", 30, () -> count("state = 'sent'") == 300);
    assertThat(gateway.database().count("SELECT count(DISTINCT message_id) FROM claims_seen")).isEqualTo(300);
    assertThat(gateway.database().count("SELECT count(*) FROM claims_seen")).as("each claimed once").isEqualTo(300);
    assertThat(count("attempt = 1")).isEqualTo(300);
    assertThat(gateway.sandbox().uniqueCount()).isEqualTo(300);
    assertThat(gateway.sandbox().receivedCount()).isEqualTo(300);
  }

  @Test
  @DisplayName("with the handoff on, a due batch is sent without a claim; a batch for later is queued and claimed")
  void handoffSendsDueBatchesAtOnce() throws Exception {
    gateway = TestGateway.start();
    watchClaims();
    String key = gateway.apiKey("acme");
    post(key, Batches.batch("now", "n", 300));
    post(key, Batches.batch("later", "l", 5).put("send_at", java.time.OffsetDateTime.now().plusSeconds(2).toString()));
    eventually("all sent", 30, () -> count("state = 'sent'") == 305);
    assertThat(gateway.database().count("SELECT count(*) FROM claims_seen c JOIN messages m ON m.id = c.message_id "
      + "WHERE m.recipient_id LIKE 'n-%'")).isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM claims_seen c JOIN messages m ON m.id = c.message_id "
      + "WHERE m.recipient_id LIKE 'l-%'")).isEqualTo(5);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE attempt <> 1")).isZero();
    assertThat(gateway.sandbox().receivedCount()).isEqualTo(305);
    assertThat(gateway.sandbox().uniqueCount()).isEqualTo(305);
  }

  /**
   * Notes in claims_seen every message a claim takes: the claim is the only statement that deletes queue rows
   * (and, since V22, writes no event of its own).
   */
  private void watchClaims() throws Exception {
    try (var c = gateway.database().connect(); var st = c.createStatement()) {
      st.execute("CREATE TABLE claims_seen (message_id bigint NOT NULL)");
      st.execute("CREATE FUNCTION claims_seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + "INSERT INTO claims_seen SELECT message_id FROM taken; RETURN NULL; END $$");
      st.execute("CREATE TRIGGER claims_seen AFTER DELETE ON message_queue REFERENCING OLD TABLE AS taken "
        + "FOR EACH STATEMENT EXECUTE FUNCTION claims_seen()");
    }
  }

  private static List<String> eventTypes(JsonObject message) {
    return message.getJsonArray("events").stream()
      .map(e -> ((JsonObject) e).getString("type")).collect(Collectors.toList());
  }

  @Test
  @DisplayName("a campaign whose messages keep failing permanently pauses itself")
  void autoPause() throws Exception {
    Map<Setting, String> settings = new HashMap<>();
    settings.put(Setting.DISPATCH_PAUSE_WINDOW, "20");
    settings.put(Setting.DISPATCH_PAUSE_FAILURE_PERCENT, "50");
    settings.put(Setting.DISPATCH_CLAIM_BATCH, "10");
    settings.put(Setting.DISPATCH_SEND_BATCH, "5");
    settings.put(Setting.DISPATCH_MAX_IN_FLIGHT, "5");
    gateway = TestGateway.start(settings);
    String key = gateway.apiKey("acme");
    JsonArray recipients = new JsonArray();
    for (int i = 0; i < 2000; i++) {
      recipients.add(new JsonObject().put("id", "r" + i).put("addresses", new JsonObject()
        .put("email", "reject-" + i + "@example.com")));
    }
    post(key, Batches.envelope("bad-list").put("recipients", recipients));

    eventually("the campaign paused", 30, () -> gateway.database()
      .count("SELECT count(*) FROM campaigns WHERE name = 'bad-list' AND status = 'paused'") == 1);
    Thread.sleep(500);
    long failed = count("state = 'failed'");
    assertThat(failed).isBetween(20L, 500L);
    assertThat(count("state = 'queued'")).isGreaterThanOrEqualTo(1500);
  }

  @Test
  @DisplayName("a message whose lease expired (its instance died) is reclaimed and sent; the dead instance's late "
    + "outcome changes nothing")
  void expiredLeaseIsReclaimed() throws Exception {
    Map<Setting, String> settings = new HashMap<>();
    settings.put(Setting.DISPATCH_LEASE_SECONDS, "4");
    gateway = TestGateway.start(settings);
    String key = gateway.apiKey("acme");
    post(key, Batches.batch("lease", "l", 1));
    eventually("sent", 30, () -> count("state = 'sent'") == 1);
    // As if another instance had claimed it (attempt 2) under a lease of its own and died before recording
    // anything: the reclaim finds it by its expired lease.
    try (var c = gateway.database().connect(); var st = c.createStatement()) {
      st.execute("WITH lease AS (INSERT INTO message_leases (lease_until, first_id, open, message_ids, instance)"
        + " SELECT now() - interval '1 second', id, 1, ARRAY[id], 'dead' FROM messages RETURNING id)"
        + " UPDATE messages SET state = 'sending', attempt = 2, lease_until = now() - interval '1 second',"
        + " lease_id = (SELECT id FROM lease)");
    }

    eventually("reclaimed and sent again", 30, () -> count("state = 'sent' AND attempt = 3") == 1);

    assertThat(gateway.database().count("SELECT count(*) FROM events WHERE type = 'lease_expired'")).isEqualTo(1);
    assertThat(gateway.sandbox().receivedCount()).isEqualTo(2);
    assertThat(gateway.sandbox().uniqueCount()).isEqualTo(1);
  }

  @Test
  @DisplayName("graceful shutdown stops claiming, finishes or releases what is in flight, and leaves nothing sending")
  void gracefulShutdown() throws Exception {
    Map<Setting, String> settings = new HashMap<>();
    settings.put(Setting.DISPATCH_MAX_IN_FLIGHT, "10");
    settings.put(Setting.DISPATCH_SEND_BATCH, "5");
    settings.put(Setting.DISPATCH_SHUTDOWN_GRACE_SECONDS, "5");
    try (TestDatabase database = TestDatabase.fresh()) {
      gateway = TestGateway.restart(database, settings);
      String key = gateway.apiKey("acme");
      gateway.sandbox().inject(Fault.slow(Duration.ofMillis(300)));
      post(key, Batches.batch("shutdown", "s", 400));
      eventually("some sent", 30, () -> count("state = 'sent'") >= 20);

      gateway.stop();

      assertThat(count("state = 'sending'")).isZero();
      long sent = count("state = 'sent'");
      assertThat(sent).isLessThan(400);
      assertThat(count("state IN ('queued', 'retry')")).isEqualTo(400 - sent);
      assertThat(gateway.sandbox().uniqueCount()).isEqualTo((int) sent);
      assertThat(database.count("SELECT count(*) FROM events WHERE type = 'released'")).isPositive();
      gateway.close();

      gateway = TestGateway.restart(database, Map.of());
      eventually("the rest sent after restart", 60, () -> count("state = 'sent'") == 400);
      assertThat(gateway.sandbox().uniqueCount()).isEqualTo(400 - (int) sent);
      assertThat(gateway.sandbox().duplicateCount()).isZero();
      gateway.close();
      gateway = null;
    }
  }
}
