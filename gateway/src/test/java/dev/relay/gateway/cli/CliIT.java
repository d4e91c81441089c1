package dev.relay.gateway.cli;

import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.GatewayProcess;
import dev.relay.gateway.testing.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The relay command line")
class CliIT {

  @Test
  @DisplayName("api-key create prints a working key once; api-key revoke makes it 401; bad usage exits 2")
  void apiKeys() throws Exception {
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<String, String> env = GatewayProcess.environment(database);

      GatewayProcess.Result created = GatewayProcess.run(env, "api-key", "create", "--tenant", "acme");
      assertThat(created.exitCode()).isZero();
      String key = created.stdout().trim();
      assertThat(key).matches("rly_[a-z0-9]{12}_[A-Za-z0-9_-]{43}");
      String secret = key.substring(17);
      assertThat(database.count("SELECT count(*) FROM api_keys WHERE id = '" + key.substring(4, 16)
        + "' AND secret_hash = sha256(convert_to('" + secret + "', 'UTF8'))")).as("only the secret's hash is stored")
        .isEqualTo(1);

      try (GatewayProcess gateway = GatewayProcess.serve(env)) {
        String body = Batches.batch("cli", "cli", 2).encode();
        assertThat(gateway.post("/v1/batches", key, null, body).statusCode()).isEqualTo(202);

        GatewayProcess.Result revoked = GatewayProcess.run(env, "api-key", "revoke", key.substring(4, 16));
        assertThat(revoked.exitCode()).isZero();
        assertThat(gateway.post("/v1/batches", key, null, body).statusCode()).isEqualTo(401);
        assertThat(gateway.log()).doesNotContain(secret);
      }

      assertThat(GatewayProcess.run(env, "api-key", "revoke", "nosuchkeyid0").exitCode()).isEqualTo(1);
      assertThat(GatewayProcess.run(env, "api-key", "create").exitCode()).isEqualTo(2);
      assertThat(GatewayProcess.run(env, "no-such-command").exitCode()).isEqualTo(2);
      GatewayProcess.Result help = GatewayProcess.run(env, "--help");
      assertThat(help.exitCode()).isZero();
      assertThat(help.stdout()).contains("serve", "migrate", "api-key");
    }
  }

  @Test
  @DisplayName("migrate creates a missing database and applies the schema, and a second run applies nothing")
  void migrate() throws Exception {
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<String, String> env = GatewayProcess.environment(database);
      GatewayProcess.Result first = GatewayProcess.run(env, "migrate");
      assertThat(first.exitCode()).as(first.stderr()).isZero();
      assertThat(first.stdout()).containsPattern("\\(([1-9][0-9]*) migrations applied\\)");
      assertThat(database.count("SELECT count(*) FROM information_schema.tables WHERE table_name = 'messages'"))
        .isEqualTo(1);
      assertThat(GatewayProcess.run(env, "migrate").stdout()).contains("0 migrations applied");
    }
  }

  @Test
  @DisplayName("demo sends a 200-recipient campaign through the sandbox, draws its progress and prints the funnel")
  void demo() throws Exception {
    try (TestDatabase database = TestDatabase.fresh()) {
      Map<String, String> env = new java.util.HashMap<>(GatewayProcess.environment(database));
      env.put("RELAY_HTTP_HOST", "127.0.0.1");
      env.put("RELAY_HTTP_PORT", "0");
      GatewayProcess.Result demo = GatewayProcess.run(env, "demo");
      assertThat(demo.exitCode()).as(demo.stderr()).isZero();
      assertThat(demo.stderr()).contains("] 200/200 (200 sent)");
      assertThat(demo.stdout()).containsPattern("(?m)^  sent\\s+200$").contains("funnel (email):")
        .containsPattern("(?m)^  opened\\s+140 total, 140 unique, 80 unique human$")
        .containsPattern("(?m)^  clicked\\s+60 total, 60 unique, 40 unique human$");
      assertThat(database.count("SELECT count(*) FROM messages WHERE state = 'sent'")).isEqualTo(200);
    }
  }
}
