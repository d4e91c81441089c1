package dev.relay.gateway.engagement;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.Eventually;
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

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Subscription topics and recipients' preferences: the API, and dispatch skipping opted-out recipients")
class TopicPreferencesTest {

  private static final List<String> CHANNELS = List.of("email", "sms", "push", "chat");

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

  private static HttpResponse<Buffer> putTopic(String apiKey, String name, JsonObject body) {
    return await(gateway.get("/v1/topics/" + name, apiKey).method(HttpMethod.PUT).sendJsonObject(body));
  }

  private static HttpResponse<Buffer> putPreferences(String apiKey, String recipient, JsonObject body) {
    return await(gateway.get("/v1/recipients/" + recipient + "/preferences", apiKey).method(HttpMethod.PUT)
      .sendJsonObject(body));
  }

  private static JsonObject topic(String description, String defaultChoice, boolean perChannel) {
    return new JsonObject().put("description", description).put("default", defaultChoice).put("per_channel", perChannel);
  }

  private static JsonObject recipient(String id, String... channels) {
    JsonObject addresses = new JsonObject();
    for (String channel : channels) {
      addresses.put(channel, switch (channel) {
        case "email" -> id + "@example.com";
        case "sms" -> "+90555" + String.format("%07d", Math.abs(id.hashCode()) % 10_000_000);
        case "push" -> "token-" + id + "-0123456789";
        default -> "U" + id.toUpperCase(java.util.Locale.ROOT);
      });
    }
    JsonObject content = new JsonObject().put("subject", "Hi").put("text", "Hi").put("html", "<p>Hi</p>")
      .put("title", "Hi").put("body", "Hi");
    return new JsonObject().put("id", id).put("addresses", addresses).put("variables", content);
  }

  private static List<String> receipts(String campaign) {
    List<String> arrived = new ArrayList<>();
    for (SandboxServer.Receipt r : gateway.sandbox().receipts()) {
      if (campaign.equals(r.campaign()) && "acme".equals(r.tenant())) {
        arrived.add(r.recipientId() + " " + r.channel());
      }
    }
    return arrived;
  }

  private static long ended(String campaign) {
    return gateway.database().count("SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id"
      + " WHERE c.name = '" + campaign + "' AND m.state IN ('sent', 'delivered', 'opted_out', 'suppressed', 'failed')");
  }

