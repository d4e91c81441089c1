package dev.relay.adapters.whatsapp;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class WhatsAppAdapterTest {

  static final String TOKEN = "EAAG-s3cr3t-token";
  static final String NUMBER_ID = "106540352242922";
  static final String APP_SECRET = "app-s3cr3t";

  @Test
  @DisplayName("ServiceLoader finds social-whatsapp on the chat channel")
  void discovery() {
    assertThat(ServiceLoader.load(Adapter.class).stream().map(ServiceLoader.Provider::get))
      .filteredOn(a -> a.name().equals("social-whatsapp"))
      .singleElement()
      .satisfies(a -> assertThat(a.channel()).isEqualTo(Channel.CHAT));
  }

  @Test
  @DisplayName("Missing or malformed settings stop the account from opening, naming the setting, never a secret")
  void settings(Vertx vertx) {
    Adapter adapter = new WhatsAppAdapter();
    JsonObject valid = new JsonObject().put("access-token", TOKEN).put("phone-number-id", NUMBER_ID)
      .put("app-secret", APP_SECRET);

    assertThatThrownBy(() -> adapter.open(vertx, account(new JsonObject().put("phone-number-id", NUMBER_ID))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'access-token'");
    assertThatThrownBy(() -> adapter.open(vertx, account(new JsonObject().put("access-token", TOKEN))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'phone-number-id'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("phone-number-id", "../me"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'phone-number-id'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("api-version", "19"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'api-version'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("base-url", "graph.facebook.com"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'base-url'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("max-connections", 0))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'max-connections'");
    assertThatThrownBy(() -> adapter.open(vertx, account(without(valid, "app-secret").put("verify-token", "vt-1"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'verify-token'")
      .hasMessageNotContaining("vt-1");

    ProviderAccount opened = adapter.open(vertx, account(valid));
    assertThat(opened.webhooks()).isPresent();
    assertThat(opened.toString()).doesNotContain(TOKEN).doesNotContain(APP_SECRET);
    assertThat(WhatsAppSettings.of(account(valid)).toString()).doesNotContain(TOKEN).doesNotContain(APP_SECRET);
    assertThat(WhatsAppSettings.of(account(valid.copy().put("verify-token", "vt-s3cr3t"))).toString())
      .doesNotContain("vt-s3cr3t");
    opened.close();
    ProviderAccount noWebhooks = adapter.open(vertx, account(without(valid, "app-secret")));
    assertThat(noWebhooks.webhooks()).isEmpty();
    noWebhooks.close();
  }

  @Test
  @DisplayName("The body is the Cloud API's template message: the template object of WhatsApp's own SDK example passes"
    + " as it is; a language falls back to the locale; bad content names the field")
  void body() {
    // The template object of the example of WhatsApp.messages.template() in WhatsApp's Node.js SDK.
    JsonObject sdkExample = new JsonObject("{\"name\":\"Subscribe\",\"language\":{\"policy\":\"deterministic\","
      + "\"code\":\"en_US\"},\"components\":[{\"type\":\"body\",\"parameters\":[{\"type\":\"text\","
      + "\"text\":\"newsletter\"}]}]}");
    OutboundMessage message = message(new JsonObject().put("whatsapp_template", sdkExample), "tr-TR");

    assertThat(WhatsAppAccount.body(message)).isEqualTo(new JsonObject()
      .put("messaging_product", "whatsapp")
      .put("recipient_type", "individual")
      .put("to", "+905551112233")
      .put("type", "template")
      .put("template", sdkExample));
    assertThat(WhatsAppAccount.body(message(new JsonObject().put("whatsapp_template", new JsonObject()
      .put("name", "hello_world").put("language", "en_US")), null)).getJsonObject("template"))
      .isEqualTo(new JsonObject().put("name", "hello_world").put("language", new JsonObject().put("code", "en_US")));
    assertThat(WhatsAppAccount.body(message(new JsonObject().put("whatsapp_template", new JsonObject()
      .put("name", "hello_world")), "en-US")).getJsonObject("template"))
      .isEqualTo(new JsonObject().put("name", "hello_world").put("language", new JsonObject().put("code", "en_US")));

    assertThatThrownBy(() -> WhatsAppAccount.body(message(new JsonObject().put("text", "Merhaba"), "tr")))
      .hasMessageContaining("'whatsapp_template'").hasMessageContaining("24-hour");
    assertThatThrownBy(() -> WhatsAppAccount.body(message(new JsonObject().put("whatsapp_template",
      new JsonObject().put("language", "tr")), "tr"))).hasMessageContaining("name");
    assertThatThrownBy(() -> WhatsAppAccount.body(message(new JsonObject().put("whatsapp_template",
      new JsonObject().put("name", "hello_world")), null))).hasMessageContaining("language");
    assertThatThrownBy(() -> WhatsAppAccount.body(message(new JsonObject().put("whatsapp_template",
      new JsonObject().put("name", "hello_world").put("language", "tr").put("components", "body")), "tr")))
      .hasMessageContaining("components");
    assertThatThrownBy(() -> WhatsAppAccount.body(message(new JsonObject().put("whatsapp_template",
      new JsonObject().put("name", "hello_world").put("language", "tr").put("components", new JsonArray().add(
        new JsonObject().put("parameters", new JsonArray())))), "tr")))
      .hasMessageContaining("components");
  }

  private static OutboundMessage message(JsonObject content, String locale) {
    return new OutboundMessage(1, "relay-1", 1, "acme", "shipping", "u-1", "+905551112233", locale, content);
  }

  private static JsonObject without(JsonObject json, String key) {
    JsonObject copy = json.copy();
    copy.remove(key);
    return copy;
  }

  static AccountSettings account(JsonObject settings) {
    return new AccountSettings("whatsapp-tr", "social-whatsapp", settings);
  }
}
