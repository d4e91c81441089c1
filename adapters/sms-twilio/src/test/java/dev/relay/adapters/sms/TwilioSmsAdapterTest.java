package dev.relay.adapters.sms;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class TwilioSmsAdapterTest {

  static final String SID = "AC" + "0123456789abcdef".repeat(2);
  static final String TOKEN = "s3cr3t-auth-token";

  @Test
  @DisplayName("ServiceLoader finds sms-twilio on the sms channel")
  void discovery() {
    assertThat(ServiceLoader.load(Adapter.class).stream().map(ServiceLoader.Provider::get))
      .filteredOn(a -> a.name().equals("sms-twilio"))
      .singleElement()
      .satisfies(a -> assertThat(a.channel()).isEqualTo(Channel.SMS));
  }

  @Test
  @DisplayName("Missing or malformed settings stop the account from opening, naming the setting, never the token")
  void settings(Vertx vertx) {
    Adapter adapter = new TwilioSmsAdapter();
    JsonObject valid = new JsonObject().put("account-sid", SID).put("auth-token", TOKEN).put("from", "+15017122661");

    assertThatThrownBy(() -> adapter.open(vertx, account(without(valid, "account-sid"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'account-sid'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("account-sid", "SK123"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'account-sid'");
    assertThatThrownBy(() -> adapter.open(vertx, account(without(valid, "auth-token"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'auth-token'");
    assertThatThrownBy(() -> adapter.open(vertx, account(without(valid, "from"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'from' or 'messaging-service-sid'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("messaging-service-sid", "MG1"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'messaging-service-sid'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("base-url", "api.twilio.com"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'base-url'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("status-callback-url", "/cb"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'status-callback-url'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("timeout-ms", "soon"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'timeout-ms'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("max-connections", 0))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'max-connections'");

    ProviderAccount opened = adapter.open(vertx, account(valid.copy().put("timeout-ms", "2500")));
    assertThat(opened.settings().name()).isEqualTo("twilio-us");
    assertThat(opened.toString()).doesNotContain(TOKEN);
    assertThat(TwilioSettings.of(account(valid)).toString()).doesNotContain(TOKEN);
    assertThat(opened.webhooks()).isPresent();
    assertThat(opened.webhooks().get().toString()).doesNotContain(TOKEN);
    opened.close();
  }

  @Test
  @DisplayName("A Messaging Service can stand in for From, and the base URL loses its trailing slash")
  void messagingService() {
    TwilioSettings settings = TwilioSettings.of(account(new JsonObject().put("account-sid", SID).put("auth-token", TOKEN)
      .put("messaging-service-sid", "MG" + "a".repeat(32)).put("base-url", "http://127.0.0.1:9/")));

    assertThat(settings.from()).isNull();
    assertThat(settings.messagesUrl()).isEqualTo("http://127.0.0.1:9/2010-04-01/Accounts/" + SID + "/Messages.json");
  }

  private static JsonObject without(JsonObject json, String key) {
    JsonObject copy = json.copy();
    copy.remove(key);
    return copy;
  }

  static AccountSettings account(JsonObject settings) {
    return new AccountSettings("twilio-us", "sms-twilio", settings);
  }
}
