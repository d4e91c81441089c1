package dev.relay.adapters.fcm;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.testkit.fcm.TestServiceAccount;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ServiceLoader;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The adapter's registration and the checking of its settings. */
@ExtendWith(VertxExtension.class)
class FcmAdapterTest {

  private static TestServiceAccount serviceAccount;
  private static String json;

  @BeforeAll
  static void keys() {
    serviceAccount = TestServiceAccount.generate("relay-test");
    json = serviceAccount.json("https://oauth2.googleapis.com/token");
  }

  private static AccountSettings settings(JsonObject values) {
    return new AccountSettings("fcm-main", FcmAdapter.NAME, values);
  }

  @Test
  @DisplayName("The adapter is found by ServiceLoader as push-fcm on the push channel")
  void registered() {
    assertThat(ServiceLoader.load(Adapter.class).stream().map(ServiceLoader.Provider::get)
      .filter(a -> a.name().equals("push-fcm")).collect(Collectors.toList()))
      .singleElement().satisfies(a -> assertThat(a.channel()).isEqualTo(Channel.PUSH));
  }

  @Test
  @DisplayName("An account opens from a key file, has no webhooks, and shows no secret in toString")
  void opens(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = new FcmAdapter().open(vertx, settings(new JsonObject().put("service-account", json)));
    assertThat(account.webhooks()).isEmpty();
    assertThat(account.toString()).isEqualTo("account fcm-main (adapter push-fcm)");
    FcmSettings parsed = FcmSettings.of(vertx, settings(new JsonObject().put("service-account", json)));
    assertThat(parsed.projectId()).isEqualTo("relay-test");
    assertThat(parsed.baseUrl()).isEqualTo("https://fcm.googleapis.com");
    assertThat(parsed.toString()).contains(serviceAccount.clientEmail()).doesNotContain("PRIVATE KEY");
    account.close().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("Missing or malformed settings fail naming the setting, never quoting the key file")
  void badSettings(Vertx vertx) {
    FcmAdapter adapter = new FcmAdapter();
    assertThatThrownBy(() -> adapter.open(vertx, settings(new JsonObject())))
      .hasMessageContaining("setting 'service-account' is required");
    assertThatThrownBy(() -> adapter.open(vertx, settings(new JsonObject().put("service-account", "{secret-ish"))))
      .hasMessageContaining("setting 'service-account' is not a JSON object").hasMessageNotContaining("secret-ish")
      .hasNoCause();
    String noEmail = new JsonObject(json).put("client_email", "").encode();
    assertThatThrownBy(() -> adapter.open(vertx, settings(new JsonObject().put("service-account", noEmail))))
      .hasMessageContaining("has no field 'client_email'");
    String badKey = new JsonObject(json).put("private_key", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n")
      .encode();
    assertThatThrownBy(() -> adapter.open(vertx, settings(new JsonObject().put("service-account", badKey))))
      .hasMessageContaining("field 'private_key' is not an RSA private key").hasMessageNotContaining("c2VjcmV0")
      .hasNoCause();
    String noProject = new JsonObject(json).put("project_id", "").encode();
    assertThatThrownBy(() -> adapter.open(vertx, settings(new JsonObject().put("service-account", noProject))))
      .hasMessageContaining("setting 'project-id' is required");
    assertThatThrownBy(() -> adapter.open(vertx, settings(new JsonObject().put("service-account", json)
      .put("base-url", "ftp://x")))).hasMessageContaining("setting 'base-url' must be an absolute http or https URL");
    assertThatThrownBy(() -> adapter.open(vertx, settings(new JsonObject().put("service-account", json)
      .put("timeout-ms", 0)))).hasMessageContaining("setting 'timeout-ms' must be positive");
  }
}
