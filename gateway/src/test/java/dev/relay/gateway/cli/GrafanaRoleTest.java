package dev.relay.gateway.cli;

import dev.relay.gateway.metrics.OperatorsFiles;
import dev.relay.gateway.store.GrafanaRole;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code relay db grafana-role} against a migrated database that holds a campaign: the role runs every SQL query
 * of the dashboards and the provisioned data source names it; it cannot write, and cannot read what the
 * dashboards do not read. Roles are shared by the whole PostgreSQL server: this one has a name of its own and
 * is dropped at the end.
 */
@DisplayName("relay db grafana-role")
class GrafanaRoleTest {

  private static final String PASSWORD = "grafana-" + UUID.randomUUID();
  private static TestGateway gateway;
  private static String role;
  private static Run created;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(Map.of());
    String key = gateway.apiKey("acme");
    assertThat(gateway.postBatch(key, null, Batches.batch("spring", "s", 3)).statusCode()).isEqualTo(202);
    role = "relay_grafana_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    created = grafanaRole(role, PASSWORD, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    try (Connection c = gateway.database().connect(); Statement st = c.createStatement()) {
      st.execute("DROP OWNED BY " + role);
      st.execute("DROP ROLE " + role);
    } finally {
      gateway.close();
    }
  }

  @Test
  @DisplayName("creates a login role (password stored as SCRAM) that runs every dashboard query; a second run updates it")
  void dashboardQueriesRunAsTheRole() throws Exception {
    assertThat(created.code).as(created.err).isZero();
    assertThat(created.out).startsWith("role " + role + " created: it may log in to database " + gateway.database().name()
      + " and SELECT campaigns, tenants, batches, messages, events, conversion_attributions; nothing else");
    Run again = grafanaRole(role, null, Map.of(DbCommand.PASSWORD_ENV, PASSWORD));
    assertThat(again.code).as(again.err).isZero();
    assertThat(again.out).startsWith("role " + role + " updated");
    assertThat(gateway.database().count("SELECT count(*) FROM pg_authid WHERE rolname = '" + role + "' AND rolcanlogin"
      + " AND NOT rolsuper AND rolpassword LIKE 'SCRAM-SHA-256$%'")).isEqualTo(1);

    List<OperatorsFiles.Query> queries = new ArrayList<>();
    for (Path dashboard : OperatorsFiles.dashboards()) {
      queries.addAll(OperatorsFiles.sql(dashboard.getFileName().toString(), OperatorsFiles.json(dashboard)));
    }
    assertThat(queries).hasSizeGreaterThan(5);
    String campaigns = Long.toString(gateway.database().count("SELECT min(id) FROM campaigns"));
    try (Connection c = asRole()) {
      assertThat(OperatorsFiles.failingSql(c, queries, campaigns)).isEmpty();
    }
  }

  @Test
  @DisplayName("the role cannot INSERT, UPDATE or DELETE (not even with read-only sessions turned off), create a "
    + "table, or read a table the dashboards do not read")
  void readOnly() throws Exception {
    assertThat(created.code).as(created.err).isZero();
    try (Connection c = asRole(); Statement st = c.createStatement()) {
      for (String table : GrafanaRole.TABLES) {
        assertThat(sqlState(st, "DELETE FROM " + table)).as("DELETE on a read-only session").isEqualTo("25006");
      }
      st.execute("SET default_transaction_read_only = off");
      // A column of each that is neither an identity nor generated.
      Map<String, String> columns = Map.of("campaigns", "name", "tenants", "name", "batches", "template_name",
        "messages", "state", "events", "type", "conversion_attributions", "variant");
      assertThat(columns).containsOnlyKeys(GrafanaRole.TABLES);
      for (String table : GrafanaRole.TABLES) {
        String column = columns.get(table);
        assertThat(sqlState(st, "DELETE FROM " + table)).as("DELETE FROM " + table).isEqualTo("42501");
        assertThat(sqlState(st, "UPDATE " + table + " SET " + column + " = " + column)).as("UPDATE " + table)
          .isEqualTo("42501");
        assertThat(sqlState(st, "INSERT INTO " + table + " DEFAULT VALUES")).as("INSERT INTO " + table)
          .isEqualTo("42501");
      }
      for (String table : List.of("api_keys", "suppressions", "templates", "webhook_receipts", "conversions")) {
        assertThat(sqlState(st, "SELECT * FROM " + table)).as("SELECT from " + table).isEqualTo("42501");
      }
      assertThat(sqlState(st, "CREATE TABLE grafana_was_here (x int)")).isEqualTo("42501");
    }
    assertThat(gateway.database().count("SELECT count(*) FROM messages")).isEqualTo(3);
  }

  @Test
  @DisplayName("refuses a superuser's name, a name that is not a plain identifier, and no password, changing nothing")
  void refuses() {
    Run superuser = grafanaRole(TestDatabase.USER, PASSWORD, Map.of());
    assertThat(superuser.code).isEqualTo(2);
    assertThat(superuser.err).contains("role " + TestDatabase.USER + " exists with more than read access");
    Run badName = grafanaRole("Robert'); DROP TABLE tenants;--", PASSWORD, Map.of());
    assertThat(badName.code).isEqualTo(2);
    assertThat(badName.err).contains("must be lower-case letters, digits and _");
    Run noPassword = grafanaRole(role, null, Map.of());
    assertThat(noPassword.code).isEqualTo(2);
    assertThat(noPassword.err).contains("--password or $" + DbCommand.PASSWORD_ENV);
    assertThat(gateway.database().count("SELECT count(*) FROM tenants")).isEqualTo(1);
  }

  @Test
  @DisplayName("Grafana's provisioned PostgreSQL data source logs in as the role this command makes by default")
  void provisioningNamesTheRole() throws Exception {
    String datasources = Files.readString(OperatorsFiles.GRAFANA.resolve("provisioning/datasources/relay.yml"));
    assertThat(datasources).contains("user: " + GrafanaRole.DEFAULT_NAME).doesNotContain("user: postgres")
      .contains("password: ${" + DbCommand.PASSWORD_ENV + "}");
    // Nothing under /etc or /var/lib: Grafana's user owns every path (GF_PATHS_PROVISIONING names this folder).
    String dashboards = Files.readString(OperatorsFiles.GRAFANA.resolve("provisioning/dashboards/relay.yml"));
    assertThat(dashboards).contains("path: ${RELAY_GRAFANA_DASHBOARDS}").doesNotContain("/var/lib");
  }

  private static String sqlState(Statement st, String sql) {
    try {
      st.execute(sql);
      return "no error";
    } catch (SQLException e) {
      return e.getSQLState();
    }
  }

  private static Connection asRole() throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://" + TestDatabase.HOST + ":" + TestDatabase.PORT + "/"
      + gateway.database().name(), role, PASSWORD);
  }

  private record Run(int code, String out, String err) {
  }

  private static Run grafanaRole(String name, String password, Map<String, String> env) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    DbCommand.GrafanaRoleCommand command = new DbCommand.GrafanaRoleCommand();
    command.role = name;
    command.password = password;
    command.env = env;
    command.out = new PrintStream(out, true, StandardCharsets.UTF_8);
    command.err = new PrintStream(err, true, StandardCharsets.UTF_8);
    int code = await(command.run(gateway.vertx(), gateway.config()));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
