package dev.relay.gateway.track;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Chromium;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A recipient's browser on the preference page: headless Chromium, driven by the keyboard alone (Tab, Space,
 * Enter as key events, no script of the page's: it has none), in Turkish and in English.
 */
class BrowserPreferencePageTest {

  private static final String CHECKBOXES = "Array.from(document.querySelectorAll('input[type=checkbox]'))";

  @Test
  @DisplayName("In Chromium, the page is labelled in the recipient's language; by keyboard a recipient saves choices and unsubscribes from everything")
  void keyboard() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (TestGateway gateway = TestGateway.start(Map.of(Setting.HTTP_PORT, Integer.toString(port),
           Setting.HTTP_PUBLIC_BASE_URL, "http://127.0.0.1:" + port));
         Chromium chromium = Chromium.start(gateway.vertx())) {
      String acme = gateway.apiKey("acme");
      gateway.putTemplate(acme, "engage", TrackingTest.template());
      PreferencePageTest.topics(gateway, acme);
      Map<String, JsonObject> emails = PreferencePageTest.send(gateway, acme, "browsing", "news", new JsonArray()
        .add(PreferencePageTest.recipient("bp-tr", "tr-TR")).add(PreferencePageTest.recipient("bp-en", "en-GB")));
      chromium.send("Emulation.setFocusEmulationEnabled", new JsonObject().put("enabled", true));

      chromium.navigate(emails.get("bp-tr").getString("list_unsubscribe"));
      chromium.waitFor("the Turkish page", "document.readyState === 'complete' && document.getElementById('save') !== null");
      assertThat(chromium.evaluate("document.documentElement.lang")).isEqualTo("tr");
      assertThat(chromium.evaluate("document.title")).isEqualTo("E-posta tercihleriniz");
      assertThat(chromium.evaluate("document.scripts.length")).isEqualTo(0);
      assertThat(chromium.evaluate("document.querySelector('fieldset > legend').textContent")).isEqualTo("Konular");
      assertThat(chromium.evaluate(CHECKBOXES + ".every(i => i.labels.length === 1 && i.closest('fieldset') !== null)"))
        .isEqualTo(true);
      assertThat(chromium.evaluate(CHECKBOXES + ".map(i => i.value + '=' + i.checked + ':' + i.labels[0].textContent)"
        + ".join('|')")).isEqualTo("news=true:Bülten (geldiğiniz e-postanın konusu)|offers=true:offers"
        + "|surveys=false:Anketler");
      assertThat(chromium.evaluate("document.getElementById('topic-0').getAttribute('aria-describedby')"))
        .isEqualTo("topic-0-desc");

      press(chromium, Key.TAB);
      assertThat(chromium.evaluate("document.activeElement.value")).isEqualTo("news");
      press(chromium, Key.SPACE);
      press(chromium, Key.TAB);
      press(chromium, Key.TAB);
      assertThat(chromium.evaluate("document.activeElement.value")).isEqualTo("surveys");
      press(chromium, Key.SPACE);
      assertThat(chromium.evaluate(CHECKBOXES + ".map(i => i.checked).join()")).isEqualTo("false,true,true");
      assertThat(PreferencePageTest.history(gateway, "bp-tr")).as("nothing before the form is sent").isEmpty();
      press(chromium, Key.TAB);
      assertThat(chromium.evaluate("document.activeElement.id")).isEqualTo("save");
      press(chromium, Key.ENTER);
      chromium.waitFor("the saved page", "document.getElementById('saved') !== null");
      assertThat(chromium.evaluate("document.getElementById('saved').textContent")).isEqualTo("Seçimleriniz kaydedildi.");
      assertThat(chromium.evaluate(CHECKBOXES + ".map(i => i.checked).join()")).isEqualTo("false,true,true");
      assertThat(PreferencePageTest.history(gateway, "bp-tr")).containsExactlyInAnyOrder(
        "news * out preference-page message", "surveys * in preference-page message");
      assertThat(gateway.database().count("SELECT count(*) FROM suppressions")).isZero();

      chromium.navigate(emails.get("bp-en").getString("list_unsubscribe"));
      chromium.waitFor("the English page", "document.readyState === 'complete' "
        + "&& document.documentElement.lang === 'en' && document.getElementById('unsubscribe') !== null");
      assertThat(chromium.evaluate("document.querySelector('fieldset > legend').textContent")).isEqualTo("Topics");
      assertThat(chromium.evaluate("document.querySelector('label[for=topic-0]').textContent"))
        .isEqualTo("Newsletter (the topic of the email you came from)");
      for (int i = 0; i < 5; i++) {
        press(chromium, Key.TAB);
      }
      assertThat(chromium.evaluate("document.activeElement.textContent")).isEqualTo("Unsubscribe from everything");
      press(chromium, Key.ENTER);
      chromium.waitFor("the confirmation", "document.getElementById('done') !== null");
      assertThat(chromium.evaluate("document.getElementById('done').textContent"))
        .isEqualTo("You are unsubscribed from everything.");
      assertThat(PreferencePageTest.history(gateway, "bp-en")).containsExactly("* * out preference-page message");
      assertThat(gateway.database().count("SELECT count(*) FROM suppressions WHERE address = 'bp-en@example.com' "
        + "AND reason = 'unsubscribed' AND source = 'unsubscribe-link'")).isEqualTo(1);

      chromium.evaluate("document.getElementById('back').click()");
      chromium.waitFor("the page again", "document.getElementById('save') !== null");
      assertThat(chromium.evaluate(CHECKBOXES + ".some(i => i.checked)")).isEqualTo(false);
    }
  }

  private enum Key {
    TAB("Tab", "Tab", 9, null), SPACE(" ", "Space", 32, " "), ENTER("Enter", "Enter", 13, "\r");

    final String key;
    final String code;
    final int keyCode;
    final String text;

    Key(String key, String code, int keyCode, String text) {
      this.key = key;
      this.code = code;
      this.keyCode = keyCode;
      this.text = text;
    }
  }

  /** A key pressed and released, as the keyboard sends it (Chromium DevTools' Input.dispatchKeyEvent). */
  private static void press(Chromium chromium, Key key) {
    JsonObject event = new JsonObject().put("key", key.key).put("code", key.code)
      .put("windowsVirtualKeyCode", key.keyCode).put("nativeVirtualKeyCode", key.keyCode);
    JsonObject down = event.copy().put("type", key.text == null ? "rawKeyDown" : "keyDown");
    if (key.text != null) {
      down.put("text", key.text).put("unmodifiedText", key.text);
    }
    chromium.send("Input.dispatchKeyEvent", down);
    chromium.send("Input.dispatchKeyEvent", event.put("type", "keyUp"));
  }
}
