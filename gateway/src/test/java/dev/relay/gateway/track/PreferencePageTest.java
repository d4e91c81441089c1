package dev.relay.gateway.track;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.Setting;
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

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The preference page behind an email's unsubscribe link, over HTTP: RFC 8058's one-click body unsubscribes from
 * the message's topic only, the page's forms save choices and unsubscribe from everything, each change is an event
 * in the recipient's history, and opening the page or posting anything else changes nothing.
 */
class PreferencePageTest {

  /** RFC 8058 section 8.1: the body a mail client posts for {@code List-Unsubscribe-Post: List-Unsubscribe=One-Click}. */
  static final String RFC_8058_BODY = "List-Unsubscribe=One-Click";

  private static TestGateway gateway;
  private static String acme;

  @BeforeAll
  static void start() throws Exception {
    gateway = TestGateway.start(Map.of(Setting.TRACKING_FLUSH_MS, "100"));
    acme = gateway.apiKey("acme");
    gateway.putTemplate(acme, "engage", TrackingTest.template());
    topics(gateway, acme);
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  /**
   * The tenant's topics, through the API: news (in by default, labels in English and Turkish), offers (in by
   * default, chosen per channel, no labels) and surveys (out by default, a Turkish title only).
   */
  static void topics(TestGateway gateway, String key) {
    putTopic(gateway, key, "news", new JsonObject().put("description", "News").put("default", "opted_in")
      .put("locales", new JsonObject()
        .put("en", new JsonObject().put("title", "Newsletter").put("description", "Our monthly news"))
        .put("tr", new JsonObject().put("title", "Bülten").put("description", "Aylık haberlerimiz"))));
    putTopic(gateway, key, "offers", new JsonObject().put("description", "Discounts & deals").put("default", "opted_in")
      .put("per_channel", true));
    putTopic(gateway, key, "surveys", new JsonObject().put("description", "Surveys").put("default", "opted_out")
      .put("locales", new JsonObject().put("tr", new JsonObject().put("title", "Anketler"))));
  }

  private static void putTopic(TestGateway gateway, String key, String name, JsonObject topic) {
    HttpResponse<Buffer> created = await(gateway.get("/v1/topics/" + name, key).method(HttpMethod.PUT)
      .sendJsonObject(topic));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
  }

  /** Sends one email per recipient of a batch about {@code topic} (null: none); the emails by recipient id. */
  static Map<String, JsonObject> send(TestGateway gateway, String key, String campaign, String topic,
                                      JsonArray recipients) throws Exception {
    JsonObject batch = Batches.envelope(campaign).put("template", "engage").put("recipients", recipients);
    if (topic != null) {
      batch.put("topic", topic);
    }
    HttpResponse<Buffer> accepted = gateway.postBatch(key, null, batch);
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    String batchId = accepted.bodyAsJsonObject().getString("batch_id");
    TrackingTest.eventually("all sent", () -> gateway.database().count("SELECT count(*) FROM messages WHERE batch_id = '"
      + batchId + "' AND state = 'sent'") == recipients.size());
    Map<String, JsonObject> emails = new java.util.HashMap<>();
    for (SandboxServer.Receipt receipt : gateway.sandbox().receipts()) {
      for (int i = 0; i < recipients.size(); i++) {
        if (receipt.recipientId().equals(recipients.getJsonObject(i).getString("id"))) {
          emails.put(receipt.recipientId(), receipt.content());
        }
      }
    }
    return emails;
  }

  static JsonObject recipient(String id, String locale) {
    return Batches.recipient(id).put("locale", locale);
  }

  private static HttpResponse<Buffer> post(String url, String contentType, String body) {
    return await(gateway.get(TrackingTest.path(url), null).method(HttpMethod.POST)
      .putHeader("Content-Type", contentType).sendBuffer(Buffer.buffer(body)));
  }

  private static HttpResponse<Buffer> form(String url, String body) {
    return post(url, "application/x-www-form-urlencoded", body);
  }

  /** The recipient's history: topic, channel, opted_in, source, message_id, oldest first. */
  static List<String> history(TestGateway gateway, String recipient) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT topic, channel, opted_in, source, message_id IS NOT NULL FROM "
           + "preference_events WHERE recipient_id = '" + recipient + "' ORDER BY id")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + " " + rs.getString(2) + " " + (rs.getBoolean(3) ? "in" : "out") + " "
          + rs.getString(4) + (rs.getBoolean(5) ? " message" : ""));
      }
    }
    return rows;
  }

  /** Everything a page request could change, as one string to compare before and after. */
  static String state(TestGateway gateway) {
    return gateway.database().count("SELECT count(*) FROM preferences") + " preferences, "
      + gateway.database().count("SELECT count(*) FROM preference_events") + " preference events, "
      + gateway.database().count("SELECT count(*) FROM suppressions") + " suppressions, "
      + gateway.database().count("SELECT count(*) FROM events WHERE type = 'unsubscribed'") + " unsubscribed events";
  }

  @Test
  @DisplayName("RFC 8058's one-click body unsubscribes from the message's topic only, once; the page then unsubscribes from everything")
  void oneClickThenEverything() throws Exception {
    Map<String, JsonObject> emails = send(gateway, acme, "monthly", "news", new JsonArray().add(recipient("oc-0", "en")));
    String url = emails.get("oc-0").getString("list_unsubscribe");
    for (int i = 0; i < 2; i++) {
      HttpResponse<Buffer> done = form(url, RFC_8058_BODY);
      assertThat(done.statusCode()).isEqualTo(200);
      assertThat(done.getHeader("Content-Type")).startsWith("text/html");
      assertThat(done.bodyAsString()).contains("<html lang=\"en\">")
        .contains("<h1 id=\"done\">You are unsubscribed from Newsletter.</h1>");
    }
    assertThat(history(gateway, "oc-0")).containsExactly("news * out one-click message");
    assertThat(gateway.database().count("SELECT count(*) FROM preferences WHERE recipient_id = 'oc-0'")).isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions WHERE address = 'oc-0@example.com'"))
      .as("one-click from a topic leaves the address free for the tenant's other topics").isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id "
      + "WHERE m.recipient_id = 'oc-0' AND e.type = 'unsubscribed' AND e.reason = 'one-click' "
      + "AND e.data->>'topic' = 'news'")).isEqualTo(1);

    String page = await(gateway.get(TrackingTest.path(url), null).send()).bodyAsString();
    assertThat(page).contains("value=\"news\" aria-describedby=\"topic-0-desc\"> <label for=\"topic-0\">Newsletter "
        + "<span class=\"current\">(the topic of the email you came from)</span></label>")
      .contains("value=\"offers\" checked aria-describedby=\"topic-1-desc\"> <label for=\"topic-1\">offers</label>"
        + "<p class=\"desc\" id=\"topic-1-desc\">Discounts &amp; deals</p>")
      .contains("value=\"surveys\" aria-describedby=\"topic-2-desc\"> <label for=\"topic-2\">surveys</label>");

    HttpResponse<Buffer> everything = form(url, "action=everything");
    assertThat(everything.statusCode()).isEqualTo(200);
    assertThat(everything.bodyAsString()).contains("<h1 id=\"done\">You are unsubscribed from everything.</h1>");
    assertThat(history(gateway, "oc-0")).containsExactly("news * out one-click message",
      "* * out preference-page message");
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions WHERE address = 'oc-0@example.com' "
      + "AND reason = 'unsubscribed' AND source = 'unsubscribe-link'")).isEqualTo(1);
    assertThat(await(gateway.get(TrackingTest.path(url), null).send()).bodyAsString())
      .doesNotContain(" checked");

    JsonObject preferences = await(gateway.get("/v1/recipients/oc-0/preferences", acme).send()).bodyAsJsonObject();
    assertThat(preferences.getBoolean("opted_out_of_all")).isTrue();
    assertThat(preferences.getJsonObject("topics").getJsonObject("offers").getString("origin")).isEqualTo("all_topics");
    JsonArray history = await(gateway.get("/v1/recipients/oc-0/engagement", acme).send()).bodyAsJsonObject()
      .getJsonArray("history");
    List<String> changes = new ArrayList<>();
    for (int i = 0; i < history.size(); i++) {
      JsonObject event = history.getJsonObject(i);
      if ("preference-changed".equals(event.getString("type"))) {
        changes.add(event.getString("topic") + " " + event.getBoolean("all_topics") + " " + event.getBoolean("opted_in")
          + " " + event.getString("source") + " " + event.getLong("message_id"));
      }
    }
    long messageId = gateway.database().count("SELECT id FROM messages WHERE recipient_id = 'oc-0'");
    assertThat(changes).as("the recipient's history, newest first").containsExactly(
      "null true false preference-page " + messageId, "news false false one-click " + messageId);

    HttpResponse<Buffer> back = form(url, "action=save&topic=offers");
    assertThat(back.bodyAsString()).as("a topic chosen after everything wins")
      .contains("value=\"offers\" checked").doesNotContain("value=\"news\" checked");
    assertThat(history(gateway, "oc-0")).endsWith("offers * in preference-page message");
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions WHERE address = 'oc-0@example.com'"))
      .as("the page never lifts a suppression").isEqualTo(1);
  }

  @Test
  @DisplayName("RFC 8058's body sent as multipart/form-data is one-click too")
  void oneClickMultipart() throws Exception {
    Map<String, JsonObject> emails = send(gateway, acme, "deals", "offers", new JsonArray().add(recipient("mp-0", "en")));
    String boundary = "relayboundary";
    HttpResponse<Buffer> done = post(emails.get("mp-0").getString("list_unsubscribe"),
      "multipart/form-data; boundary=" + boundary, "--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--" + boundary + "--\r\n");
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(history(gateway, "mp-0")).as("offers is chosen per channel: email only")
      .containsExactly("offers email out one-click message");
  }

  @Test
  @DisplayName("Opening the page changes nothing; it lists the topics in the recipient's language, checked as chosen")
  void getChangesNothing() throws Exception {
    Map<String, JsonObject> emails = send(gateway, acme, "look", "news", new JsonArray()
      .add(recipient("gt-0", "tr-TR")).add(recipient("gt-1", "de-DE")));
    String before = state(gateway);
    for (int i = 0; i < 3; i++) {
      HttpResponse<Buffer> shown = await(gateway.get(TrackingTest.path(emails.get("gt-0").getString("list_unsubscribe")),
        null).send());
      assertThat(shown.statusCode()).isEqualTo(200);
      assertThat(shown.getHeader("Cache-Control")).isEqualTo("no-store");
      assertThat(shown.bodyAsString()).contains("<html lang=\"tr\">").contains("<legend>Konular</legend>")
        .contains("value=\"news\" checked aria-describedby=\"topic-0-desc\"> <label for=\"topic-0\">Bülten "
          + "<span class=\"current\">(geldiğiniz e-postanın konusu)</span></label>")
        .contains("<p class=\"desc\" id=\"topic-0-desc\">Aylık haberlerimiz</p>")
        .contains("<label for=\"topic-2\">Anketler</label>")
        .contains("<button type=\"submit\" id=\"unsubscribe\">Tüm e-postalardan çık</button>");
    }
    assertThat(await(gateway.get(TrackingTest.path(emails.get("gt-1").getString("list_unsubscribe")), null).send())
      .bodyAsString()).as("a locale without words of its own is English").contains("<html lang=\"en\">")
      .contains("<legend>Topics</legend>").contains("<label for=\"topic-0\">Newsletter");
    assertThat(state(gateway)).isEqualTo(before);
  }

  @Test
  @DisplayName("Saving the page writes only the topics whose box changed, each once, as preference-page changes")
  void save() throws Exception {
    Map<String, JsonObject> emails = send(gateway, acme, "choose", "news", new JsonArray().add(recipient("sv-0", "en")));
    String url = emails.get("sv-0").getString("list_unsubscribe");
    HttpResponse<Buffer> unchanged = form(url, "action=save&topic=news&topic=offers");
    assertThat(unchanged.statusCode()).isEqualTo(200);
    assertThat(unchanged.bodyAsString()).contains("<p role=\"status\" id=\"saved\">Your choices are saved.</p>");
    assertThat(history(gateway, "sv-0")).as("the defaults, unchanged").isEmpty();

    for (int i = 0; i < 2; i++) {
      HttpResponse<Buffer> saved = form(url, "action=save&topic=surveys&topic=offers");
      assertThat(saved.statusCode()).isEqualTo(200);
      assertThat(saved.bodyAsString()).contains("value=\"news\" aria-describedby")
        .contains("value=\"surveys\" checked aria-describedby");
    }
    assertThat(history(gateway, "sv-0")).containsExactlyInAnyOrder("news * out preference-page message",
      "surveys * in preference-page message");

    assertThat(form(url, "action=save&topic=surveys").statusCode()).isEqualTo(200);
    assertThat(form(url, "action=save&topic=surveys&topic=offers").statusCode()).isEqualTo(200);
    assertThat(history(gateway, "sv-0").subList(2, 4)).containsExactly("offers email out preference-page message",
      "offers email in preference-page message");
    assertThat(history(gateway, "sv-0")).hasSize(4);
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions WHERE address = 'sv-0@example.com'"))
      .isZero();
  }

  @Test
  @DisplayName("A POST that is neither RFC 8058's body nor the page's form, or names an unknown topic, is 400; a bad token or one of no message is 404; nothing changes")
  void badPostsChangeNothing() throws Exception {
    Map<String, JsonObject> emails = send(gateway, acme, "bad", "news", new JsonArray().add(recipient("bd-0", "en")));
    String url = emails.get("bd-0").getString("list_unsubscribe");
    String before = state(gateway);
    Map<String, String> bad = Map.of(
      "", "unsubscribe-form-invalid",
      "List-Unsubscribe=Two-Clicks", "unsubscribe-form-invalid",
      "List-Unsubscribe=One-Click&topic=news", "unsubscribe-form-invalid",
      "action=subscribe", "unsubscribe-form-invalid",
      "action=save&topic=news&topic=gossip", "unknown-topic");
    bad.forEach((body, type) -> {
      HttpResponse<Buffer> refused = form(url, body);
      assertThat(refused.statusCode()).as(body).isEqualTo(400);
      assertThat(refused.getHeader("Content-Type")).as(body).startsWith("application/problem+json");
      assertThat(refused.bodyAsJsonObject().getString("type")).as(body).isEqualTo("urn:relay:problem:" + type);
    });
    // A token that does not verify, or names no message (signed by this gateway's key), is 404 before any body.
    String token = url.substring(url.lastIndexOf('/') + 1);
    String tampered = url.substring(0, url.lastIndexOf('/') + 1) + token.substring(0, token.length() - 1)
      + (token.endsWith("A") ? "B" : "A");
    TrackingTokens keys = TrackingTokens.fromSetting(gateway.config().string(Setting.TRACKING_KEYS));
    long messageId = gateway.database().count("SELECT id FROM messages WHERE recipient_id = 'bd-0'");
    assertThat(await(gateway.get("/u/" + keys.unsubscribe(messageId), null).send()).statusCode())
      .as("the gateway's own key signs a page that opens").isEqualTo(200);
    String unknown = url.substring(0, url.lastIndexOf('/') + 1) + keys.unsubscribe(999_999_999L);
    for (String link : List.of(tampered, unknown)) {
      assertThat(await(gateway.get(TrackingTest.path(link), null).send()).statusCode()).as(link).isEqualTo(404);
      for (String body : List.of(RFC_8058_BODY, "action=everything", "action=save")) {
        assertThat(form(link, body).statusCode()).as("%s %s", link, body).isEqualTo(404);
      }
    }
    assertThat(state(gateway)).isEqualTo(before);
  }
}
