package dev.relay.adapters.slack;

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
class SlackAdapterTest {

  static final String TOKEN = "xoxb-17-s3cr3t";
  static final String SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

  @Test
  @DisplayName("ServiceLoader finds social-slack on the chat channel")
  void discovery() {
    assertThat(ServiceLoader.load(Adapter.class).stream().map(ServiceLoader.Provider::get))
      .filteredOn(a -> a.name().equals("social-slack"))
      .singleElement()
      .satisfies(a -> assertThat(a.channel()).isEqualTo(Channel.CHAT));
  }

  @Test
  @DisplayName("Missing or malformed settings stop the account from opening, naming the setting, never a secret")
  void settings(Vertx vertx) {
    Adapter adapter = new SlackAdapter();
    JsonObject valid = new JsonObject().put("bot-token", TOKEN).put("signing-secret", SIGNING_SECRET);

    assertThatThrownBy(() -> adapter.open(vertx, account(new JsonObject())))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bot-token'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("bot-token", "xoxb 1\r\n"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bot-token'")
      .hasMessageNotContaining("xoxb");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("base-url", "slack.com"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'base-url'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("timeout-ms", -5))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'timeout-ms'");
    assertThatThrownBy(() -> adapter.open(vertx, account(valid.copy().put("max-connections", "many"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'max-connections'");

    ProviderAccount opened = adapter.open(vertx, account(valid));
    assertThat(opened.webhooks()).isPresent();
    assertThat(opened.toString()).doesNotContain(TOKEN).doesNotContain(SIGNING_SECRET);
    assertThat(SlackSettings.of(account(valid)).toString()).doesNotContain(TOKEN).doesNotContain(SIGNING_SECRET);
    opened.close();

    ProviderAccount withoutWebhooks = adapter.open(vertx, account(new JsonObject().put("bot-token", TOKEN)));
    assertThat(withoutWebhooks.webhooks()).as("no signing secret, no webhooks").isEmpty();
    withoutWebhooks.close();
  }

  static AccountSettings account(JsonObject settings) {
    return new AccountSettings("slack-team", "social-slack", settings);
  }
}
