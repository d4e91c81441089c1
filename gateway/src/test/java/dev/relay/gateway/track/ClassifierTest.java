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

  private final Classifier classifier = new Classifier(List.of("17.0.0.0/8", "2620:149::/32"),
    List.of("GoogleImageProxy", "YahooMailProxy"), List.of("bot", "barracuda", "python-requests"), 10_000, 2_000);

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
    assertThat(reason(true, false, false, "Mozilla/5.0 (via ggpht.com GoogleImageProxy)", "10.0.0.1"))
      .isEqualTo("image-proxy");
    assertThat(reason(false, false, false, "Barracuda Sentinel (EE)", "10.0.0.1")).isEqualTo("scanner-user-agent");
    assertThat(classifier.request(true, false, false, APPLE_MAIL, "18.0.0.1")).isEqualTo(Classifier.Verdict.HUMAN);
    assertThat(classifier.request(false, false, false, CHROME, "2620:150::1")).isEqualTo(Classifier.Verdict.HUMAN);
    assertThat(classifier.request(false, false, false, "Mozilla/5.0", "10.0.0.1").human())
      .as("a bare Mozilla/5.0 is Apple's proxy only for opens").isTrue();
    assertThat(classifier.request(false, false, false, CHROME, "not an address").human()).isTrue();
  }

  @Test
  @DisplayName("A click within the scanner window after sending is machine; later, or without a send time, it stays human")
  void afterSend() {
    assertThat(classifier.afterSend(Classifier.Verdict.HUMAN, 1_000_000 + 9_999, 1_000_000L).reason())
      .isEqualTo("soon-after-send");
    assertThat(classifier.afterSend(Classifier.Verdict.HUMAN, 1_000_000 + 10_000, 1_000_000L).human()).isTrue();
    assertThat(classifier.afterSend(Classifier.Verdict.HUMAN, 5, null).human()).isTrue();
  }

  @Test
  @DisplayName("Different links of one message clicked within the burst window are all machine; the same link twice is not")
  void bursts() {
    Classifier.Verdict h = Classifier.Verdict.HUMAN;
    List<Classifier.Click> clicks = List.of(
      new Classifier.Click(1, "5:0", 10_000, h), new Classifier.Click(1, "5:1", 11_500, h),
      new Classifier.Click(1, "5:2", 20_000, h),
      new Classifier.Click(2, "5:0", 10_000, h), new Classifier.Click(2, "5:0", 10_100, h),
      new Classifier.Click(3, "5:0", 10_000, h), new Classifier.Click(4, "5:1", 10_000, h));
    assertThat(classifier.bursts(clicks)).containsExactlyInAnyOrder(0, 1);
  }

  @Test
  @DisplayName("A proxy network that is not an IP network fails with the setting's name")
  void badNetwork() {
    assertThatThrownBy(() -> new Classifier(List.of("apple.com/8"), List.of(), List.of(), 1, 1))
      .hasMessageContaining("tracking.proxy-cidrs").hasMessageContaining("apple.com/8");
    assertThatThrownBy(() -> new Classifier(List.of("10.0.0.0/33"), List.of(), List.of(), 1, 1))
      .hasMessageContaining("10.0.0.0/33");
  }
}
