package dev.relay.adapters.apns;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.testkit.apns.TestSigningKey;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The adapter's registration, the checking of its settings and the building of pushes. */
@ExtendWith(VertxExtension.class)
class ApnsAdapterTest {

  private static TestSigningKey key;

  @BeforeAll
  static void keys() {
    key = TestSigningKey.generate("TEAM123456");
  }

  private static JsonObject valid() {
    return new JsonObject().put("team-id", key.teamId()).put("key-id", key.keyId())
      .put("private-key", key.privateKeyPem()).put("topic", "dev.relay.demo");
  }

  private static AccountSettings settings(JsonObject values) {
    return new AccountSettings("apns-main", ApnsAdapter.NAME, values);
  }

  @Test
  @DisplayName("The adapter is found by ServiceLoader as push-apns on the push channel")
  void registered() {
    assertThat(ServiceLoader.load(Adapter.class).stream().map(ServiceLoader.Provider::get)
      .filter(a -> a.name().equals("push-apns")).collect(Collectors.toList()))
      .singleElement().satisfies(a -> assertThat(a.channel()).isEqualTo(Channel.PUSH));
  }

  @Test
  @DisplayName("An account opens against production by default, has no webhooks, and shows no key")
  void opens(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = new ApnsAdapter().open(vertx, settings(valid()));
    assertThat(account.webhooks()).isEmpty();
    assertThat(account.toString()).isEqualTo("account apns-main (adapter push-apns)");
    ApnsSettings parsed = ApnsSettings.of(settings(valid()));
    assertThat(parsed.baseUrl()).isEqualTo("https://api.push.apple.com");
    assertThat(parsed.toString()).doesNotContain("PRIVATE KEY");
    account.close().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("Missing or malformed settings fail naming the setting, never quoting the key")
  void badSettings(Vertx vertx) {
    ApnsAdapter adapter = new ApnsAdapter();
    for (String required : new String[] {"team-id", "key-id", "private-key", "topic"}) {
      JsonObject values = valid();
      values.remove(required);
      assertThatThrownBy(() -> adapter.open(vertx, settings(values)))
        .hasMessageContaining("setting '" + required + "' is required");
    }
    assertThatThrownBy(() -> adapter.open(vertx, settings(valid().put("private-key",
      "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"))))
      .hasMessageContaining("setting 'private-key' is not an EC P-256 private key").hasMessageNotContaining("c2VjcmV0")
      .hasNoCause();
    assertThatThrownBy(() -> adapter.open(vertx, settings(valid().put("base-url", "http://api.push.apple.com"))))
      .hasMessageContaining("setting 'base-url' must be an absolute https URL");
    assertThatThrownBy(() -> adapter.open(vertx, settings(valid().put("ca-cert", "not a certificate"))))
      .hasMessageContaining("setting 'ca-cert' is not a PEM X.509 certificate");
    assertThatThrownBy(() -> adapter.open(vertx, settings(valid().put("key-id", "AB/CD"))))
      .hasMessageContaining("setting 'key-id' must be letters and digits only");
  }

  @Test
  @DisplayName("The apns-id is a name-based UUID of the idempotency key, the same on every attempt")
  void stableApnsId() {
    JsonObject content = new JsonObject().put("title", "t");
    ApnsPush first = ApnsPush.of(ApnsDeliveryTest.message(7, ApnsDeliveryTest.TOKEN, content));
    ApnsPush retry = ApnsPush.of(new OutboundMessage(7, "relay-7", 3, "acme", "welcome", "u-7",
      ApnsDeliveryTest.TOKEN, null, content));
    assertThat(first.apnsId()).isEqualTo(retry.apnsId())
      .isEqualTo(UUID.nameUUIDFromBytes("relay-7".getBytes(StandardCharsets.UTF_8)).toString());
  }

  @Test
  @DisplayName("Malformed content fields are refused naming the field")
  void badContent() {
    assertThatThrownBy(() -> ApnsPush.of(ApnsDeliveryTest.message(1, ApnsDeliveryTest.TOKEN,
      new JsonObject().put("title", "t").put("push_type", "shout"))))
      .hasMessageStartingWith("content field 'push_type' must be one of ");
    assertThatThrownBy(() -> ApnsPush.of(ApnsDeliveryTest.message(1, ApnsDeliveryTest.TOKEN,
      new JsonObject().put("title", "t").put("priority", 7)))).hasMessage("content field 'priority' must be 10, 5 or 1");
    assertThatThrownBy(() -> ApnsPush.of(ApnsDeliveryTest.message(1, ApnsDeliveryTest.TOKEN,
      new JsonObject().put("title", "t").put("data", new JsonObject().put("aps", 1)))))
      .hasMessageContaining("must not have a key 'aps'");
    assertThatThrownBy(() -> ApnsPush.of(ApnsDeliveryTest.message(1, ApnsDeliveryTest.TOKEN,
      new JsonObject().put("title", "t").put("collapse_key", "c".repeat(65)))))
      .hasMessage("content field 'collapse_key' must be at most 64 bytes for APNs");
  }
}