  @Test
  @DisplayName("a recipient opted out of 'newsletter' gets the 'win-back' campaign on 'offers' and no newsletter, on "
    + "every channel; the newsletter's stats, batch and message history show it skipped as opted_out, naming the topic")
  void optedOutRecipientIsSkippedOnEveryChannel() throws Exception {
    assertThat(putTopic(key, "newsletter", topic("Monthly news", "opted_in", false)).statusCode()).isEqualTo(201);
    assertThat(putTopic(key, "offers", topic("Discounts and win-back offers", "opted_in", false)).statusCode())
      .isEqualTo(201);
    HttpResponse<Buffer> out = putPreferences(key, "ayse", new JsonObject().put("topics",
      new JsonObject().put("newsletter", new JsonObject().put("opted_in", false))));
    assertThat(out.statusCode()).as(out.bodyAsString()).isEqualTo(200);
    assertThat(out.bodyAsJsonObject().getInteger("changes")).isEqualTo(1);

    for (String channel : CHANNELS) {
      JsonArray recipients = new JsonArray().add(recipient("ayse", channel)).add(recipient("mehmet", channel));
      JsonObject newsletter = Batches.envelope("newsletter-dec").put("topic", "newsletter")
        .put("channels", new JsonArray().add(channel)).put("recipients", recipients);
      if ("email".equals(channel)) {
        // Due a moment later: stored queued and claimed, not handed over.
        newsletter.put("send_at", OffsetDateTime.now().plusSeconds(1).toString());
      }
      HttpResponse<Buffer> accepted = gateway.postBatch(key, null, newsletter);
      assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
      assertThat(gateway.postBatch(key, null, Batches.envelope("win-back").put("topic", "offers")
        .put("channels", new JsonArray().add(channel)).put("recipients", recipients)).statusCode()).isEqualTo(202);
    }
    Eventually.until("every message ended", () -> ended("newsletter-dec") == 8 && ended("win-back") == 8);

    List<String> winBack = new ArrayList<>();
    List<String> news = new ArrayList<>();
    for (String channel : CHANNELS) {
      winBack.add("ayse " + channel);
      winBack.add("mehmet " + channel);
      news.add("mehmet " + channel);
    }
    Eventually.until("the sends arrived", () -> receipts("win-back").size() == 8);
    assertThat(receipts("win-back")).containsExactlyInAnyOrderElementsOf(winBack);
    assertThat(receipts("newsletter-dec")).containsExactlyInAnyOrderElementsOf(news);

    JsonObject stats = await(gateway.get("/v1/campaigns/newsletter-dec/stats", key).send()).bodyAsJsonObject();
    assertThat(stats.getJsonObject("total").getLong("opted_out")).isEqualTo(4);
    assertThat(stats.getJsonObject("total").getLong("sent")).isEqualTo(4);
    for (String channel : CHANNELS) {
      assertThat(stats.getJsonObject("channels").getJsonObject(channel).getLong("opted_out")).as(channel).isEqualTo(1);
    }
    JsonObject winBackStats = await(gateway.get("/v1/campaigns/win-back/stats", key).send()).bodyAsJsonObject();
    assertThat(winBackStats.getJsonObject("total").getLong("opted_out")).isZero();
    assertThat(winBackStats.getJsonObject("total").getLong("sent")).isEqualTo(8);

    long skipped = gateway.database().count("SELECT m.id FROM messages m JOIN campaigns c ON c.id = m.campaign_id"
      + " WHERE c.name = 'newsletter-dec' AND m.recipient_id = 'ayse' AND m.channel = 'sms'");
    JsonObject message = await(gateway.get("/v1/messages/" + skipped, key).send()).bodyAsJsonObject();
    assertThat(message.getString("state")).isEqualTo("opted_out");
    JsonObject event = message.getJsonArray("events").stream().map(JsonObject.class::cast)
      .filter(e -> "opted_out".equals(e.getString("type"))).findFirst().orElseThrow();
    assertThat(event.getString("reason")).contains("topic 'newsletter'").contains("sms");
    assertThat(event.getJsonObject("data").getString("topic")).isEqualTo("newsletter");

    JsonObject history = await(gateway.get("/v1/recipients/ayse/engagement", key).send()).bodyAsJsonObject();
    List<JsonObject> entries = history.getJsonArray("history").stream().map(JsonObject.class::cast).toList();
    assertThat(entries).anySatisfy(e -> {
      assertThat(e.getString("type")).isEqualTo("preference-changed");
      assertThat(e.getString("topic")).isEqualTo("newsletter");
      assertThat(e.getBoolean("opted_in")).isFalse();
      assertThat(e.getString("source")).isEqualTo("api");
    });
    assertThat(entries).filteredOn(e -> "opted_out".equals(e.getString("type"))).hasSize(4);
  }

