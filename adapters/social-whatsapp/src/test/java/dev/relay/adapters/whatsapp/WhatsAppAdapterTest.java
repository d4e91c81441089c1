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

    ProviderAccount opened = adapter.open(vertx, account(valid));
    assertThat(opened.webhooks()).isPresent();
    assertThat(opened.toString()).doesNotContain(TOKEN).doesNotContain(APP_SECRET);
    assertThat(WhatsAppSettings.of(account(valid)).toString()).doesNotContain(TOKEN).doesNotContain(APP_SECRET);
    opened.close();
    ProviderAccount noWebhooks = adapter.open(vertx, account(without(valid, "app-secret")));
    assertThat(noWebhooks.webhooks()).isEmpty();
    noWebhooks.close();
  }

  @Test
  @DisplayName("The body is a template message; language falls back to the locale; bad content names the field")
  void body() {
    OutboundMessage message = message(new JsonObject().put("template", "order_shipped").put("language", "tr")
      .put("parameters", new JsonArray().add("Ayşe").add("TR-123")), "tr-TR");

    assertThat(WhatsAppAccount.body(message)).isEqualTo(new JsonObject()
      .put("messaging_product", "whatsapp")
      .put("to", "+905551112233")
      .put("type", "template")
      .put("template", new JsonObject().put("name", "order_shipped").put("language", new JsonObject().put("code", "tr"))
        .put("components", new JsonArray().add(new JsonObject().put("type", "body").put("parameters", new JsonArray()
          .add(new JsonObject().put("type", "text").put("text", "Ayşe"))
          .add(new JsonObject().put("type", "text").put("text", "TR-123")))))));
    assertThat(WhatsAppAccount.body(message(new JsonObject().put("template", "hello"), "en-US"))
      .getJsonObject("template")).isEqualTo(new JsonObject().put("name", "hello")
      .put("language", new JsonObject().put("code", "en_US")));

    assertThatThrownBy(() -> WhatsAppAccount.body(message(new JsonObject().put("language", "tr"), null)))
      .hasMessageContaining("'template'");
    assertThatThrownBy(() -> WhatsAppAccount.body(message(new JsonObject().put("template", "hello"), null)))
      .hasMessageContaining("'language'");
    assertThatThrownBy(() -> WhatsAppAccount.body(message(new JsonObject().put("template", "hello")
      .put("parameters", new JsonArray().add(1)), "tr"))).hasMessageContaining("'parameters'");
    assertThatThrownBy(() -> WhatsAppAccount.body(message(new JsonObject().put("template", "hello")
      .put("parameters", "Ayşe"), "tr"))).hasMessageContaining("'parameters'");
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
