package dev.relay.adapters.sms;

import dev.relay.adapters.sms.SmsSegments.Count;
import dev.relay.adapters.sms.SmsSegments.Encoding;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class SmsSegmentsTest {

  @Test
  @DisplayName("The whole GSM 7-bit default alphabet is one septet each")
  void basicAlphabet() {
    String basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
      + "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    assertThat(SmsSegments.count(basic)).isEqualTo(new Count(Encoding.GSM_7, 1, basic.length()));
  }

  @ParameterizedTest(name = "{0} takes two septets")
  @ValueSource(strings = {"€", "[", "]", "{", "}", "^", "~", "|", "\\", "\f"})
  @DisplayName("Extension-table characters stay GSM-7 but count double")
  void extensionTable(String c) {
    assertThat(SmsSegments.count(c)).isEqualTo(new Count(Encoding.GSM_7, 1, 2));
    assertThat(SmsSegments.count("a".repeat(158) + c)).isEqualTo(new Count(Encoding.GSM_7, 1, 160));
    assertThat(SmsSegments.count("a".repeat(159) + c)).isEqualTo(new Count(Encoding.GSM_7, 2, 161));
  }

  @ParameterizedTest(name = "{0} forces UCS-2")
  @ValueSource(strings = {"ş", "ğ", "ı", "İ", "ç", "á", "ê", "`", "—", "“", "😀", "中"})
  @DisplayName("A character outside GSM-7 makes the whole text UCS-2")
  void outsideGsm(String c) {
    Count count = SmsSegments.count("Merhaba " + c);

    assertThat(count.encoding()).isEqualTo(Encoding.UCS_2);
    assertThat(count.units()).isEqualTo(8 + c.length());
  }

  @Test
  @DisplayName("GSM-7: 160 septets are one segment, 161 two, 306 two, 307 three")
  void gsmBoundaries() {
    assertThat(SmsSegments.count("a".repeat(160))).isEqualTo(new Count(Encoding.GSM_7, 1, 160));
    assertThat(SmsSegments.count("a".repeat(161))).isEqualTo(new Count(Encoding.GSM_7, 2, 161));
    assertThat(SmsSegments.count("a".repeat(306))).isEqualTo(new Count(Encoding.GSM_7, 2, 306));
    assertThat(SmsSegments.count("a".repeat(307))).isEqualTo(new Count(Encoding.GSM_7, 3, 307));
    assertThat(SmsSegments.count("a".repeat(459))).isEqualTo(new Count(Encoding.GSM_7, 3, 459));
    assertThat(SmsSegments.count("a".repeat(460))).isEqualTo(new Count(Encoding.GSM_7, 4, 460));
  }

  @Test
  @DisplayName("UCS-2: 70 units are one segment, 71 two, 134 two, 135 three")
  void ucs2Boundaries() {
    assertThat(SmsSegments.count("ş".repeat(70))).isEqualTo(new Count(Encoding.UCS_2, 1, 70));
    assertThat(SmsSegments.count("ş".repeat(71))).isEqualTo(new Count(Encoding.UCS_2, 2, 71));
    assertThat(SmsSegments.count("ş".repeat(134))).isEqualTo(new Count(Encoding.UCS_2, 2, 134));
    assertThat(SmsSegments.count("ş".repeat(135))).isEqualTo(new Count(Encoding.UCS_2, 3, 135));
  }

  @Test
  @DisplayName("An emoji is two UTF-16 units, and a segment boundary never splits it")
  void surrogatePairs() {
    assertThat(SmsSegments.count("😀".repeat(35))).isEqualTo(new Count(Encoding.UCS_2, 1, 70));
    assertThat(SmsSegments.count("😀".repeat(36))).isEqualTo(new Count(Encoding.UCS_2, 2, 72));
    // 66 units then an emoji: 68 units would straddle the 67-unit boundary, so the emoji moves on.
    assertThat(SmsSegments.count("ş".repeat(66) + "😀" + "ş".repeat(66))).isEqualTo(new Count(Encoding.UCS_2, 3, 134));
  }

  @Test
  @DisplayName("A segment boundary never splits an escape sequence")
  void escapeSequences() {
    // 152 septets then € (2): 154 would straddle the 153-septet boundary, so € opens the second segment.
    assertThat(SmsSegments.count("a".repeat(152) + "€" + "a".repeat(152))).isEqualTo(new Count(Encoding.GSM_7, 3, 306));
    assertThat(SmsSegments.count("a".repeat(151) + "€" + "a".repeat(153))).isEqualTo(new Count(Encoding.GSM_7, 2, 306));
    assertThat(SmsSegments.count("€".repeat(80))).isEqualTo(new Count(Encoding.GSM_7, 1, 160));
    assertThat(SmsSegments.count("€".repeat(81))).isEqualTo(new Count(Encoding.GSM_7, 2, 162));
  }

  @Test
  @DisplayName("An empty text is one empty SMS")
  void empty() {
    assertThat(SmsSegments.count("")).isEqualTo(new Count(Encoding.GSM_7, 1, 0));
  }
}
