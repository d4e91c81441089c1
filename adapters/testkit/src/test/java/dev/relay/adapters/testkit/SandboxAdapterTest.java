package dev.relay.adapters.testkit;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class SandboxAdapterTest {

  @Test
  @DisplayName("ServiceLoader finds one sandbox adapter per channel, named sandbox-<channel>")
  void discovery() {
    Map<String, Channel> found = new HashMap<>();
    for (Adapter adapter : ServiceLoader.load(Adapter.class)) {
      if (adapter.name().startsWith("sandbox-")) {
        found.put(adapter.name(), adapter.channel());
      }
    }
    assertThat(found).containsOnly(
      Map.entry("sandbox-email", Channel.EMAIL),
      Map.entry("sandbox-sms", Channel.SMS),
      Map.entry("sandbox-push", Channel.PUSH),
      Map.entry("sandbox-chat", Channel.CHAT),
      Map.entry("sandbox-webhook", Channel.WEBHOOK));
  }

  @Test
  @DisplayName("A missing or malformed setting stops the account from opening with a message naming it")
  void settings(Vertx vertx) {
    Adapter adapter = new SandboxAdapter.Sms();
    assertThatThrownBy(() -> adapter.open(vertx, account(new JsonObject())))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'url'");
    assertThatThrownBy(() -> adapter.open(vertx, account(new JsonObject().put("url", "ftp://example.com"))))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'url'");
    assertThatThrownBy(() -> adapter.open(vertx, account(new JsonObject().put("url", "http://127.0.0.1:1")
      .put("timeout-ms", "soon")))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'timeout-ms'");
    assertThatThrownBy(() -> adapter.open(vertx, account(new JsonObject().put("url", "http://127.0.0.1:1")
      .put("max-connections", 0)))).isInstanceOf(IllegalArgumentException.class)
      .hasMessageContaining("'max-connections'");
    assertThat(adapter.open(vertx, account(new JsonObject().put("url", "http://127.0.0.1:1/")
      .put("timeout-ms", 500).put("max-connections", "4"))).settings().name()).isEqualTo("sms");
  }

  private static AccountSettings account(JsonObject settings) {
    return new AccountSettings("sms", "sandbox-sms", settings);
  }
}