  @Test
  @DisplayName("an opt-out on one channel acts like a suppressed channel: the message fails over to the next; with no "
    + "channel left it ends opted_out; a topic opted out by default skips recipients who never chose")
  void perChannelAndDefault() throws Exception {
    String tenant = gateway.apiKey("channels");
    gateway.putTemplate(tenant, "welcome", Batches.echoTemplate());
    assertThat(putTopic(tenant, "alerts", topic("Price alerts", "opted_in", true)).statusCode()).isEqualTo(201);
    assertThat(putTopic(tenant, "surveys", topic("Surveys", "opted_out", false)).statusCode()).isEqualTo(201);
    for (String id : List.of("sms-off-both", "sms-off-only")) {
      HttpResponse<Buffer> set = putPreferences(tenant, id, new JsonObject().put("topics", new JsonObject()
        .put("alerts", new JsonObject().put("channels", new JsonObject().put("sms", false)))));
      assertThat(set.statusCode()).as(set.bodyAsString()).isEqualTo(200);
      assertThat(set.bodyAsJsonObject().getJsonObject("topics").getJsonObject("alerts").getBoolean("opted_in")).isTrue();
    }
    assertThat(putPreferences(tenant, "surveyed", new JsonObject().put("topics", new JsonObject()
      .put("surveys", new JsonObject().put("opted_in", true)))).statusCode()).isEqualTo(200);

    JsonArray alerts = new JsonArray().add(recipient("sms-off-both", "sms", "email"))
      .add(recipient("sms-off-only", "sms")).add(recipient("untouched", "sms", "email"));
    assertThat(gateway.postBatch(tenant, null, Batches.envelope("alerts").put("topic", "alerts")
      .put("channels", new JsonArray().add("sms").add("email")).put("recipients", alerts)).statusCode()).isEqualTo(202);
    JsonArray surveys = new JsonArray().add(recipient("surveyed", "email")).add(recipient("never-asked", "email"));
    assertThat(gateway.postBatch(tenant, null, Batches.envelope("surveys").put("topic", "surveys")
      .put("recipients", surveys)).statusCode()).isEqualTo(202);
    Eventually.until("every message ended", () -> gateway.database().count("SELECT count(*) FROM messages m"
      + " JOIN tenants t ON t.id = m.tenant_id WHERE t.name = 'channels'"
      + " AND m.state IN ('sent', 'delivered', 'opted_out')") == 5);

    List<String> arrived = new ArrayList<>();
    Eventually.until("the sends arrived", () -> gateway.sandbox().receipts().stream()
      .filter(r -> "channels".equals(r.tenant())).count() == 3);
    gateway.sandbox().receipts().stream().filter(r -> "channels".equals(r.tenant()))
      .forEach(r -> arrived.add(r.recipientId() + " " + r.channel()));
    assertThat(arrived).containsExactlyInAnyOrder("sms-off-both email", "untouched sms", "surveyed email");
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE state = 'opted_out'"
      + " AND recipient_id IN ('sms-off-only', 'never-asked')")).isEqualTo(2);
  }

  @Test
  @DisplayName("topics: PUT creates (201) then replaces (200), GET lists and reads one with its labels, an unknown one "
    + "is 404; bad names, bodies and locales are 400 or 422 and store nothing")
  void topicsApi() {
    String tenant = gateway.apiKey("topics");
    JsonObject body = topic("Monthly news", "opted_in", true).put("locales", new JsonObject()
      .put("en", new JsonObject().put("title", "Newsletter"))
      .put("tr", new JsonObject().put("title", "Bülten").put("description", "Aylık haberler")));
    HttpResponse<Buffer> created = putTopic(tenant, "newsletter", body);
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    assertThat(created.getHeader("Location")).isEqualTo("/v1/topics/newsletter");
    assertThat(created.bodyAsJsonObject().getJsonObject("locales").getJsonObject("tr").getString("title"))
      .isEqualTo("Bülten");
    assertThat(putTopic(tenant, "newsletter", body.copy().put("default", "opted_out")).statusCode()).isEqualTo(200);
    JsonObject one = await(gateway.get("/v1/topics/newsletter", tenant).send()).bodyAsJsonObject();
    assertThat(one.getString("default")).isEqualTo("opted_out");
    assertThat(one.getBoolean("per_channel")).isTrue();
    JsonArray list = await(gateway.get("/v1/topics", tenant).send()).bodyAsJsonObject().getJsonArray("topics");
    assertThat(list).hasSize(1);
    HttpResponse<Buffer> missing = await(gateway.get("/v1/topics/nope", tenant).send());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:topic-not-found");
    assertThat(await(gateway.get("/v1/topics", key).send()).bodyAsJsonObject().getJsonArray("topics").stream()
      .map(t -> ((JsonObject) t).getString("name")).toList()).as("another tenant's topics").doesNotContain("nope");

    assertThat(putTopic(tenant, "Bad-Name", body).statusCode()).isEqualTo(400);
    assertThat(putTopic(tenant, "x".repeat(65), body).statusCode()).isEqualTo(400);
    assertThat(putTopic(tenant, "other", topic("x", "maybe", false)).statusCode()).isEqualTo(422);
    assertThat(putTopic(tenant, "other", new JsonObject().put("default", "opted_in")).statusCode()).isEqualTo(422);
    assertThat(putTopic(tenant, "other", topic("x", "opted_in", false).put("colour", "red")).statusCode())
      .isEqualTo(422);
    HttpResponse<Buffer> locale = putTopic(tenant, "other", topic("x", "opted_in", false)
      .put("locales", new JsonObject().put("Türkçe", new JsonObject().put("title", "x"))));
    assertThat(locale.statusCode()).isEqualTo(422);
    assertThat(locale.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:invalid-locale");
    HttpResponse<Buffer> control = putTopic(tenant, "other", topic("bad\u0007bell", "opted_in", false));
    assertThat(control.statusCode()).isEqualTo(422);
    assertThat(control.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:invalid-text");
    HttpResponse<Buffer> notJson = await(gateway.get("/v1/topics/other", tenant).method(HttpMethod.PUT)
      .putHeader("Content-Type", "text/plain").sendBuffer(Buffer.buffer("{}")));
    assertThat(notJson.statusCode()).isEqualTo(415);
    assertThat(gateway.database().count("SELECT count(*) FROM topics t JOIN tenants n ON n.id = t.tenant_id"
      + " WHERE n.name = 'topics'")).isEqualTo(1);
  }

  @Test
  @DisplayName("preferences: GET shows every topic with its default for a recipient never seen; PUT with an unknown "
    + "topic or channel, a channel of a topic without choices per channel, or no choice at all is 422 and changes "
    + "nothing; a batch naming an unknown topic is 422 unknown-topic and stores nothing")
  void badInput() {
    String tenant = gateway.apiKey("bad-input");
    gateway.putTemplate(tenant, "welcome", Batches.echoTemplate());
    assertThat(putTopic(tenant, "news", topic("News", "opted_in", false)).statusCode()).isEqualTo(201);
    assertThat(putTopic(tenant, "polls", topic("Polls", "opted_out", true)).statusCode()).isEqualTo(201);
    JsonObject fresh = await(gateway.get("/v1/recipients/nobody/preferences", tenant).send()).bodyAsJsonObject();
    assertThat(fresh.getBoolean("opted_out_of_all")).isFalse();
    assertThat(fresh.getJsonObject("topics").getJsonObject("news").getBoolean("opted_in")).isTrue();
    assertThat(fresh.getJsonObject("topics").getJsonObject("news").getString("origin")).isEqualTo("default");
    assertThat(fresh.getJsonObject("topics").getJsonObject("polls").getBoolean("opted_in")).isFalse();

    HttpResponse<Buffer> unknown = putPreferences(tenant, "r1", new JsonObject().put("topics", new JsonObject()
      .put("news", new JsonObject().put("opted_in", false)).put("nope", new JsonObject().put("opted_in", false))));
    assertThat(unknown.statusCode()).isEqualTo(422);
    assertThat(unknown.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:unknown-topic");
    assertThat(unknown.bodyAsJsonObject().getString("pointer")).isEqualTo("/topics/nope");
    HttpResponse<Buffer> perChannel = putPreferences(tenant, "r1", new JsonObject().put("topics", new JsonObject()
      .put("news", new JsonObject().put("channels", new JsonObject().put("sms", false)))));
    assertThat(perChannel.statusCode()).isEqualTo(422);
    assertThat(perChannel.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:per-channel-not-offered");
    HttpResponse<Buffer> channel = putPreferences(tenant, "r1", new JsonObject().put("topics", new JsonObject()
      .put("polls", new JsonObject().put("channels", new JsonObject().put("pigeon", true)))));
    assertThat(channel.statusCode()).isEqualTo(422);
    assertThat(channel.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:unknown-channel");
    HttpResponse<Buffer> control = putPreferences(tenant, "r1", new JsonObject().put("topics", new JsonObject()
      .put("ne\u0000ws", new JsonObject().put("opted_in", false))));
    assertThat(control.statusCode()).isEqualTo(422);
    assertThat(control.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:invalid-text");
    assertThat(putPreferences(tenant, "r1", new JsonObject()).statusCode()).isEqualTo(422);
    assertThat(putPreferences(tenant, "r1", new JsonObject().put("topics", new JsonObject()
      .put("news", new JsonObject()))).statusCode()).isEqualTo(422);
    assertThat(putPreferences(tenant, "r1", new JsonObject().put("topics", new JsonObject()
      .put("news", new JsonObject().put("opted_in", "no")))).statusCode()).isEqualTo(422);
    assertThat(gateway.database().count("SELECT count(*) FROM preferences p JOIN tenants t ON t.id = p.tenant_id"
      + " WHERE t.name = 'bad-input'")).isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM preference_events p JOIN tenants t ON t.id = p.tenant_id"
      + " WHERE t.name = 'bad-input'")).isZero();

    long batches = gateway.database().count("SELECT count(*) FROM batches");
    HttpResponse<Buffer> batch = gateway.postBatch(tenant, null, Batches.batch("c", "r", 2).put("topic", "nope"));
    assertThat(batch.statusCode()).isEqualTo(422);
    assertThat(batch.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:unknown-topic");
    assertThat(batch.bodyAsJsonObject().getString("pointer")).isEqualTo("/topic");
    assertThat(gateway.postBatch(key, null, Batches.batch("c", "r", 2).put("topic", "polls")).statusCode())
      .as("another tenant's topic").isEqualTo(422);
    assertThat(gateway.postBatch(tenant, null, Batches.batch("c", "r", 2).put("topic", "Not A Name")).statusCode())
      .isEqualTo(422);
    assertThat(gateway.database().count("SELECT count(*) FROM batches")).isEqualTo(batches);

    HttpResponse<Buffer> described = gateway.postBatch(tenant, null, Batches.batch("c", "r", 1).put("topic", "news"));
    assertThat(described.statusCode()).isEqualTo(202);
    JsonObject status = await(gateway.get(described.bodyAsJsonObject().getString("status_url"), tenant).send())
      .bodyAsJsonObject();
    assertThat(status.getString("topic")).isEqualTo("news");
  }

  @Test
  @DisplayName("opting out of all topics covers topics made later and is one change in the history; a transactional "
    + "batch without a topic still reaches the recipient")
  void optOutOfAll() throws Exception {
    String tenant = gateway.apiKey("all");
    gateway.putTemplate(tenant, "welcome", Batches.echoTemplate());
    assertThat(putTopic(tenant, "news", topic("News", "opted_in", false)).statusCode()).isEqualTo(201);
    HttpResponse<Buffer> all = putPreferences(tenant, "gone", new JsonObject()
      .put("all_topics", new JsonObject().put("opted_in", false)));
    assertThat(all.statusCode()).as(all.bodyAsString()).isEqualTo(200);
    assertThat(all.bodyAsJsonObject().getBoolean("opted_out_of_all")).isTrue();
    assertThat(putTopic(tenant, "later", topic("Made later", "opted_in", false)).statusCode()).isEqualTo(201);
    JsonObject prefs = await(gateway.get("/v1/recipients/gone/preferences", tenant).send()).bodyAsJsonObject();
    assertThat(prefs.getJsonObject("topics").getJsonObject("later").getBoolean("opted_in")).isFalse();
    assertThat(prefs.getJsonObject("topics").getJsonObject("later").getString("origin")).isEqualTo("all_topics");

    assertThat(gateway.postBatch(tenant, null, Batches.envelope("later").put("topic", "later")
      .put("recipients", new JsonArray().add(recipient("gone", "email")))).statusCode()).isEqualTo(202);
    assertThat(gateway.postBatch(tenant, null, Batches.envelope("receipt").put("priority", "transactional")
      .put("recipients", new JsonArray().add(recipient("gone", "email")))).statusCode()).isEqualTo(202);
    Eventually.until("both ended", () -> gateway.database().count("SELECT count(*) FROM messages m"
      + " JOIN tenants t ON t.id = m.tenant_id WHERE t.name = 'all' AND m.state IN ('sent', 'delivered', 'opted_out')")
      == 2);
    Eventually.until("the receipt arrived", () -> gateway.sandbox().receipts().stream()
      .anyMatch(r -> "all".equals(r.tenant())));
    assertThat(gateway.sandbox().receipts().stream().filter(r -> "all".equals(r.tenant())).map(r -> r.campaign())
      .toList()).containsExactly("receipt");

    JsonArray history = await(gateway.get("/v1/recipients/gone/engagement", tenant).send()).bodyAsJsonObject()
      .getJsonArray("history");
    List<JsonObject> changes = history.stream().map(JsonObject.class::cast)
      .filter(e -> "preference-changed".equals(e.getString("type"))).toList();
    assertThat(changes).hasSize(1);
    assertThat(changes.get(0).getBoolean("all_topics")).isTrue();
    assertThat(changes.get(0).getValue("topic")).isNull();
  }

  @Test
  @DisplayName("erasing a recipient keeps its opt-outs in force under the keyed hash of its id, drops its opt-ins, "
    + "and leaves its id in no preference row; a choice made afterwards wins")
  void erasure() throws Exception {
    String tenant = gateway.apiKey("erasure");
    gateway.putTemplate(tenant, "welcome", Batches.echoTemplate());
    assertThat(putTopic(tenant, "news", topic("News", "opted_in", false)).statusCode()).isEqualTo(201);
    assertThat(putTopic(tenant, "polls", topic("Polls", "opted_out", false)).statusCode()).isEqualTo(201);
    assertThat(putPreferences(tenant, "forget-me", new JsonObject().put("topics", new JsonObject()
      .put("news", new JsonObject().put("opted_in", false)).put("polls", new JsonObject().put("opted_in", true))))
      .statusCode()).isEqualTo(200);
    assertThat(gateway.postBatch(tenant, null, Batches.envelope("before").put("topic", "news")
      .put("recipients", new JsonArray().add(recipient("forget-me", "email")))).statusCode()).isEqualTo(202);
    Eventually.until("the first message ended", () -> gateway.database().count("SELECT count(*) FROM messages"
      + " WHERE recipient_id = 'forget-me' AND state = 'opted_out'") == 1);

    HttpResponse<Buffer> erased = await(gateway.get("/v1/recipients/forget-me", tenant).method(HttpMethod.DELETE)
      .send());
    assertThat(erased.statusCode()).as(erased.bodyAsString()).isEqualTo(200);
    assertThat(erased.bodyAsJsonObject().getJsonObject("erased").getLong("preferences")).isEqualTo(2);
    assertThat(erased.bodyAsJsonObject().getJsonObject("erased").getLong("preference_events")).isEqualTo(2);
    assertThat(gateway.database().count("SELECT count(*) FROM preferences WHERE recipient_id = 'forget-me'"))
      .isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM preference_events WHERE recipient_id = 'forget-me'"))
      .isZero();

    JsonObject kept = await(gateway.get("/v1/recipients/forget-me/preferences", tenant).send()).bodyAsJsonObject();
    assertThat(kept.getJsonObject("topics").getJsonObject("news").getBoolean("opted_in")).isFalse();
    assertThat(kept.getJsonObject("topics").getJsonObject("polls").getString("origin")).isEqualTo("default");
    assertThat(gateway.postBatch(tenant, null, Batches.envelope("after").put("topic", "news")
      .put("recipients", new JsonArray().add(recipient("forget-me", "email")))).statusCode()).isEqualTo(202);
    Eventually.until("the later message ended", () -> gateway.database().count("SELECT count(*) FROM messages"
      + " WHERE recipient_id = 'forget-me' AND state = 'opted_out'") == 1);

    assertThat(putPreferences(tenant, "forget-me", new JsonObject().put("topics", new JsonObject()
      .put("news", new JsonObject().put("opted_in", true)))).statusCode()).isEqualTo(200);
    JsonObject back = await(gateway.get("/v1/recipients/forget-me/preferences", tenant).send()).bodyAsJsonObject();
    assertThat(back.getJsonObject("topics").getJsonObject("news").getBoolean("opted_in")).isTrue();
  }
}
