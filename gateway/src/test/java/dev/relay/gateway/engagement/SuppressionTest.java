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

  @Test
  @DisplayName("every channel's kind of address is added, listed and lifted through /v1/suppressions, numbers included "
    + "(DELETE ?channel=sms&address=%2B905551234567 is 200, not a 400 for a number)")
  void everyAddressKind() throws Exception {
    String tenant = gateway.apiKey("kinds");
    List<String[]> kinds = List.of(
      new String[] {"email", "ayse.yilmaz+news@example.com"},
      new String[] {"sms", "+905551234567"},
      new String[] {"push", "dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx_example-FCM-token"},
      new String[] {"push", "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad"},
      new String[] {"chat", "U024BE7LH"},
      new String[] {"chat", "-1001234567890"},
      new String[] {"chat", "123456789"},
      new String[] {"chat", "+905551234568"},
      new String[] {"webhook", "crm/customer 42"},
      new String[] {"webhook", "3.14"},
      new String[] {"webhook", "true"});
    for (String[] kind : kinds) {
      HttpResponse<Buffer> added = await(gateway.post("/v1/suppressions", tenant)
        .sendJsonObject(new JsonObject().put("channel", kind[0]).put("address", kind[1])));
      assertThat(added.statusCode()).as("POST %s %s: %s", kind[0], kind[1], added.bodyAsString()).isEqualTo(201);
    }
    for (String channel : List.of("email", "sms", "push", "chat", "webhook")) {
      HttpResponse<Buffer> listed = await(gateway.get("/v1/suppressions?channel=" + channel, tenant).send());
      assertThat(listed.statusCode()).isEqualTo(200);
      List<String> addresses = new ArrayList<>();
      listed.bodyAsJsonObject().getJsonArray("suppressions").forEach(e -> addresses.add(((JsonObject) e).getString("address")));
      assertThat(addresses).as(channel).containsExactlyInAnyOrderElementsOf(
        kinds.stream().filter(k -> k[0].equals(channel)).map(k -> k[1]).toList());
    }

    // The README's own example, byte for byte.
    HttpResponse<Buffer> readme = await(gateway.get("/v1/suppressions?channel=sms&address=%2B905551234567", tenant)
      .method(HttpMethod.DELETE).send());
    assertThat(readme.statusCode()).as(readme.bodyAsString()).isEqualTo(200);
    assertThat(readme.bodyAsJsonObject().getString("address")).isEqualTo("+905551234567");
    assertThat(readme.bodyAsJsonObject().getString("reason")).isEqualTo("manual");
    for (String[] kind : kinds.subList(2, kinds.size())) {
      String query = "channel=" + kind[0] + "&address=" + java.net.URLEncoder.encode(kind[1], java.nio.charset.StandardCharsets.UTF_8);
      HttpResponse<Buffer> lifted = await(gateway.get("/v1/suppressions?" + query, tenant).method(HttpMethod.DELETE).send());
      assertThat(lifted.statusCode()).as("DELETE %s: %s", query, lifted.bodyAsString()).isEqualTo(200);
      assertThat(lifted.bodyAsJsonObject().getString("address")).isEqualTo(kind[1]);
    }
    HttpResponse<Buffer> email = await(gateway.get("/v1/suppressions", tenant).method(HttpMethod.DELETE)
      .addQueryParam("channel", "email").addQueryParam("address", kinds.get(0)[1]).send());
    assertThat(email.statusCode()).isEqualTo(200);
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions s JOIN tenants t ON t.id = s.tenant_id"
      + " WHERE t.name = 'kinds'")).as("every one lifted").isZero();
    assertThat(await(gateway.get("/v1/suppressions?channel=chat&address=-1001234567890", tenant)
      .method(HttpMethod.DELETE).send()).statusCode()).as("lifted already").isEqualTo(404);
    assertThat(await(gateway.get("/v1/suppressions?channel=sms&address=", tenant)
      .method(HttpMethod.DELETE).send()).statusCode()).as("an empty address is still bad input").isEqualTo(400);
  }
}
