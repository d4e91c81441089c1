package dev.relay.gateway.engagement;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.Eventually;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Engagement measured honestly, end to end through the real endpoints: a message rendered and sent to the
 * sandbox, its tracking links followed, and what the API then reports (campaign stats, the recipient's history
 * and ladder stage, the message's history, /metrics).
 */
@DisplayName("Honest engagement: re-marked clicks, click URLs and the ladder, end to end")
class HonestEngagementTest {

  private static final String CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    + "Chrome/120.0.0.0 Safari/537.36";
  private static final Pattern HREF = Pattern.compile("<a id=\"(\\w+)\" href=\"([^\"]*/t/c/[^\"]+)\"");
  private static final Pattern PIXEL = Pattern.compile("src=\"([^\"]*/t/o/[^\"]+)\"");
  private static final String SHOP = "https://shop.example.com/shop";
  private static final String REVIEW = "https://shop.example.com/reviews/new?stars=5";

  private static TestGateway gateway;
  private static String key;

  @BeforeAll
  static void start() {
    // The default scanner window (the clicks below come right after the send), a 1 s burst window, quick flushes.
    gateway = TestGateway.start(Map.of(Setting.TRACKING_FLUSH_MS, "100", Setting.TRACKING_BURST_MS, "1000"));
    key = gateway.apiKey("acme");
    gateway.putTemplate(key, "newsletter", new JsonObject().put("description", "links of every kind")
      .put("locales", new JsonObject().put("en", new JsonObject().put("email", new JsonObject()
        .put("subject", "News for {{first_name}}")
        .put("html", "<html><body><p>Hello {{first_name}}</p>"
          + "<p><a id=\"shop\" href=\"" + SHOP + "\">Shop</a></p>"
          + "<p><a id=\"review\" href=\"https://shop.example.com/reviews/new?stars=5\">Review us</a></p>"
          + "<p><a id=\"refer\" href=\"https://shop.example.com/refer?code={{code}}\">Invite a friend</a></p>"
          + "</body></html>")
        .put("text", "Hello {{first_name}}")))));
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  /** Sends the newsletter; the tracked links of each recipient's email by their id (shop, review, refer). */
  private static Map<String, Map<String, String>> send(String campaign, String prefix, int count) throws Exception {
    JsonObject batch = Batches.batch(campaign, prefix, count).put("template", "newsletter");
    for (Object r : batch.getJsonArray("recipients")) {
      JsonObject recipient = (JsonObject) r;
      recipient.getJsonObject("variables").put("code", "C-" + recipient.getString("id"));
    }
    HttpResponse<Buffer> accepted = gateway.postBatch(key, null, batch);
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    Eventually.until("all sent", () -> gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id LIKE '"
      + prefix + "-%' AND state = 'sent'") == count);
    Map<String, Map<String, String>> links = new HashMap<>();
    for (SandboxServer.Receipt receipt : gateway.sandbox().receipts()) {
      if (receipt.recipientId().startsWith(prefix + "-")) {
        Map<String, String> byId = new HashMap<>();
        Matcher m = HREF.matcher(receipt.content().getString("html"));
        while (m.find()) {
          byId.put(m.group(1), m.group(2));
        }
        Matcher pixel = PIXEL.matcher(receipt.content().getString("html"));
        assertThat(pixel.find()).isTrue();
        byId.put("pixel", pixel.group(1));
        assertThat(byId).containsKeys("shop", "review", "refer");
        links.put(receipt.recipientId(), byId);
      }
    }
    assertThat(links).hasSize(count);
    return links;
  }

  private static HttpResponse<Buffer> follow(String url) {
    return await(gateway.get(url.substring(url.indexOf('/', "http://".length())), null).followRedirects(false)
      .putHeader("User-Agent", CHROME).send());
  }

  private static void click(String url, String expectedTarget) {
    HttpResponse<Buffer> response = follow(url);
    assertThat(response.statusCode()).isEqualTo(302);
    assertThat(response.getHeader("Location")).isEqualTo(expectedTarget);
  }

  private static JsonObject getJson(String path) {
    HttpResponse<Buffer> response = await(gateway.get(path, key).send());
    assertThat(response.statusCode()).as(path + ": " + response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static long events(String where) {
    return gateway.database().count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE " + where);
  }

  private static double metric(String exposition, String name, String... labels) {
    double total = 0;
    for (String line : exposition.lines().toList()) {
      if (line.startsWith(name + "{") && List.of(labels).stream().allMatch(line::contains)) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  @Test
  @DisplayName("a scanner clicking two links 0.5 s apart: the first click, written human, is re-marked machine and "
    + "counts nowhere as human (stats, ladder, /metrics corrections)")
  void burstLowersEveryCounter() throws Exception {
    Map<String, String> links = send("burst", "bu", 1).get("bu-0");
    long firstAt = System.nanoTime();
    click(links.get("shop"), SHOP);
    Eventually.until("the first click written as human",
      () -> events("m.recipient_id = 'bu-0' AND e.type = 'clicked' AND e.class = 'human'") == 1);
    JsonObject before = getJson("/v1/campaigns/burst/stats").getJsonObject("total");
    assertThat(before.getJsonObject("clicked").getLong("unique_human")).as("counted while it looked human").isEqualTo(1);
    assertThat(getJson("/v1/recipients/bu-0/engagement").getString("stage")).isEqualTo("engaged");
    long waitMs = 500 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - firstAt);
    if (waitMs > 0) {
      Thread.sleep(waitMs);
    }
    click(links.get("review"), REVIEW);
    Eventually.until("both clicks machine, link-burst",
      () -> events("m.recipient_id = 'bu-0' AND e.type = 'clicked' AND e.class = 'machine' AND e.reason = 'link-burst'") == 2);

    JsonObject total = getJson("/v1/campaigns/burst/stats").getJsonObject("total");
    assertThat(total.getJsonObject("clicked").getLong("unique")).isEqualTo(1);
    assertThat(total.getJsonObject("clicked").getLong("total")).isEqualTo(2);
    assertThat(total.getJsonObject("clicked").getLong("unique_human")).isZero();
    assertThat(total.getJsonObject("clicked").getJsonObject("machine_by_reason"))
      .as("the click written human counted nowhere as machine until re-marked; now both under their reason")
      .isEqualTo(new JsonObject().put("link-burst", 2));
    assertThat(total.getJsonObject("opened").getJsonObject("machine_by_reason")).isEqualTo(new JsonObject());
    assertThat(total.getJsonObject("rates").getDouble("human_click_rate")).isEqualTo(0.0);
    assertThat(total.getJsonObject("rates").getDouble("click_rate")).isEqualTo(1.0);
    JsonObject email = getJson("/v1/campaigns/burst/stats").getJsonObject("channels").getJsonObject("email");
    assertThat(email.getJsonObject("clicked").getLong("unique_human")).isZero();

    JsonObject engagement = getJson("/v1/recipients/bu-0/engagement");
    assertThat(engagement.getString("stage")).as("a scanner's clicks, even on a review link, raise nothing")
      .isEqualTo("unengaged");

    String exposition = await(gateway.get("/metrics", null).send()).bodyAsString();
    double humanClicks = metric(exposition, "relay_tracking_events_total", "type=\"click\"", "class=\"human\"");
    double remarked = metric(exposition, "relay_tracking_remarked_total", "type=\"click\"", "from=\"human\"",
      "to=\"machine\"");
    assertThat(remarked).isGreaterThanOrEqualTo(1);
    assertThat(humanClicks - remarked).as("human clicks as the dashboards compute them")
      .isEqualTo(gateway.database().count("SELECT count(*) FROM events WHERE type = 'clicked' AND class = 'human'"));
  }

  @Test
  @DisplayName("the human click and open counts in campaign stats equal the human events, after re-marks too")
  void statsEqualTheHumanEvents() throws Exception {
    Map<String, Map<String, String>> links = send("mixed", "mx", 4);
    // mx-0: a person opens and clicks; mx-1: a scanner's burst; mx-2: a person clicks one link twice;
    // mx-3: Apple's privacy proxy opens (machine), a person clicks.
    follow(links.get("mx-0").get("pixel"));
    click(links.get("mx-0").get("shop"), SHOP);
    click(links.get("mx-1").get("shop"), SHOP);
    Eventually.until("mx-1's first click written",
      () -> events("m.recipient_id = 'mx-1' AND e.type = 'clicked'") == 1);
    click(links.get("mx-1").get("refer"), "https://shop.example.com/refer?code=C-mx-1");
    click(links.get("mx-2").get("shop"), SHOP);
    click(links.get("mx-2").get("shop"), SHOP);
    assertThat(await(gateway.get(path(links.get("mx-3").get("pixel")), null).putHeader("User-Agent", "Mozilla/5.0")
      .send()).statusCode()).isEqualTo(200);
    click(links.get("mx-3").get("review"), REVIEW);
    String campaign = "m.recipient_id LIKE 'mx-%' AND ";
    Eventually.until("every hit written", () -> events(campaign + "e.type IN ('opened', 'clicked')") == 8);
    Eventually.until("mx-1's burst re-marked",
      () -> events(campaign + "e.reason = 'link-burst'") == 2);

    JsonObject total = getJson("/v1/campaigns/mixed/stats").getJsonObject("total");
    long humanOpens = gateway.database().count("SELECT count(DISTINCT e.message_id) FROM events e JOIN messages m "
      + "ON m.id = e.message_id WHERE " + campaign + "e.type = 'opened' AND e.class = 'human'");
    long humanClicks = gateway.database().count("SELECT count(DISTINCT e.message_id) FROM events e JOIN messages m "
      + "ON m.id = e.message_id WHERE " + campaign + "e.type = 'clicked' AND e.class = 'human'");
    assertThat(humanOpens).isEqualTo(1);
    assertThat(humanClicks).isEqualTo(3);
    assertThat(total.getJsonObject("opened").getLong("unique_human")).isEqualTo(humanOpens);
    assertThat(total.getJsonObject("clicked").getLong("unique_human")).isEqualTo(humanClicks);
    assertThat(total.getJsonObject("opened").getLong("unique")).isEqualTo(2);
    assertThat(total.getJsonObject("clicked").getLong("unique")).isEqualTo(4);
    assertThat(total.getJsonObject("clicked").getLong("total")).isEqualTo(6);
    assertThat(total.getJsonObject("rates").getDouble("human_click_rate")).isEqualTo(0.75);
    assertThat(total.getJsonObject("rates").getDouble("human_open_rate")).isEqualTo(0.25);
  }

  @Test
  @DisplayName("a click keeps the URL it was sent to (fixed links and links built from variables), shown in the "
    + "recipient's and the message's history; a human click on a review or referral link makes an advocate")
  void clicksKeepTheirUrlAndMakeAdvocates() throws Exception {
    Map<String, Map<String, String>> links = send("ask", "ad", 3);
    click(links.get("ad-0").get("review"), REVIEW);
    click(links.get("ad-1").get("refer"), "https://shop.example.com/refer?code=C-ad-1");
    click(links.get("ad-2").get("shop"), SHOP);
    Eventually.until("the clicks written", () -> events("m.recipient_id LIKE 'ad-%' AND e.type = 'clicked'") == 3);

    JsonObject reviewer = getJson("/v1/recipients/ad-0/engagement");
    assertThat(reviewer.getString("stage")).isEqualTo("advocate");
    assertThat(clicked(reviewer).getString("url")).isEqualTo(REVIEW);
    assertThat(clicked(reviewer).getString("class")).isEqualTo("human");

    JsonObject referrer = getJson("/v1/recipients/ad-1/engagement");
    assertThat(referrer.getString("stage")).isEqualTo("advocate");
    assertThat(clicked(referrer).getString("url")).isEqualTo("https://shop.example.com/refer?code=C-ad-1");

    JsonObject shopper = getJson("/v1/recipients/ad-2/engagement");
    assertThat(shopper.getString("stage")).as("a click on an ordinary link is engagement, not advocacy")
      .isEqualTo("engaged");
    assertThat(clicked(shopper).getString("url")).isEqualTo(SHOP);

    long messageId = clicked(referrer).getLong("message_id");
    JsonArray history = getJson("/v1/messages/" + messageId).getJsonArray("events");
    List<String> urls = new ArrayList<>();
    for (Object e : history) {
      JsonObject event = (JsonObject) e;
      if ("clicked".equals(event.getString("type"))) {
        urls.add(event.getJsonObject("data").getString("url"));
      }
    }
    assertThat(urls).containsExactly("https://shop.example.com/refer?code=C-ad-1");
  }

  @Test
  @DisplayName("recipient and campaign ids that look like numbers are ids: 404 not found, not a 400 for a number")
  void numericLookingIdsStayStrings() {
    for (String path : List.of("/v1/recipients/-5/engagement", "/v1/recipients/+905551234567/engagement",
      "/v1/campaigns/2024.1/stats", "/v1/campaigns/-1/stats")) {
      HttpResponse<Buffer> response = await(gateway.get(path, key).send());
      assertThat(response.statusCode()).as(path + ": " + response.bodyAsString()).isEqualTo(404);
      assertThat(response.bodyAsJsonObject().getString("type")).endsWith("-not-found");
    }
  }

  private static JsonObject clicked(JsonObject engagement) {
    for (Object e : engagement.getJsonArray("history")) {
      if ("clicked".equals(((JsonObject) e).getString("type"))) {
        return (JsonObject) e;
      }
    }
    throw new AssertionError("no click in " + engagement.encode());
  }

  private static String path(String url) {
    return url.substring(url.indexOf('/', "http://".length()));
  }
}
