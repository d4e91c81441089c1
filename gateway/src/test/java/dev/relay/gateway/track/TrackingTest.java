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

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tracking endpoints against a whole gateway: tokens that do not verify change nothing, and a
 * campaign's scripted opens and clicks (scanners, an Apple proxy, image proxies, people) give exactly
 * the expected raw and human counts in the events table.
 */
class TrackingTest {

  static final String CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    + "Chrome/120.0.0.0 Safari/537.36";
  static final String APPLE_MAIL = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    + "(KHTML, like Gecko)";
  static final String SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    + "Version/17.4 Safari/605.1.15";
  static final String GOOGLE_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
  private static final Pattern HREF = Pattern.compile("href=\"([^\"]*/t/c/[^\"]+)\"");
  private static final Pattern PIXEL = Pattern.compile("src=\"([^\"]*/t/o/[^\"]+)\"");
  private static final Pattern DECOY = Pattern.compile("href=\"([^\"]*/t/c/[^\"]+)\" style=\"display:none\"");

  private static TestGateway gateway;
  private static String acme;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(Map.of(Setting.TRACKING_FLUSH_MS, "100", Setting.TRACKING_SCANNER_WINDOW_SECONDS, "3",
      Setting.TRACKING_BURST_MS, "1000"));
    acme = gateway.apiKey("acme");
    gateway.putTemplate(acme, "engage", template());
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  /** An email with two static links, one whose href holds a variable, and the unsubscribe link. */
  static JsonObject template() {
    return new JsonObject().put("description", "engagement").put("list_unsubscribe", true)
      .put("locales", new JsonObject().put("en", new JsonObject().put("email", new JsonObject()
        .put("subject", "Hello {{first_name}}")
        .put("html", "<html><body><p>Hello {{first_name}}</p>"
          + "<p><a id=\"a\" href=\"https://shop.example.com/a?x=1&amp;y=2\">A</a></p>"
          + "<p><a id=\"b\" href=\"https://shop.example.com/b\">B</a></p>"
          + "<p><a id=\"c\" href=\"https://shop.example.com/p/{{points}}\">C</a></p>"
          + "<p><a id=\"u\" href=\"{{unsubscribe_url}}\">Unsubscribe</a></p></body></html>")
        .put("text", "Hello {{first_name}}"))));
  }

