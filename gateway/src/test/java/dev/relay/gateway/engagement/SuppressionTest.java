package dev.relay.gateway.engagement;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Suppression list: the API, and dispatch sending nothing to a suppressed address")
class SuppressionTest {

  private static TestGateway gateway;
  private static String key;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start();
    key = gateway.apiKey("acme");
    gateway.putTemplate(key, "welcome", Batches.echoTemplate());
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static HttpResponse<Buffer> add(String channel, String address) {
    return await(gateway.post("/v1/suppressions", key)
      .sendJsonObject(new JsonObject().put("channel", channel).put("address", address)));
  }

  @Test
  @DisplayName("a suppressed email falls back to SMS, a suppressed phone to email, and both suppressed ends "
    + "'suppressed' with nothing sent on any channel")
  void suppressedAddressesReceiveNothing() throws Exception {
    assertThat(add("email", "both@example.com").statusCode()).isEqualTo(201);
    assertThat(add("sms", "+905550000003").statusCode()).isEqualTo(201);
    assertThat(add("email", "mail-off@example.com").statusCode()).isEqualTo(201);
    assertThat(add("sms", "+905550000002").statusCode()).isEqualTo(201);
    JsonObject content = new JsonObject().put("subject", "Hi").put("text", "Hi").put("html", "<p>Hi</p>");
    JsonArray recipients = new JsonArray()
      .add(new JsonObject().put("id", "mail-off").put("variables", content).put("addresses", new JsonObject()
        .put("email", "mail-off@example.com").put("sms", "+905550000001")))
      .add(new JsonObject().put("id", "sms-off").put("variables", content).put("addresses", new JsonObject()
        .put("sms", "+905550000002").put("email", "sms-off@example.com")))
      .add(new JsonObject().put("id", "both").put("variables", content).put("addresses", new JsonObject()
        .put("email", "both@example.com").put("sms", "+905550000003")));
    assertThat(gateway.postBatch(key, null, Batches.envelope("suppressed")
      .put("channels", new JsonArray().add("email").add("sms")).put("recipients", recipients)).statusCode())
      .isEqualTo(202);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (gateway.database().count("SELECT count(*) FROM messages WHERE state IN ('sent', 'suppressed')") < 3) {
      assertThat(System.nanoTime()).as("all three ended within 30 s").isLessThan(deadline);
      Thread.sleep(50);
    }
    Thread.sleep(200);
    List<String> arrived = new ArrayList<>();
    for (SandboxServer.Receipt r : gateway.sandbox().receipts()) {
      arrived.add(r.recipientId() + " " + r.channel() + " " + r.address());
    }
    assertThat(arrived).containsExactlyInAnyOrder("mail-off sms +905550000001", "sms-off email sms-off@example.com");
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = 'both'"
      + " AND state = 'suppressed' AND last_error LIKE '%email (manual)%' AND last_error LIKE '%sms (manual)%'"))
      .isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id"
      + " WHERE m.recipient_id = 'both' AND e.type = 'suppressed'")).isEqualTo(1);
    JsonObject stats = await(gateway.get("/v1/campaigns/suppressed/stats", key).send()).bodyAsJsonObject();
    assertThat(stats.getJsonObject("total").getLong("suppressed")).isEqualTo(1);
    assertThat(stats.getJsonObject("total").getLong("sent")).isEqualTo(2);
    assertThat(stats.getJsonObject("channels").getJsonObject("sms").getLong("sent")).isEqualTo(1);
    assertThat(stats.getJsonObject("channels").getJsonObject("email").getLong("sent")).isEqualTo(1);
    assertThat(stats.getJsonObject("channels").getJsonObject("email").getLong("accepted")).isEqualTo(3);
  }

  @Test
  @DisplayName("POST adds once (201, then 200), GET pages through entries added in the same instant without "
    + "skipping any and filters by channel, DELETE lifts (404 when absent), bad input is 422 or 400 and stores nothing")
  void api() throws Exception {
    String other = gateway.apiKey("pager");
    try (var c = gateway.database().connect(); var s = c.createStatement()) {
      s.execute("INSERT INTO suppressions (tenant_id, channel, address, reason, created_at)"
        + " SELECT t.id, 'push', 'token-' || i, 'manual', '2026-01-01T00:00:00Z'"
        + " FROM tenants t, generate_series(1, 5) i WHERE t.name = 'pager'");
    }
    HttpResponse<Buffer> first = await(gateway.post("/v1/suppressions", other)
      .sendJsonObject(new JsonObject().put("channel", "email").put("address", "x@example.com")));
    assertThat(first.statusCode()).isEqualTo(201);
    HttpResponse<Buffer> again = await(gateway.post("/v1/suppressions", other)
      .sendJsonObject(new JsonObject().put("channel", "email").put("address", "x@example.com")));
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.bodyAsJsonObject().getBoolean("created")).isFalse();

    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      var request = gateway.get("/v1/suppressions", other).addQueryParam("limit", "2");
      if (after != null) {
        request.addQueryParam("after", after);
      }
      JsonObject page = await(request.send()).bodyAsJsonObject();
      page.getJsonArray("suppressions").forEach(e -> seen.add(((JsonObject) e).getString("address")));
      after = page.getString("next");
      pages++;
    } while (after != null && pages < 10);
    assertThat(seen).containsExactly("x@example.com", "token-5", "token-4", "token-3", "token-2", "token-1");
    JsonObject push = await(gateway.get("/v1/suppressions?channel=email", other).send()).bodyAsJsonObject();
    assertThat(push.getJsonArray("suppressions")).hasSize(1);

    long before = gateway.database().count("SELECT count(*) FROM suppressions");
    for (JsonObject bad : List.of(new JsonObject().put("channel", "pigeon").put("address", "x"),
      new JsonObject().put("channel", "email"), new JsonObject().put("channel", "email").put("address", "  "))) {
      HttpResponse<Buffer> response = await(gateway.post("/v1/suppressions", other).sendJsonObject(bad));
      assertThat(response.statusCode()).as(bad.encode()).isEqualTo(422);
    }
    assertThat(await(gateway.get("/v1/suppressions?after=garbage", other).send()).statusCode()).isEqualTo(400);
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions")).isEqualTo(before);

    HttpResponse<Buffer> lifted = await(gateway.get("/v1/suppressions", other).method(HttpMethod.DELETE)
      .addQueryParam("channel", "email").addQueryParam("address", "x@example.com").send());
    assertThat(lifted.statusCode()).isEqualTo(200);
    assertThat(lifted.bodyAsJsonObject().getString("reason")).isEqualTo("manual");
    assertThat(await(gateway.get("/v1/suppressions", other).method(HttpMethod.DELETE)
      .addQueryParam("channel", "email").addQueryParam("address", "x@example.com").send()).statusCode()).isEqualTo(404);
  }
}
