package dev.relay.gateway.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A database of its own for one test class on the local PostgreSQL, so that runs never see each
 * other's data; dropped at the end. Host, port and user come from RELAY_DB_* like the gateway's.
 */
public final class TestDatabase implements AutoCloseable {

  public static final String HOST = env("RELAY_DB_HOST", "localhost");
  public static final int PORT = Integer.parseInt(env("RELAY_DB_PORT", "5432"));
  public static final String USER = env("RELAY_DB_USER", "postgres");

  private final String name;

  private TestDatabase(String name) {
    this.name = name;
  }

  /** A new, empty database name; the gateway creates and migrates it at start-up. */
  public static TestDatabase fresh() {
    return new TestDatabase("relay_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)
      .toLowerCase(Locale.ROOT));
  }

  public String name() {
    return name;
  }

  /** A JDBC connection to this database, for assertions on what it holds. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + PORT + "/" + name, USER, "");
  }

  /** The single number a query returns. */
  public long count(String sql) {
    try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  @Override
  public void close() throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + PORT + "/postgres", USER, "");
         Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
