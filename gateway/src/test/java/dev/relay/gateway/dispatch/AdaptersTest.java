package dev.relay.gateway.dispatch;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.render.ShippedTemplates;
import dev.relay.gateway.render.TemplateCompiler;
import dev.relay.gateway.render.TemplateDefinition;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Adapter discovery and accounts")
class AdaptersTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    await(vertx.close());
  }

  /** An adapter that claims the name of the sandbox's email adapter. */
  public static final class Impostor implements Adapter {
    @Override
    public String name() {
      return "sandbox-email";
    }

    @Override
    public Channel channel() {
      return Channel.EMAIL;
    }

    @Override
    public ProviderAccount open(Vertx vertx, AccountSettings settings) {
      throw new IllegalStateException("never opened");
    }
  }

  @Test
  @DisplayName("finds the adapters on the class path by name: the sandbox's and webhook-http")
  void discovers() {
    Map<String, Adapter> adapters = Adapters.discover(getClass().getClassLoader());
    assertThat(adapters).containsKeys("sandbox-email", "sandbox-sms", "sandbox-push", "sandbox-chat",
      "sandbox-webhook", "webhook-http");
    assertThat(adapters.get("webhook-http").channel()).isEqualTo(Channel.WEBHOOK);
  }

  @Test
  @DisplayName("every YAML example in docs/ loads, its accounts name adapters that exist, its template compiles")
  void readmeExamples(@TempDir Path dir) throws Exception {
    StringBuilder docs = new StringBuilder();
    try (var files = Files.list(Path.of("..", "docs"))) {
      for (Path doc : files.filter(f -> f.toString().endsWith(".md")).sorted().toList()) {
        docs.append(Files.readString(doc)).append('\n');
      }
    }
    // The secret-reference example names an environment variable and a file: both are given here.
    Path secret = dir.resolve("db-password");
    Files.writeString(secret, "s3cret\n");
    Map<String, String> env = Map.of("RELAY_KEYS", "k1:" + "A".repeat(24));
    Map<String, Adapter> adapters = Adapters.discover(getClass().getClassLoader());
    int examples = 0;
    int accounts = 0;
    int templates = 0;
    for (String block : docs.toString().split("```yaml\n")) {
      if (examples++ == 0) {
        continue;
      }
      String yaml = block.substring(0, block.indexOf("```")).replace("/run/secrets/relay-db-password", secret.toString());
      if (yaml.contains("\nlocales:")) {
        // A template example (see Templates), not a config file: it must be a valid template.
        TemplateCompiler.check(TemplateDefinition.parse(ShippedTemplates.parseYaml(yaml)));
        templates++;
        continue;
      }
      Path file = dir.resolve("example-" + examples + ".yaml");
      Files.writeString(file, yaml);
      RelayConfig config = await(RelayConfig.load(vertx, file, env));
      for (Object account : config.accounts()) {
        assertThat(adapters).containsKey(((io.vertx.core.json.JsonObject) account).getString("adapter"));
        accounts++;
      }
    }
    assertThat(examples - 1).as("YAML examples in docs/").isGreaterThanOrEqualTo(4);
    assertThat(accounts).isGreaterThanOrEqualTo(7);
    assertThat(templates).as("template examples in docs/").isEqualTo(1);
  }

  @Test
  @DisplayName("two adapters of one name stop start-up with a message naming both classes")
  void duplicateName(@TempDir Path dir) throws Exception {
    Path services = dir.resolve("META-INF/services/" + Adapter.class.getName());
    Files.createDirectories(services.getParent());
    Files.writeString(services, Impostor.class.getName() + "\n");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      assertThatThrownBy(() -> Adapters.discover(loader))
        .hasMessageContaining("two adapters are named 'sandbox-email'")
        .hasMessageContaining(Impostor.class.getName());
    }
  }

  @Test
  @DisplayName("an account naming an unknown adapter, or an account name used twice, stops start-up naming it")
  void badAccounts(@TempDir Path dir) throws Exception {
    Path unknown = dir.resolve("unknown.yaml");
    Files.writeString(unknown, "accounts:\n  - name: mail-eu\n    adapter: email-carrier-pigeon\n");
    RelayConfig config = await(RelayConfig.load(vertx, unknown, Map.of()));
    Map<String, Adapter> adapters = Adapters.discover(getClass().getClassLoader());
    assertThatThrownBy(() -> Accounts.open(vertx, config, adapters, new JsonArray()))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("account 'mail-eu' names adapter 'email-carrier-pigeon', which is not on the class path");

    Path twice = dir.resolve("twice.yaml");
    Files.writeString(twice, "accounts:\n"
      + "  - {name: a, adapter: sandbox-email, settings: {url: 'http://127.0.0.1:1'}}\n"
      + "  - {name: a, adapter: sandbox-sms, settings: {url: 'http://127.0.0.1:1'}}\n");
    RelayConfig config2 = await(RelayConfig.load(vertx, twice, Map.of()));
    assertThatThrownBy(() -> Accounts.open(vertx, config2, adapters, new JsonArray()))
      .hasMessage("account name 'a' is used twice");
  }
}
