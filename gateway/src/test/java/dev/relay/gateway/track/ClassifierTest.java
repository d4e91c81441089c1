package dev.relay.gateway.track;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClassifierTest {

  private static final String CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    + "Chrome/120.0.0.0 Safari/537.36";
  private static final String APPLE_MAIL = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    + "(KHTML, like Gecko)";

  private static final Classifier.Timing TIMING = new Classifier.Timing(180_000, 2_000, 30_000, 3, 60_000);
  private final Classifier classifier = new Classifier(List.of("17.0.0.0/8", "2620:149::/32"), "",
    List.of("GoogleImageProxy", "YahooMailProxy"), List.of("barracuda"), TIMING);

  private String reason(boolean open, boolean head, boolean decoy, String ua, String ip) {
    return classifier.request(open, head, decoy, ua, ip).reason();
  }

  @Test
  @DisplayName("Request rules: HEAD, decoy, Apple proxy networks and bare UA, missing UA, image proxies, scanners")
  void requestRules() {
    assertThat(reason(false, true, false, CHROME, "10.0.0.1")).isEqualTo("head-request");
    assertThat(reason(false, false, true, CHROME, "10.0.0.1")).isEqualTo("decoy-link");
    assertThat(reason(true, false, false, APPLE_MAIL, "17.58.1.2")).isEqualTo("apple-mpp");
    assertThat(reason(true, false, false, APPLE_MAIL, "2620:149:a:1::5")).isEqualTo("apple-mpp");
    assertThat(reason(true, false, false, APPLE_MAIL, "::ffff:17.1.1.1")).isEqualTo("apple-mpp");
    assertThat(reason(true, false, false, "Mozilla/5.0", "10.0.0.1")).isEqualTo("apple-mpp");
    assertThat(reason(true, false, false, null, "10.0.0.1")).isEqualTo("no-user-agent");
    assertThat(classifier.request(true, false, false, "Mozilla/5.0 (via ggpht.com GoogleImageProxy)", "10.0.0.1"))
      .as("an image proxy is only a signal: a person's late open comes through it too")
      .isEqualTo(new Classifier.Verdict(EventClass.HUMAN, "image-proxy"));
    assertThat(reason(false, false, false, APPLE_MAIL.replace("AppleWebKit", "Version/17 Safari/1 AppleWebKit"), "17.58.1.2"))
      .as("a click through Apple's relay (iCloud Private Relay) is a person's").isNull();
    assertThat(reason(false, false, false, "Barracuda Sentinel (EE)", "10.0.0.1")).isEqualTo("scanner-user-agent");
    assertThat(classifier.request(true, false, false, APPLE_MAIL, "18.0.0.1")).isEqualTo(Classifier.Verdict.HUMAN);
    assertThat(classifier.request(false, false, false, CHROME, "2620:150::1")).isEqualTo(Classifier.Verdict.HUMAN);
    assertThat(classifier.request(false, false, false, "Mozilla/5.0", "10.0.0.1").human())
      .as("a bare Mozilla/5.0 is Apple's proxy only for opens").isTrue();
    assertThat(classifier.request(false, false, false, CHROME, "not an address").human()).isTrue();
  }

  @Test
  @DisplayName("User agents by token: crawlers' bot tokens are machine, a Cubot phone is a person; previews, headless "
    + "browsers, Office's and Apple Mail's own fetches of links are machine")
  void userAgents() {
    Classifier shipped = new Classifier(List.of(), "", List.of(), List.of(), TIMING);
    java.util.function.BiFunction<Boolean, String, String> reason =
      (open, ua) -> shipped.request(open, false, false, ua, "198.51.100.7").reason();
    for (String cubot : List.of(
      "Mozilla/5.0 (Linux; Android 10; Cubot KingKong 5 Pro) AppleWebKit/537.36 (KHTML, like Gecko) "
        + "Chrome/124.0.6367.82 Mobile Safari/537.36",
      "Mozilla/5.0 (Linux; Android 9; CUBOT_X19) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
      "Mozilla/5.0 (Linux; Android 13; Cubot KingKong Power Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        + "Version/4.0 Chrome/120.0.6099.43 Mobile Safari/537.36",
      "Mozilla/5.0 (Linux; Android 11; Cubot Note 20 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Mobile Safari/537.36")) {
      assertThat(reason.apply(false, cubot)).as(cubot).isNull();
      assertThat(reason.apply(true, cubot)).as(cubot).isNull();
    }
    assertThat(reason.apply(false, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"))
      .isEqualTo("bot-user-agent");
    assertThat(reason.apply(false, "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"))
      .isEqualTo("bot-user-agent");
    assertThat(reason.apply(false, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
      + "+https://openai.com/gptbot)")).isEqualTo("bot-user-agent");
    assertThat(reason.apply(false, "Mozilla/5.0 (compatible; SomeBot; +https://example.net)")).isEqualTo("bot-user-agent");
    assertThat(reason.apply(false, "APIs-Google (+https://developers.google.com/webmasters/APIs-Google.html)"))
      .isEqualTo("bot-user-agent");
    assertThat(reason.apply(false, "SkypeUriPreview Preview/0.5")).isEqualTo("link-preview");
    assertThat(reason.apply(false, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      + "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0 OneOutlook/1.2024.613.100")).isEqualTo("link-preview");
    assertThat(reason.apply(false, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      + "HeadlessChrome/124.0.6367.91 Safari/537.36")).isEqualTo("headless-browser");
    assertThat(reason.apply(false, "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)"))
      .isEqualTo("link-preview");
    assertThat(reason.apply(false, APPLE_MAIL)).as("Apple Mail fetching a link: its preview").isEqualTo("link-preview");
    assertThat(reason.apply(true, APPLE_MAIL)).as("Apple Mail loading the pixel from the reader's network").isNull();
    assertThat(reason.apply(false, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      + "Version/17.4 Safari/605.1.15")).as("Safari").isNull();
    assertThat(reason.apply(false, "python-requests/2.31.0")).isEqualTo("script-user-agent");
    assertThat(reason.apply(false, CHROME)).isNull();
    assertThat(reason.apply(true, "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"))
      .isEqualTo("image-proxy");
  }

  @Test
  @DisplayName("A user-agent list that is not well formed fails with its file and line")
  void badUserAgentFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("agents.tsv");
    java.nio.file.Files.writeString(file, "# comment\nlink-preview\tstrong\tclick\t(unclosed\tsource\n");
    assertThatThrownBy(() -> new Classifier(List.of(), file.toString(), List.of(), List.of(), TIMING))
      .hasMessageContaining(file.toString() + " line 2").hasMessageContaining("regular expression");
    java.nio.file.Files.writeString(file, "link-preview\tsometimes\tclick\tx\n");
    assertThatThrownBy(() -> new Classifier(List.of(), file.toString(), List.of(), List.of(), TIMING))
      .hasMessageContaining("strength must be strong or weak");
  }

  private static Classifier.Seen click(double seconds, int link, String method, String ip, String ua) {
    return new Classifier.Seen(Hit.CLICKED, link < 0 ? "decoy" : "7:" + link, method, ip, ua, (long) (seconds * 1000),
      link < 0 ? new Classifier.Verdict(EventClass.MACHINE, "decoy-link")
        : "HEAD".equals(method) ? new Classifier.Verdict(EventClass.MACHINE, "head-request") : Classifier.Verdict.HUMAN);
  }

  private List<String> judged(Classifier.Seen... hits) {
    return classifier.judge(List.of(hits), 0L).stream().map(v -> v.human() ? "human" : v.reason()).toList();
  }

  @Test
  @DisplayName("Timing alone makes nothing machine: a lone fast click, two links a second apart an hour later, the same "
    + "link twice, a late image-proxy open stay human")
  void timingAlone() {
    assertThat(judged(click(6, 0, "GET", "1.1.1.1", CHROME))).containsExactly("human");
    assertThat(judged(click(5400, 0, "GET", "1.1.1.1", CHROME), click(5401, 1, "GET", "1.1.1.1", CHROME)))
      .containsExactly("human", "human");
    assertThat(judged(click(30, 0, "GET", "1.1.1.1", CHROME), click(30.4, 0, "GET", "1.1.1.1", CHROME)))
      .containsExactly("human", "human");
    Classifier.Seen late = new Classifier.Seen(Hit.OPENED, null, "GET", "66.102.8.1", "GoogleImageProxy", 172_800_000,
      new Classifier.Verdict(EventClass.HUMAN, "image-proxy"));
    Classifier.Seen early = new Classifier.Seen(Hit.OPENED, null, "GET", "66.102.8.1", "GoogleImageProxy", 8_000,
      new Classifier.Verdict(EventClass.HUMAN, "image-proxy"));
    assertThat(classifier.judge(List.of(late), 0L).get(0).written()).isEqualTo(Classifier.Verdict.HUMAN);
    assertThat(classifier.judge(List.of(early), 0L).get(0).reason()).isEqualTo("image-proxy");
  }

  @Test
  @DisplayName("A message's traffic: a decoy taints clicks near it, a GET after its client's HEAD, a sweep of three links, "
    + "an early burst, and the swept client coming back hours later are machine; another client later is not")
  void traffic() {
    assertThat(judged(click(41, -1, "GET", "9.9.9.9", CHROME), click(42, 1, "GET", "9.9.9.9", CHROME),
      click(44, 0, "GET", "9.9.9.8", CHROME))).containsExactly("decoy-link", "decoy-taint", "decoy-taint");
    assertThat(judged(click(35, 0, "HEAD", "9.9.9.9", CHROME), click(35.4, 0, "GET", "9.9.9.9", CHROME)))
      .containsExactly("head-request", "head-then-get");
    assertThat(judged(click(35, 0, "HEAD", "9.9.9.9", "Microsoft Office/16.0"), click(35.6, 0, "GET", "9.9.9.9", CHROME)))
      .as("Office's own check, then the person's browser").containsExactly("head-request", "human");
    assertThat(judged(click(52, 0, "GET", "9.9.9.9", CHROME), click(55, 1, "GET", "9.9.9.9", CHROME),
      click(58, 2, "GET", "9.9.9.9", CHROME))).containsExactly("link-sweep", "link-sweep", "link-sweep");
    assertThat(judged(click(600, 0, "GET", "9.9.9.9", CHROME), click(900, 1, "GET", "9.9.9.9", CHROME),
      click(1500, 2, "GET", "9.9.9.9", CHROME))).containsExactly("human", "human", "human");
    assertThat(judged(click(39, 0, "GET", "9.9.9.9", CHROME), click(40.5, 2, "GET", "9.9.9.9", CHROME)))
      .containsExactly("link-burst", "link-burst");
    assertThat(judged(click(40, 0, "GET", "9.9.9.9", CHROME), click(42, 1, "GET", "9.9.9.9", CHROME),
      click(44, 2, "GET", "9.9.9.9", CHROME), click(10_800, 0, "GET", "9.9.9.9", CHROME),
      click(10_900, 1, "GET", "8.8.8.8", CHROME)))
      .containsExactly("link-sweep", "link-sweep", "link-sweep", "same-client", "human");
  }

  @Test
  @DisplayName("Published networks mark what their list says: Apple's relay egress opens only (a person's Safari click "
    + "comes from it too), Microsoft 365 EOP and Googlebot clicks only (their image proxies carry readers' opens)")
  void publishedNetworks() {
    Classifier shipped = new Classifier(List.of(), "", List.of(), List.of(), TIMING);
    assertThat(shipped.request(true, false, false, APPLE_MAIL, "146.75.168.85").reason()).isEqualTo("apple-mpp");
    assertThat(shipped.request(false, false, false, CHROME, "146.75.168.85").human()).isTrue();
    assertThat(shipped.request(true, false, false, APPLE_MAIL, "2a04:4e41:1301:8abc::1").reason()).isEqualTo("apple-mpp");
    assertThat(shipped.request(false, false, false, CHROME, "52.100.14.23").reason()).isEqualTo("scanner-network");
    assertThat(shipped.request(false, false, false, CHROME, "2a01:111:f400::9").reason()).isEqualTo("scanner-network");
    assertThat(shipped.request(true, false, false, CHROME, "52.100.14.23").human()).isTrue();
    assertThat(shipped.request(false, false, false, CHROME, "66.249.64.40").reason()).isEqualTo("crawler-network");
    assertThat(shipped.request(true, false, false, CHROME, "66.249.64.40").human()).isTrue();
    assertThat(shipped.request(false, false, false, CHROME, "35.204.1.2").human()).isTrue();
  }

  @Test
  @DisplayName("An operator's network list replaces the shipped ones; one without its date, source or marks fails naming "
    + "the file and the missing line")
  void operatorNetworkLists(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Files.writeString(dir.resolve("relay.txt"), "# name: relay\n# reason: apple-mpp\n# marks: opens\n"
      + "# date: 2026-12-01\n# source: https://mask-api.icloud.com/egress-ip-ranges.csv\n"
      + "172.224.226.0/27,GB,GB-EN,London,\n");
    java.nio.file.Files.writeString(dir.resolve("scanners.txt"), "# name: vendor\n# reason: scanner-network\n"
      + "# marks: both\n# date: 2026-12-01\n# source: vendor support page\n198.51.100.0/24\n");
    Classifier own = new Classifier(List.of(), List.of(dir.toString()), "", List.of(), List.of(), TIMING);
    assertThat(own.request(true, false, false, APPLE_MAIL, "172.224.226.5").reason()).isEqualTo("apple-mpp");
    assertThat(own.request(true, false, false, CHROME, "198.51.100.9").reason()).isEqualTo("scanner-network");
    assertThat(own.request(false, false, false, CHROME, "198.51.100.9").reason()).isEqualTo("scanner-network");
    assertThat(own.request(false, false, false, CHROME, "52.100.14.23").human()).as("the shipped lists are replaced").isTrue();
    java.nio.file.Path bad = dir.resolve("bad.list");
    java.nio.file.Files.writeString(bad, "# name: x\n# reason: y\n# marks: opens\n# source: z\n10.0.0.0/8\n");
    assertThatThrownBy(() -> new Classifier(List.of(), List.of(bad.toString()), "", List.of(), List.of(), TIMING))
      .hasMessageContaining(bad.toString()).hasMessageContaining("'# date:'");
    java.nio.file.Files.writeString(bad, "# name: x\n# reason: y\n# marks: sometimes\n# date: d\n# source: z\n");
    assertThatThrownBy(() -> new Classifier(List.of(), List.of(bad.toString()), "", List.of(), List.of(), TIMING))
      .hasMessageContaining("marks must be opens, clicks or both");
    java.nio.file.Files.writeString(bad, "# name: x\n# reason: y\n# marks: both\n# date: d\n# source: z\nexample.com/8\n");
    assertThatThrownBy(() -> new Classifier(List.of(), List.of(bad.toString()), "", List.of(), List.of(), TIMING))
      .hasMessageContaining(bad.toString()).hasMessageContaining("example.com/8");
  }

  @Test
  @DisplayName("A proxy network that is not an IP network fails with the setting's name")
  void badNetwork() {
    assertThatThrownBy(() -> new Classifier(List.of("apple.com/8"), "", List.of(), List.of(), TIMING))
      .hasMessageContaining("tracking.proxy-cidrs").hasMessageContaining("apple.com/8");
    assertThatThrownBy(() -> new Classifier(List.of("10.0.0.0/33"), "", List.of(), List.of(), TIMING))
      .hasMessageContaining("10.0.0.0/33");
  }
}