  /** The email as the sandbox received it, per recipient id, once every recipient's arrived. */
  static Map<String, JsonObject> send(TestGateway gateway, String key, String campaign, String prefix, int count)
    throws InterruptedException {
    JsonObject batch = Batches.batch(campaign, prefix, count).put("template", "engage");
    HttpResponse<Buffer> accepted = gateway.postBatch(key, null, batch);
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    eventually("all sent", () -> gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id LIKE '"
      + prefix + "-%' AND state = 'sent'") == count);
    Map<String, JsonObject> emails = new java.util.HashMap<>();
    for (SandboxServer.Receipt receipt : gateway.sandbox().receipts()) {
      if (receipt.recipientId().startsWith(prefix + "-")) {
        emails.put(receipt.recipientId(), receipt.content());
      }
    }
    assertThat(emails).hasSize(count);
    return emails;
  }

  static List<String> links(JsonObject email) {
    List<String> links = new ArrayList<>();
    Matcher m = HREF.matcher(email.getString("html"));
    while (m.find()) {
      links.add(m.group(1));
    }
    return links;
  }

  static String path(String url) {
    return url.substring(url.indexOf('/', "http://".length()));
  }

  private static HttpResponse<Buffer> hit(HttpMethod method, String url, String userAgent) {
    var request = gateway.get(path(url), null).method(method).followRedirects(false);
    if (userAgent != null) {
      request.putHeader("User-Agent", userAgent);
    }
    return await(request.send());
  }

  private static HttpResponse<Buffer> click(String url, String userAgent, String expectedTarget) {
    HttpResponse<Buffer> response = hit(HttpMethod.GET, url, userAgent);
    assertThat(response.statusCode()).as(url).isEqualTo(302);
    assertThat(response.getHeader("Location")).isEqualTo(expectedTarget);
    assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
    return response;
  }

  private static void open(JsonObject email, String userAgent) {
    Matcher pixel = PIXEL.matcher(email.getString("html"));
    assertThat(pixel.find()).isTrue();
    HttpResponse<Buffer> response = hit(HttpMethod.GET, pixel.group(1), userAgent);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).isEqualTo("image/gif");
    assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
    assertThat(response.body().getString(0, 6)).isEqualTo("GIF89a");
  }

  static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static long count(String where) {
    return gateway.database().count("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE "
      + where);
  }

  private static final String A = "https://shop.example.com/a?x=1&y=2";
  private static final String B = "https://shop.example.com/b";
  private static final String C = "https://shop.example.com/p/1200";

  @Test
  @DisplayName("Tampered, truncated, foreign-key, wrong-kind and unknown-link tokens are 404 and record nothing")
  void tamperedTokensChangeNothing() throws Exception {
    Map<String, JsonObject> emails = send(gateway, acme, "tamper", "tm", 1);
    JsonObject email = emails.get("tm-0");
    String click = links(email).get(0);
    String token = click.substring(click.lastIndexOf('/') + 1);
    char[] flipped = token.toCharArray();
    int middle = flipped.length / 2;
    flipped[middle] = flipped[middle] == 'A' ? 'B' : 'A';
    Matcher pixel = PIXEL.matcher(email.getString("html"));
    assertThat(pixel.find()).isTrue();
    String openToken = pixel.group(1).substring(pixel.group(1).lastIndexOf('/') + 1);
    String unsubscribe = email.getString("list_unsubscribe");
    String unsubscribeToken = unsubscribe.substring(unsubscribe.lastIndexOf('/') + 1);
    long messageId = gateway.database().count("SELECT id FROM messages WHERE recipient_id = 'tm-0'");
    TrackingTokens foreign = TrackingTokens.fromSetting("other:" + Base64.getEncoder().encodeToString(new byte[32]));
    TrackingTokens development = TrackingTokens.fromSetting("");

    List<String> bad = List.of(
      "/t/c/" + new String(flipped),
      "/t/c/" + token.substring(0, token.length() - 2),
      "/t/c/" + token + "A",
      "/t/c/" + foreign.click(messageId, "https://evil.example.com/"),
      "/t/c/" + development.click(messageId, 999_999, 0),
      "/t/c/" + development.click(messageId, Long.parseLong(gateway.database().count(
        "SELECT template_id FROM batches LIMIT 1") + ""), 57),
      "/t/c/" + openToken,
      "/t/c/" + unsubscribeToken,
      "/t/c/not-a-token!",
      "/t/o/" + new String(flipped),
      "/t/o/" + token,
      "/t/o/" + foreign.open(messageId),
      "/u/" + openToken,
      "/u/" + foreign.unsubscribe(messageId));
    for (String path : bad) {
      for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.HEAD)) {
        HttpResponse<Buffer> response = await(gateway.get(path, null).method(method).followRedirects(false)
          .putHeader("User-Agent", CHROME).send());
        assertThat(response.statusCode()).as("%s %s", method, path).isEqualTo(404);
        assertThat(response.getHeader("Location")).isNull();
      }
    }
    for (String path : List.of("/u/" + openToken, "/u/" + foreign.unsubscribe(messageId),
      "/u/" + unsubscribeToken.substring(0, unsubscribeToken.length() - 1) + "x")) {
      HttpResponse<Buffer> response = await(gateway.get(path, null).method(HttpMethod.POST)
        .putHeader("Content-Type", "application/x-www-form-urlencoded")
        .sendBuffer(Buffer.buffer("List-Unsubscribe=One-Click")));
      assertThat(response.statusCode()).as("POST %s", path).isEqualTo(404);
    }
    Thread.sleep(500);
    assertThat(count("m.recipient_id = 'tm-0' AND e.type IN ('opened', 'clicked', 'unsubscribed')")).isZero();
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions")).isZero();

    // The same message's real tokens do record: the 404s above were the tokens', not the pipeline's.
    click(click, CHROME, A);
    open(email, CHROME);
    eventually("the real hits written", () -> count("m.recipient_id = 'tm-0' AND e.type IN ('opened', 'clicked')") == 2);
  }

  @Test
  @DisplayName("A campaign's scripted scanner, proxy and human opens and clicks give exactly the expected raw and human counts")
  void scriptedCampaign() throws Exception {
    Map<String, JsonObject> emails = send(gateway, acme, "scripted", "sc", 6);
    long sentAt = System.currentTimeMillis();
    for (JsonObject email : emails.values()) {
      assertThat(links(email)).as("A, B, C and the decoy; the unsubscribe link is not a click").hasSize(4);
    }

    // Seconds after sending (within the 3 s window): a scanner follows a link and checks another with HEAD: two links
    // within the burst window, early: link-burst (timing alone would not do).
    List<String> r0 = links(emails.get("sc-0"));
    click(r0.get(0), CHROME, A);
    HttpResponse<Buffer> head = hit(HttpMethod.HEAD, r0.get(1), CHROME);
    assertThat(head.statusCode()).isEqualTo(302);
    assertThat(head.getHeader("Location")).isEqualTo(B);
    eventually("r0's two clicks written", () -> count("m.recipient_id = 'sc-0' AND e.type = 'clicked'") == 2);

    long wait = sentAt + 3_500 - System.currentTimeMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }
    // A scanner follows every link of sc-1 at once, the hidden decoy too: the decoy taints the clicks near it.
    List<String> r1 = links(emails.get("sc-1"));
    Matcher decoy = DECOY.matcher(emails.get("sc-1").getString("html"));
    assertThat(decoy.find()).isTrue();
    click(r1.get(0), CHROME, A);
    click(r1.get(1), CHROME, B);
    click(r1.get(2), CHROME, C);
    HttpResponse<Buffer> decoyHit = hit(HttpMethod.GET, decoy.group(1), CHROME);
    assertThat(decoyHit.statusCode()).isEqualTo(200);
    assertThat(decoyHit.getHeader("Location")).isNull();

    // sc-2: opened through Apple's privacy proxy; a person clicks two links within the burst window, but late: human.
    open(emails.get("sc-2"), "Mozilla/5.0");
    List<String> r2 = links(emails.get("sc-2"));
    click(r2.get(0), CHROME, A);
    eventually("sc-2's first click written as human",
      () -> count("m.recipient_id = 'sc-2' AND e.type = 'clicked' AND e.class = 'human'") == 1);
    click(r2.get(1), CHROME, B);

    // sc-3: opened through Gmail's image proxy after the scanner window: a reader's open, human.
    open(emails.get("sc-3"), GOOGLE_PROXY);

    // sc-4 and sc-5: people. The same link twice quickly is not a burst; different links further apart are not either.
    open(emails.get("sc-4"), APPLE_MAIL);
    List<String> r4 = links(emails.get("sc-4"));
    // Apple Mail opens links in Safari (its own WebKit user agent fetching a link is its link preview).
    click(r4.get(0), SAFARI, A);
    click(r4.get(0), SAFARI, A);
    open(emails.get("sc-5"), CHROME);
    List<String> r5 = links(emails.get("sc-5"));
    click(r5.get(2), CHROME, C);
    Thread.sleep(1_300);
    click(r5.get(1), CHROME, B);

    String campaign = "m.recipient_id LIKE 'sc-%' AND ";
    eventually("every hit written", () -> count(campaign + "e.type IN ('opened', 'clicked')") == 16);
    Thread.sleep(400);
    assertThat(count(campaign + "e.type = 'opened'")).isEqualTo(4);
    assertThat(count(campaign + "e.type = 'opened' AND e.class = 'human'")).isEqualTo(3);
    assertThat(count(campaign + "e.type = 'clicked'")).isEqualTo(12);
    assertThat(count(campaign + "e.type = 'clicked' AND e.class = 'human'")).isEqualTo(6);
    assertThat(count(campaign + "e.class = 'machine' AND e.reason = 'link-burst'")).isEqualTo(1);
    assertThat(count(campaign + "e.class = 'machine' AND e.reason = 'head-request'")).isEqualTo(1);
    assertThat(count(campaign + "e.class = 'machine' AND e.reason = 'decoy-taint'")).isEqualTo(3);
    assertThat(count(campaign + "e.class = 'machine' AND e.reason = 'decoy-link'")).isEqualTo(1);
    assertThat(count(campaign + "e.class = 'machine' AND e.reason = 'apple-mpp'")).isEqualTo(1);
    assertThat(count(campaign + "m.recipient_id = 'sc-2' AND e.type = 'clicked' AND e.class = 'human'")).isEqualTo(2);
    assertThat(count(campaign + "e.class = 'human' AND e.reason IS NOT NULL")).isZero();
    assertThat(count(campaign + "e.type = 'clicked' AND e.class = 'human' AND m.recipient_id IN ('sc-4', 'sc-5')"))
      .isEqualTo(4);
    assertThat(count(campaign + "e.data->>'user_agent' IS NOT NULL AND e.data->>'hit' IS NOT NULL"
      + " AND e.type IN ('opened', 'clicked')")).isEqualTo(16);
  }

  @Test
  @DisplayName("For a message without a topic, the page changes nothing; RFC 8058 one-click and \"unsubscribe from everything\" suppress the address once")
  void unsubscribe() throws Exception {
    Map<String, JsonObject> emails = send(gateway, acme, "leaving", "un", 2);
    String page = emails.get("un-0").getString("list_unsubscribe");
    assertThat(emails.get("un-0").getString("html")).contains("href=\"" + page + "\"");
    HttpResponse<Buffer> shown = await(gateway.get(path(page), null).send());
    assertThat(shown.statusCode()).isEqualTo(200);
    assertThat(shown.getHeader("Content-Type")).startsWith("text/html");
    assertThat(shown.bodyAsString()).contains("<form method=\"post\"").contains("<html lang=\"tr\">");
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions")).isZero();

    for (int i = 0; i < 2; i++) {
      HttpResponse<Buffer> done = await(gateway.get(path(page), null).method(HttpMethod.POST)
        .putHeader("Content-Type", "application/x-www-form-urlencoded")
        .sendBuffer(Buffer.buffer("List-Unsubscribe=One-Click")));
      assertThat(done.statusCode()).isEqualTo(200);
      assertThat(done.bodyAsString()).contains("<h1 id=\"done\">T\u00fcm e-postalardan \u00e7\u0131kt\u0131n\u0131z.</h1>");
    }
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions WHERE channel = 'email' AND address = "
      + "'un-0@example.com' AND reason = 'unsubscribed' AND source = 'unsubscribe-link' AND message_id IS NOT NULL"))
      .isEqualTo(1);
    assertThat(count("m.recipient_id = 'un-0' AND e.type = 'unsubscribed' AND e.reason = 'one-click' "
      + "AND e.data->>'channel' = 'email' AND (e.data->>'newly_suppressed')::boolean")).isEqualTo(1);

    String other = emails.get("un-1").getString("list_unsubscribe");
    HttpResponse<Buffer> empty = await(gateway.get(path(other), null).method(HttpMethod.POST)
      .putHeader("Content-Type", "application/x-www-form-urlencoded").sendBuffer(Buffer.buffer("")));
    assertThat(empty.statusCode()).as("neither RFC 8058's body nor the page's form").isEqualTo(400);
    assertThat(empty.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:unsubscribe-form-invalid");
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions")).isEqualTo(1);
    HttpResponse<Buffer> button = await(gateway.get(path(other), null).method(HttpMethod.POST)
      .putHeader("Content-Type", "application/x-www-form-urlencoded").sendBuffer(Buffer.buffer("action=everything")));
    assertThat(button.statusCode()).isEqualTo(200);
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions")).isEqualTo(2);
    assertThat(count("m.recipient_id = 'un-1' AND e.type = 'unsubscribed' AND e.reason = 'unsubscribe-page'"))
      .isEqualTo(1);
  }
}
