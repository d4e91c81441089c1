package dev.relay.adapters.telegram;

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
class TelegramAdapterTest {

  static final String TOKEN = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
  static final String WEBHOOK_SECRET = "wh_s3cr3t-Token";

  @Test
  @DisplayName("ServiceLoader finds social-telegram on the chat channel")
  void discovery() {
    assertThat(ServiceLoader.load(Adapter.class).stream().map(ServiceLoader.Provider::get))
      .filteredOn(a -> a.name().equals("social-telegram"))
      .singleElement()
      .satisfies(a -> assertThat(a.channel()).isEqualTo(Channel.CHAT));
  }

  @Test
  @DisplayName("Missing or malformed settings stop the account from opening, naming the setting, never a secret")
  void settings(Vertx vertx) {
    Adapter adapter = new TelegramAdapter();
    JsonObject valid = new JsonObject().put("bot-token", TOKEN).put("webhook-secret", WEBHOOK_SECRET);

    assertThatThrownBy(() -> adapter.open(vertx, account(new JsonObject())))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bot-token'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("bot-token", "AAHdq/../x"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bot-token'")
      .hasMessageNotContaining("AAHdq");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("webhook-secret", "has space"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'webhook-secret'")
      .hasMessageNotContaining("has space");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("base-url", "ftp://x"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'base-url'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("timeout-ms", 0))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'timeout-ms'");

    ProviderAccount opened = adapter.open(vertx, account(valid));
    assertThat(opened.webhooks()).isPresent();
    assertThat(opened.toString()).doesNotContain(TOKEN).doesNotContain(WEBHOOK_SECRET);
    assertThat(TelegramSettings.of(account(valid)).toString()).doesNotContain(TOKEN).doesNotContain(WEBHOOK_SECRET);
    opened.close();
    ProviderAccount noWebhooks = adapter.open(vertx, account(new JsonObject().put("bot-token", TOKEN)));
    assertThat(noWebhooks.webhooks()).isEmpty();
    noWebhooks.close();
  }

  static AccountSettings account(JsonObject settings) {
    return new AccountSettings("telegram-bot", "social-telegram", settings);
  }
}
