package dev.relay.adapters.testkit;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** Messages and accounts for the sandbox tests. */
final class TestMessages {

  private TestMessages() {
  }

  static OutboundMessage message(long id, String to) {
    return new OutboundMessage(id, "relay-" + id, 1, "acme", "welcome", "u-" + id, to, "tr-TR",
      new JsonObject().put("subject", "Merhaba").put("n", id));
  }

  static List<OutboundMessage> messages(long firstId, int count) {
    List<OutboundMessage> list = new ArrayList<>();
    for (long id = firstId; id < firstId + count; id++) {
      list.add(message(id, "user" + id + "@example.com"));
    }
    return list;
  }

  static ProviderAccount emailAccount(Vertx vertx, SandboxServer sandbox) {
    return emailAccount(vertx, sandbox.url(), new JsonObject());
  }

  static ProviderAccount emailAccount(Vertx vertx, String url, JsonObject extra) {
    JsonObject settings = new JsonObject().put("url", url).mergeIn(extra);
    return new SandboxAdapter.Email().open(vertx, new AccountSettings("sandbox-email", "sandbox-email", settings));
  }
}
