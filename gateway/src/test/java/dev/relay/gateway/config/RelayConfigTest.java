package dev.relay.gateway.config;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Configuration")
class RelayConfigTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    await(vertx.close());
  }

  @Test
  @DisplayName("environment overrides the config file, which overrides the defaults")
  void precedence(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("relay.yaml");
    Files.writeString(file, "http:\n  port: 9000\ndb:\n  pool-size: 3\n  name: from_file\n");

    RelayConfig config = await(RelayConfig.load(vertx, file, Map.of("RELAY_DB_POOL_SIZE", "5")));

    assertThat(config.integer(Setting.HTTP_PORT)).isEqualTo(9000);
    assertThat(config.integer(Setting.DB_POOL_SIZE)).isEqualTo(5);
    assertThat(config.string(Setting.DB_NAME)).isEqualTo("from_file");
    assertThat(config.string(Setting.DB_HOST)).isEqualTo("localhost");
  }

  @Test
  @DisplayName("RELAY_CONFIG names the config file when --config does not")
  void configFromEnvironment(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("relay.json");
    Files.writeString(file, "{\"intake\": {\"max-recipients\": 50}}");

    RelayConfig config = await(RelayConfig.load(vertx, null, Map.of("RELAY_CONFIG", file.toString())));

    assertThat(config.integer(Setting.INTAKE_MAX_RECIPIENTS)).isEqualTo(50);
  }

  @Test
  @DisplayName("an unknown key, a wrong type or a missing file fails start-up with a message that names it")
  void errorsNameTheSetting(@TempDir Path dir) throws Exception {
    Path typo = dir.resolve("typo.yaml");
    Files.writeString(typo, "db:\n  poolsize: 3\n");
    assertThat(RelayConfig.load(vertx, typo, Map.of()).toCompletionStage().toCompletableFuture())
      .failsWithin(java.time.Duration.ofSeconds(10))
      .withThrowableThat().withMessageContaining("unknown settings: db.poolsize");

    assertThatThrownBy(() -> await(RelayConfig.load(vertx, null, Map.of("RELAY_HTTP_PORT", "eighty"))))
      .hasMessageContaining("RELAY_HTTP_PORT: 'eighty' is not a whole number");

    assertThatThrownBy(() -> await(RelayConfig.load(vertx, dir.resolve("missing.yaml"), Map.of())))
      .hasMessageContaining("missing.yaml does not exist");
  }

  @Test
  @DisplayName("secrets are masked when the configuration is described for a log line")
  void masksSecrets() {
    RelayConfig config = RelayConfig.of(Map.of(Setting.DB_PASSWORD, "hunter2",
      Setting.REDIS_URI, "redis://:s3cret@localhost:6379"));
    assertThat(config.describe().encode()).doesNotContain("hunter2").doesNotContain("s3cret");
  }

  @Test
  @DisplayName("a setting given by the environment or an override counts as given, a default does not; with() "
    + "replaces one and counts it as given")
  void givenSettings() {
    RelayConfig config = RelayConfig.of(Map.of(Setting.DB_PORT, "5433"));
    assertThat(config.given(Setting.DB_PORT)).isTrue();
    assertThat(config.given(Setting.DB_HOST)).isFalse();
    RelayConfig moved = config.with(Setting.DB_HOST, "127.0.0.1");
    assertThat(moved.string(Setting.DB_HOST)).isEqualTo("127.0.0.1");
    assertThat(moved.given(Setting.DB_HOST)).isTrue();
    assertThat(config.string(Setting.DB_HOST)).as("the original is unchanged").isEqualTo("localhost");
    assertThatThrownBy(() -> config.with(Setting.DB_PORT, "x")).hasMessageContaining("not a whole number");
  }

  @Test
  @DisplayName("the configuration reference (docs/configuration.md) lists every setting with its variable and default")
  void readmeListsEverySetting() throws Exception {
    String readme = Files.readString(Path.of("..", "docs", "configuration.md"));
    for (Setting setting : Setting.values()) {
      assertThat(readme).as("docs/configuration.md entry for " + setting.key())
        .contains("| `" + setting.key() + "` | `" + setting.envName() + "` | "
          + (setting.defaultValue().isEmpty() ? "(empty)" : "`" + setting.defaultValue() + "`") + " |");
    }
  }

  @Test
  @DisplayName("every secret setting takes ${env:NAME} and ${file:/path}, from the config file and from RELAY_* variables")
  void secretReferences(@TempDir Path dir) throws Exception {
    Path password = dir.resolve("db-password");
    Files.writeString(password, "s3cret-from-file\n");
    Path redis = dir.resolve("redis-uri");
    Files.writeString(redis, "redis://:pw@redis.internal:6379");
    String keys = "k1:" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
    Path file = dir.resolve("relay.yaml");
    Files.writeString(file, "tracking:\n  keys: \"${env:RELAY_KEYS}\"\ndb:\n  password: \"${file:" + password + "}\"\n");

    RelayConfig config = await(RelayConfig.load(vertx, file, Map.of("RELAY_KEYS", keys,
      "RELAY_REDIS_URI", "${file:" + redis + "}")));

    assertThat(config.string(Setting.TRACKING_KEYS)).isEqualTo(keys);
    assertThat(dev.relay.gateway.track.TrackingTokens.fromSetting(config.string(Setting.TRACKING_KEYS))
      .verify(dev.relay.gateway.track.TrackingTokens.fromSetting(keys).open(42))).as("the keys sign and verify")
      .get().extracting(dev.relay.gateway.track.TrackingToken::messageId).isEqualTo(42L);
    assertThat(config.string(Setting.DB_PASSWORD)).isEqualTo("s3cret-from-file");
    assertThat(config.string(Setting.REDIS_URI)).isEqualTo("redis://:pw@redis.internal:6379");
    assertThat(config.describe().encode()).doesNotContain("s3cret").doesNotContain(":pw@");
    assertThat(config.string(Setting.DB_HOST)).as("only secrets are references").isEqualTo("localhost");
  }

  @Test
  @DisplayName("a secret naming an unset variable, an unreadable file or an unknown kind fails start-up naming the setting")
  void secretReferenceErrors(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("relay.yaml");
    Files.writeString(file, "tracking:\n  keys: \"${env:RELAY_KEYS}\"\n");
    assertThatThrownBy(() -> await(RelayConfig.load(vertx, file, Map.of())))
      .hasRootCauseInstanceOf(ConfigException.class)
      .hasRootCauseMessage("setting tracking.keys (config file key tracking.keys) names environment variable RELAY_KEYS, "
        + "which is not set");

    Path missing = dir.resolve("no-such-secret");
    assertThatThrownBy(() -> await(RelayConfig.load(vertx, null, Map.of("RELAY_DB_PASSWORD", "${file:" + missing + "}"))))
      .hasRootCauseInstanceOf(ConfigException.class)
      .hasMessageContaining("setting db.password (environment variable RELAY_DB_PASSWORD) names file " + missing)
      .hasMessageContaining("cannot be read");

    assertThatThrownBy(() -> await(RelayConfig.load(vertx, null, Map.of("RELAY_REDIS_URI", "${vault:relay/redis}"))))
      .hasMessageContaining("setting redis.uri").hasMessageContaining("unknown kind");
    assertThatThrownBy(() -> RelayConfig.of(Map.of(Setting.DB_PASSWORD, "${env:RELAY_TEST_SURELY_UNSET_VARIABLE}")))
      .hasMessage("setting db.password names environment variable RELAY_TEST_SURELY_UNSET_VARIABLE, which is not set");
  }
}
