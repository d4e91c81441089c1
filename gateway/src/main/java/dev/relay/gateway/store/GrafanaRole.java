package dev.relay.gateway.store;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import org.postgresql.PGConnection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The read-only PostgreSQL role of Grafana's "Relay PostgreSQL" data source: it may log in, connect to Relay's
 * database and SELECT the tables the campaign-engagement dashboard reads, nothing else; its sessions are
 * read-only. Made by {@code relay db grafana-role}, with the configured role (it needs CREATEROLE) over JDBC:
 * an operator's one-off, like the migrations.
 */
public final class GrafanaRole {

  /** The default role name, the one grafana/provisioning/datasources/relay.yml names. */
  public static final String DEFAULT_NAME = "relay_grafana";

  /** What grafana/dashboards/relay-engagement.json reads (OperatorsViewTest and GrafanaRoleTest keep it so). */
  public static final List<String> TABLES = List.of("campaigns", "tenants", "batches", "messages", "events",
    "conversion_attributions");

  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private GrafanaRole() {
  }

  /** What {@link #apply} did: whether the role was new. */
  public record Result(String role, boolean created) {
  }

  /**
   * Creates the role (or, when it exists, makes sure it may log in), sets its password (hashed with
   * SCRAM-SHA-256 here, so the clear text never reaches the server or its log) and grants exactly what the
   * dashboard needs. Refuses a name that is not a plain lower-case identifier and a role that is a superuser
   * or may create roles or databases.
   */
  public static Result apply(RelayConfig config, String role, String password) throws SQLException {
    if (!NAME.matcher(role).matches()) {
      throw new IllegalArgumentException("role name '" + role + "' must be lower-case letters, digits and _ "
        + "(at most 63, not starting with a digit)");
    }
    if (password == null || password.isEmpty()) {
      throw new IllegalArgumentException("the role needs a password");
    }
    String database = config.string(Setting.DB_NAME);
    try (Connection c = Database.jdbc(config, database)) {
      boolean created;
      try (PreparedStatement st = c.prepareStatement(
        "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls FROM pg_roles WHERE rolname = ?")) {
        st.setString(1, role);
        try (ResultSet rs = st.executeQuery()) {
          created = !rs.next();
          if (!created && rs.getBoolean(1)) {
            throw new IllegalArgumentException("role " + role + " exists with more than read access (superuser, "
              + "CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS): choose another name");
          }
        }
      }
      String quoted = quote(c, role);
      try (Statement st = c.createStatement()) {
        st.execute((created ? "CREATE" : "ALTER") + " ROLE " + quoted + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE");
        st.execute("ALTER ROLE " + quoted + " SET default_transaction_read_only = on");
        st.execute("GRANT CONNECT ON DATABASE " + quote(c, database) + " TO " + quoted);
        st.execute("GRANT USAGE ON SCHEMA public TO " + quoted);
        st.execute("GRANT SELECT ON " + String.join(", ", TABLES) + " TO " + quoted);
      }
      c.unwrap(PGConnection.class).alterUserPassword(role, password.toCharArray(), "scram-sha-256");
      return new Result(role, created);
    }
  }

  private static String quote(Connection c, String identifier) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT quote_ident(?)")) {
      st.setString(1, identifier);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }
}
