package dev.relay.gateway.track;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** The preference page's HTML without a gateway: languages, escaping of the tenant's words, the shipped words. */
class PreferencePageRenderTest {

  private final PreferencePage page = PreferencePage.load();

  @Test
  @DisplayName("tr, tr-TR and tr_TR are Turkish; every other locale (trv, Taroko, too), and none, is English")
  void languages() {
    assertThat(List.of("tr", "tr-TR", "TR_tr", "tr-CY")).allMatch(l -> PreferencePage.language(l).equals("tr"));
    assertThat(List.of("en", "en-GB", "de-DE", "az", "trv", "")).allMatch(l -> PreferencePage.language(l).equals("en"));
    assertThat(PreferencePage.language(null)).isEqualTo("en");
  }

  @Test
  @DisplayName("a topic's name, title and description, written by the tenant, are escaped: no markup gets through")
  void escapesTheTenantsWords() {
    String html = page.choices("en", List.of(new PreferencePage.Topic("a\"b", "<script>alert(1)</script>",
      "Tom & Jerry's <b>deals</b>", true, true)), false);
    assertThat(html).doesNotContain("<script>").doesNotContain("<b>")
      .contains("value=\"a&quot;b\" checked aria-describedby=\"topic-0-desc\">")
      .contains("<label for=\"topic-0\">&lt;script&gt;alert(1)&lt;/script&gt; <span class=\"current\">")
      .contains("<p class=\"desc\" id=\"topic-0-desc\">Tom &amp; Jerry&#39;s &lt;b&gt;deals&lt;/b&gt;</p>");
    assertThat(page.unsubscribedFromTopic("tr", "<i>x</i>"))
      .contains("<h1 id=\"done\">&lt;i&gt;x&lt;/i&gt; konusundaki e-postalardan çıktınız.</h1>");
  }

  @Test
  @DisplayName("a tenant without topics gets a page that says so, still with the way to unsubscribe from everything")
  void noTopics() {
    String html = page.choices("tr", List.of(), true);
    assertThat(html).startsWith("<!doctype html><html lang=\"tr\">").contains("<p>Seçilecek bir konu yok.</p>")
      .contains("<p role=\"status\" id=\"saved\">").contains("id=\"unsubscribe\"").doesNotContain("type=\"checkbox\"");
  }

  @Test
  @DisplayName("English and Turkish ship the same words")
  void sameWords() throws Exception {
    assertThat(words("tr").stringPropertyNames()).isEqualTo(words("en").stringPropertyNames());
    assertThat(words("tr").getProperty("everything")).isEqualTo("Tüm e-postalardan çık");
  }

  private static Properties words(String language) throws Exception {
    Properties properties = new Properties();
    try (Reader reader = new InputStreamReader(PreferencePage.class.getResourceAsStream(
      "/preference-page/" + language + ".properties"), StandardCharsets.UTF_8)) {
      properties.load(reader);
    }
    return properties;
  }
}
