package dev.relay.gateway.config;

import dev.relay.gateway.dispatch.Accounts;
import dev.relay.gateway.dispatch.Adapters;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every setting of type {@code SECRET}, found from the {@link Setting} list itself so that a secret added later is
 * covered without touching this test, takes {@code ${env:NAME}} and {@code ${file:/path}}; so does every account
 * setting, as the account is opened.
 */
@DisplayName("Every secret setting takes secret references")
class SecretSettingsTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    await(vertx.close());
  }

  private static List<Setting> secrets() {
    List<Setting> secrets = Arrays.stream(Setting.values()).filter(s -> s.type() == Setting.Type.SECRET).toList();
    assertThat(secrets).as("the gateway has secret settings").isNotEmpty();
    return secrets;
  }

  /** The setting as a config file writes it: {@code db.password} as {@code db:} then {@code   password:}. */
  private static String yaml(Setting setting, String value) {
    String[] path = setting.key().split("\\.");
    StringBuilder yaml = new StringBuilder();
    for (int i = 0; i < path.length; i++) {
      yaml.append("  ".repeat(i)).append(path[i]).append(':');
      yaml.append(i == path.length - 1 ? " \"" + value + "\"\n" : "\n");
    }
    return yaml.toString();
  }

  @Test
  @DisplayName("each SECRET setting given as ${env:NAME} in its RELAY_* variable is the variable's value")
  void fromEnvironmentVariables() {
    for (Setting secret : secrets()) {
      Map<String, String> env = new HashMap<>();
      env.put(secret.envName(), "${env:TEST_SECRET_VALUE}");
      env.put("TEST_SECRET_VALUE", "env-value-of-" + secret.key());
      RelayConfig config = await(RelayConfig.load(vertx, null, env));
      assertThat(config.string(secret)).as(secret.key()).isEqualTo("env-value-of-" + secret.key());
      assertThat(config.describe().encode()).as(secret.key() + " masked").doesNotContain("env-value-of-");
    }
  }

  @Test
  @DisplayName("each SECRET setting given as ${file:/path} in the config file is the file's content")
  void fromFiles(@TempDir Path dir) throws Exception {
    for (Setting secret : secrets()) {
      Path value = dir.resolve(secret.key() + ".secret");
      Files.writeString(value, "file-value-of-" + secret.key() + "\n");
      Path file = dir.resolve(secret.key() + ".yaml");
      Files.writeString(file, yaml(secret, "${file:" + value + "}"));
      RelayConfig config = await(RelayConfig.load(vertx, file, Map.of()));
      assertThat(config.string(secret)).as(secret.key()).isEqualTo("file-value-of-" + secret.key());
    }
  }

  @Test
  @DisplayName("an account's setting given as ${file:/path} reaches the adapter as the file's content")
  void accountSettings(@TempDir Path dir) throws Exception {
    String secret = "whsec_" + Base64.getEncoder().encodeToString("a-32-byte-signing-key-for-tests!".getBytes());
    Path value = dir.resolve("hook-secret");
    Files.writeString(value, secret + "\n");
    Path file = dir.resolve("relay.yaml");
    Files.writeString(file, "accounts:\n"
      + "  - {name: crm, adapter: webhook-http, settings: {url: 'http://127.0.0.1:1/hook', secret: '${file:" + value
      + "}'}}\n");
    RelayConfig config = await(RelayConfig.load(vertx, file, Map.of()));
    Accounts accounts = Accounts.open(vertx, config, Adapters.discover(getClass().getClassLoader()), new JsonArray());
    try {
      assertThat(accounts.all()).singleElement().satisfies(crm ->
        assertThat(crm.account().settings().settings().getString("secret")).isEqualTo(secret));
    } finally {
      await(accounts.close());
    }
  }
}
