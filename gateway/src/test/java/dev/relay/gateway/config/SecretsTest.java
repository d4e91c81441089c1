package dev.relay.gateway.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Secret references in account settings")
class SecretsTest {

  @Test
  @DisplayName("${env:NAME} and ${file:/path} are replaced by the variable and the file's content; others stay")
  void resolves(@TempDir Path dir) throws Exception {
    Path key = dir.resolve("key.pem");
    Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n");
    JsonObject settings = new JsonObject()
      .put("url", "https://example.com")
      .put("secret", "${env:HOOK_SECRET}")
      .put("nested", new JsonObject().put("private-key", "${file:" + key + "}"))
      .put("port", 587);

    JsonObject resolved = Secrets.resolve("crm", settings, Map.of("HOOK_SECRET", "whsec_xyz"));

    assertThat(resolved.getString("url")).isEqualTo("https://example.com");
    assertThat(resolved.getString("secret")).isEqualTo("whsec_xyz");
    assertThat(resolved.getJsonObject("nested").getString("private-key"))
      .isEqualTo("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----");
    assertThat(resolved.getInteger("port")).isEqualTo(587);
  }

  @Test
  @DisplayName("an unset variable, an unreadable file or an unknown kind fails naming the account and setting")
  void failsNamingTheSetting(@TempDir Path dir) {
    assertThatThrownBy(() -> Secrets.resolve("crm", new JsonObject().put("secret", "${env:NOPE}"), Map.of()))
      .isInstanceOf(ConfigException.class)
      .hasMessage("account 'crm': setting 'secret' names environment variable NOPE, which is not set");
    assertThatThrownBy(() -> Secrets.resolve("crm", new JsonObject().put("key", "${file:" + dir.resolve("none") + "}"),
      Map.of()))
      .hasMessageContaining("setting 'key' names file").hasMessageContaining("cannot be read");
    assertThatThrownBy(() -> Secrets.resolve("crm", new JsonObject().put("key", "${vault:x}"), Map.of()))
      .hasMessageContaining("unknown kind");
  }
}
