package dev.relay.gateway.track;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.Eventually;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replays the labeled corpus ({@code classifier-corpus.json}: scanners, previews, proxies and people as published
 * sources describe them) through the real tracking endpoints of a started gateway, each case's requests timed by a
 * test clock from its message's send and sent from its client address through a trusted proxy's
 * {@code X-Forwarded-For}; then compares each event's class with its label and prints the confusion matrix, precision
 * and recall per class, and every miss.
 */
@DisplayName("Classifier corpus: labeled scanner, preview, proxy and human traffic replayed through the endpoints")
class ClassifierCorpusTest {

  private static final Pattern HREF = Pattern.compile("<a id=\"(l\\d)\" href=\"([^\"]*/t/c/[^\"]+)\"");
  private static final Pattern PIXEL = Pattern.compile("src=\"([^\"]*/t/o/[^\"]+)\"");
  private static final Pattern DECOY = Pattern.compile("href=\"([^\"]*/t/c/[^\"]+)\" style=\"display:none\"");

  /** A clock the test sets before each request. */
  private static final class TestClock extends Clock {
    final AtomicLong millis = new AtomicLong(System.currentTimeMillis());

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }
  }

  private static final TestClock CLOCK = new TestClock();
  private static TestGateway gateway;
  private static String key;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(Map.of(Setting.TRACKING_FLUSH_MS, "50", Setting.HTTP_TRUSTED_PROXIES, "127.0.0.1/32"),
      CLOCK);
    key = gateway.apiKey("acme");
    gateway.putTemplate(key, "three-links", new JsonObject().put("description", "three links")
      .put("locales", new JsonObject().put("en", new JsonObject().put("email", new JsonObject()
        .put("subject", "News for {{first_name}}")
        .put("html", "<html><body><p>Hello {{first_name}}</p>"
          + "<p><a id=\"l0\" href=\"https://shop.example.com/sign-in\">Sign in</a></p>"
          + "<p><a id=\"l1\" href=\"https://shop.example.com/sale\">Sale</a></p>"
          + "<p><a id=\"l2\" href=\"https://shop.example.com/reviews/new\">Review us</a></p></body></html>")
        .put("text", "Hello {{first_name}}")))));
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  /** One replayed request and what became of it. */
  private record Replayed(String caseId, boolean decidable, int index, JsonObject hit, String label, long messageId,
                          long at) {
  }

  @Test
  @DisplayName("machine and human precision and recall are 0.95 or more over the decidable cases; campaign stats count "
    + "exactly the human events")
  void corpus() throws Exception {
    JsonObject corpus;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("classifier-corpus.json")) {
      corpus = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    JsonArray cases = corpus.getJsonArray("cases");
    JsonObject agents = corpus.getJsonObject("user_agents");
    assertThat(cases.size()).isGreaterThanOrEqualTo(40);
    long humans = cases.stream().filter(c -> "human".equals(((JsonObject) c).getString("label"))).count();
    assertThat(humans).as("half human, half machine").isBetween(cases.size() / 2L - 3, cases.size() / 2L + 3);
    for (Object c : cases) {
      assertThat(((JsonObject) c).getJsonArray("source")).as(((JsonObject) c).getString("id") + " cites its source")
        .isNotEmpty().allMatch(s -> corpus.getJsonObject("sources").containsKey((String) s));
    }

    HttpResponse<Buffer> accepted = gateway.postBatch(key, null,
      Batches.batch("corpus", "cc", cases.size()).put("template", "three-links"));
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    Eventually.until("every message sent", () -> gateway.database().count(
      "SELECT count(*) FROM messages WHERE recipient_id LIKE 'cc-%' AND state = 'sent'") == cases.size());
    Map<String, Map<String, String>> links = links();
    Map<String, long[]> sent = sent();

    List<Replayed> replayed = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      JsonObject c = cases.getJsonObject(i);
      String recipient = "cc-" + i;
      long[] message = sent.get(recipient);
      JsonArray hits = c.getJsonArray("hits");
      for (int h = 0; h < hits.size(); h++) {
        JsonObject hit = hits.getJsonObject(h);
        long at = message[1] + Math.round(hit.getDouble("at") * 1000);
        CLOCK.millis.set(at);
        String target = switch (hit.getString("kind")) {
          case "open" -> links.get(recipient).get("pixel");
          case "decoy" -> links.get(recipient).get("decoy");
          default -> links.get(recipient).get("l" + hit.getInteger("link"));
        };
        HttpRequest<Buffer> request = webRequest(hit.getString("method"), target)
          .putHeader("X-Forwarded-For", hit.getString("ip"));
        String ua = agents.getString(hit.getString("ua"));
        if (ua != null) {
          request.putHeader("User-Agent", ua);
        } else {
          request.headers().remove("User-Agent");
        }
        HttpResponse<Buffer> response = await(request.send());
        assertThat(response.statusCode()).as(c.getString("id") + " hit " + h).isIn(200, 302);
        replayed.add(new Replayed(c.getString("id"), c.getBoolean("decidable", true), h, hit,
          hit.getString("label", c.getString("label")), message[0], at));
      }
    }
    Eventually.until("every hit written", () -> gateway.database().count(
      "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE m.recipient_id LIKE 'cc-%' "
        + "AND e.type IN ('opened', 'clicked')") == replayed.size());

    Map<String, String[]> written = events();
    // rows: label, columns: class; [0] human, [1] machine
    long[][] decidable = new long[2][2];
    long[][] apart = new long[2][2];
    List<String> misses = new ArrayList<>();
    for (Replayed r : replayed) {
      String[] event = written.get(r.messageId() + "@" + r.at());
      assertThat(event).as(r.caseId() + " hit " + r.index() + " written").isNotNull();
      int label = "human".equals(r.label()) ? 0 : 1;
      int klass = "human".equals(event[0]) ? 0 : 1;
      (r.decidable() ? decidable : apart)[label][klass]++;
      if (label != klass) {
        misses.add((r.decidable() ? "" : "[undecidable] ") + r.caseId() + " hit " + r.index() + " " + r.hit().encode()
          + ": labeled " + r.label() + ", classified " + event[0] + (event[1] == null ? "" : " (" + event[1] + ")"));
      }
    }
    double machinePrecision = ratio(decidable[1][1], decidable[0][1] + decidable[1][1]);
    double machineRecall = ratio(decidable[1][1], decidable[1][0] + decidable[1][1]);
    double humanPrecision = ratio(decidable[0][0], decidable[0][0] + decidable[1][0]);
    double humanRecall = ratio(decidable[0][0], decidable[0][0] + decidable[0][1]);
    System.out.printf("%nClassifier corpus: %d cases, %d hits%n", cases.size(), replayed.size());
    System.out.printf("decidable hits          classified human  classified machine%n");
    System.out.printf("  labeled human         %16d  %18d%n", decidable[0][0], decidable[0][1]);
    System.out.printf("  labeled machine       %16d  %18d%n", decidable[1][0], decidable[1][1]);
    System.out.printf("machine precision %.3f recall %.3f; human precision %.3f recall %.3f%n", machinePrecision,
      machineRecall, humanPrecision, humanRecall);
    System.out.printf("undecidable hits (apart): human->human %d human->machine %d machine->human %d machine->machine %d%n",
      apart[0][0], apart[0][1], apart[1][0], apart[1][1]);
    misses.forEach(m -> System.out.println("miss: " + m));

    assertThat(machinePrecision).as("machine precision; misses: %s", misses).isGreaterThanOrEqualTo(0.95);
    assertThat(machineRecall).as("machine recall; misses: %s", misses).isGreaterThanOrEqualTo(0.95);
    assertThat(humanPrecision).as("human precision; misses: %s", misses).isGreaterThanOrEqualTo(0.95);
    assertThat(humanRecall).as("human recall; misses: %s", misses).isGreaterThanOrEqualTo(0.95);

    JsonObject total = await(gateway.get("/v1/campaigns/corpus/stats", key).send()).bodyAsJsonObject()
      .getJsonObject("total");
    String campaign = "SELECT count(DISTINCT e.message_id) FROM events e JOIN messages m ON m.id = e.message_id "
      + "WHERE m.recipient_id LIKE 'cc-%' AND e.class = 'human' AND e.type = ";
    long humanOpens = gateway.database().count(campaign + "'opened'");
    long humanClicks = gateway.database().count(campaign + "'clicked'");
    assertThat(humanClicks).isPositive();
    assertThat(total.getJsonObject("opened").getLong("unique_human")).as("human opens in the stats").isEqualTo(humanOpens);
    assertThat(total.getJsonObject("clicked").getLong("unique_human")).as("human clicks in the stats")
      .isEqualTo(humanClicks);
    for (String type : List.of("opened", "clicked")) {
      JsonObject byReason = total.getJsonObject(type).getJsonObject("machine_by_reason");
      System.out.println(type + " machine_by_reason " + byReason.encode());
      Map<String, Long> shown = new HashMap<>();
      byReason.forEach(e -> shown.put(e.getKey(), ((Number) e.getValue()).longValue()));
      assertThat(shown).as(type + " machine_by_reason: the machine events by reason, re-marks moved")
        .isEqualTo(machineByReason(type));
    }
  }

  /** The campaign's machine events of a type by reason, as the database holds them. */
  private static Map<String, Long> machineByReason(String type) throws Exception {
    Map<String, Long> counts = new HashMap<>();
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT e.reason, count(*) FROM events e JOIN messages m ON m.id = e.message_id "
           + "WHERE m.recipient_id LIKE 'cc-%' AND e.class = 'machine' AND e.type = '" + type + "' GROUP BY 1")) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getLong(2));
      }
    }
    return counts;
  }

  private static double ratio(long part, long whole) {
    return whole == 0 ? 1.0 : (double) part / whole;
  }

  private static HttpRequest<Buffer> webRequest(String method, String url) {
    String path = url.substring(url.indexOf('/', "http://".length()));
    return gateway.get(path, null).method(HttpMethod.valueOf(method)).followRedirects(false);
  }

  /** The tracked links of each recipient's email: l0, l1, l2, pixel and decoy. */
  private static Map<String, Map<String, String>> links() {
    Map<String, Map<String, String>> links = new HashMap<>();
    for (SandboxServer.Receipt receipt : gateway.sandbox().receipts()) {
      if (receipt.recipientId().startsWith("cc-")) {
        String html = receipt.content().getString("html");
        Map<String, String> byId = new HashMap<>();
        Matcher m = HREF.matcher(html);
        while (m.find()) {
          byId.put(m.group(1), m.group(2));
        }
        Matcher pixel = PIXEL.matcher(html);
        Matcher decoy = DECOY.matcher(html);
        assertThat(pixel.find() && decoy.find()).isTrue();
        byId.put("pixel", pixel.group(1));
        byId.put("decoy", decoy.group(1));
        assertThat(byId).containsKeys("l0", "l1", "l2");
        links.put(receipt.recipientId(), byId);
      }
    }
    return links;
  }

  /** Each recipient's message id and when it was sent (epoch ms). */
  private static Map<String, long[]> sent() throws Exception {
    Map<String, long[]> sent = new HashMap<>();
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT m.recipient_id, m.id, m.sent_at AS at FROM messages m "
           + "WHERE m.recipient_id LIKE 'cc-%' AND m.sent_at IS NOT NULL")) {
      while (rs.next()) {
        sent.put(rs.getString(1), new long[] {rs.getLong(2), rs.getTimestamp(3).getTime()});
      }
    }
    return sent;
  }

  /** Each open and click written, by message id and time: its class and reason. */
  private static Map<String, String[]> events() throws Exception {
    Map<String, String[]> events = new HashMap<>();
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT e.message_id, e.occurred_at, e.class, e.reason FROM events e "
           + "JOIN messages m ON m.id = e.message_id WHERE m.recipient_id LIKE 'cc-%' AND e.type IN ('opened', 'clicked')")) {
      while (rs.next()) {
        events.put(rs.getLong(1) + "@" + rs.getTimestamp(2).getTime(), new String[] {rs.getString(3), rs.getString(4)});
      }
    }
    return events;
  }
}
