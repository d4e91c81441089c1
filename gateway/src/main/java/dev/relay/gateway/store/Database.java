package dev.relay.gateway.store;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's PostgreSQL: creating the database when it is missing and migrating its schema,
 * both blocking and done once before the verticles deploy, and the reactive pool that every run-time
 * statement goes through.
 */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private Database() {
  }

  /** How a PostgreSQL answered a connection attempt. */
  public enum Reach {
    /** It accepted the connection. */
    READY,
    /** Nothing listens at the address (connection refused). */
    REFUSED,
    /** It is not ready yet: starting up, shutting down, in recovery, or not reachable in time. */
    NOT_YET
  }

  /** A connection attempt's answer and, unless ready, why. */
  public record Probe(Reach reach, String reason) {
  }

  /**
   * Tries one connection to the configured PostgreSQL (its {@code postgres} database). Fails only when
   * waiting cannot help, such as a password PostgreSQL refuses.
   */
  public static Probe probe(RelayConfig config) {
    try {
      jdbc(config, "postgres").close();
      return new Probe(Reach.READY, "answers");
    } catch (SQLException e) {
      String state = e.getSQLState() == null ? "" : e.getSQLState();
      if (state.equals("57P03")) {
        // cannot_connect_now: "the database system is starting up" (or shutting down, or in recovery)
        return new Probe(Reach.NOT_YET, e.getMessage());
      }
      for (Throwable cause = e; cause != null; cause = cause.getCause()) {
        if (cause instanceof java.net.ConnectException) {
          return new Probe(Reach.REFUSED, "connection refused");
        }
      }
      if (state.startsWith("08")) {
        return new Probe(Reach.NOT_YET, e.getMessage());
      }
      if (state.equals("3D000")) {
        return new Probe(Reach.READY, "answers (no database postgres)");
      }
      throw new IllegalStateException("PostgreSQL at " + address(config) + " refused role '"
        + config.string(Setting.DB_USER) + "': " + e.getMessage(), e);
    }
  }

  /** The configured PostgreSQL's host and port, for messages. */
  public static String address(RelayConfig config) {
    return config.string(Setting.DB_HOST) + ":" + config.integer(Setting.DB_PORT);
  }

  /** Creates the configured database when it does not exist; a role that may not create it fails with a clear message. */
  public static void ensureExists(RelayConfig config) {
    String name = config.string(Setting.DB_NAME);
    try (Connection c = jdbc(config, "postgres")) {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            return;
          }
        }
      }
      if (!config.bool(Setting.DB_CREATE_DATABASE)) {
        throw new IllegalStateException("database '" + name + "' does not exist and db.create-database is false");
      }
      try (Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE " + quoteIdentifier(name));
        LOG.info("created database {}", name);
      }
    } catch (SQLException e) {
      if ("42P04".equals(e.getSQLState())) {
        return; // created concurrently by another instance
      }
      throw new IllegalStateException("cannot create database '" + name + "' as role '"
        + config.string(Setting.DB_USER) + "': " + e.getMessage(), e);
    }
  }

  /** Creates the database when missing and migrates it, on a worker thread. */
  public static Future<Void> ensureSchema(Vertx vertx, RelayConfig config) {
    return vertx.executeBlocking(() -> {
      ensureExists(config);
      migrate(config);
      vacuumWarning(config).ifPresent(LOG::warn);
      return null;
    });
  }

  /**
   * A warning for the operator when PostgreSQL's autovacuum is off: every message row is updated once or
   * twice on its way out, so without vacuum the table and the queue's partial indexes keep every dead
   * version, and without analyze the planner keeps the statistics of the day the table was small.
   */
  public static Optional<String> vacuumWarning(RelayConfig config) {
    try (Connection c = jdbc(config, config.string(Setting.DB_NAME)); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT current_setting('autovacuum')")) {
      rs.next();
      if ("on".equals(rs.getString(1))) {
        return Optional.empty();
      }
      return Optional.of("PostgreSQL's autovacuum is off on database '" + config.string(Setting.DB_NAME) + "': the "
        + "messages and events tables will keep every dead row and stale statistics. Turn it on, or run "
        + "VACUUM ANALYZE messages, events regularly (see docs/schema.md).");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read PostgreSQL's autovacuum setting: " + e.getMessage(), e);
    }
  }

  /** Applies the schema migrations in {@code db/migration}; returns how many were applied. */
  public static int migrate(RelayConfig config) {
    Flyway flyway = Flyway.configure()
      .dataSource(jdbcUrl(config, config.string(Setting.DB_NAME)), config.string(Setting.DB_USER),
        config.string(Setting.DB_PASSWORD))
      .locations("classpath:db/migration")
      .load();
    MigrateResult result = flyway.migrate();
    LOG.info("schema at version {} ({} migrations applied)", flyway.info().current().getVersion(),
      result.migrationsExecuted);
    return result.migrationsExecuted;
  }

  /** The reactive pool for run-time SQL. It reconnects by itself when PostgreSQL comes back. */
  public static Pool pool(Vertx vertx, RelayConfig config) {
    PgConnectOptions connect = new PgConnectOptions()
      .setHost(config.string(Setting.DB_HOST))
      .setPort(config.integer(Setting.DB_PORT))
      .setDatabase(config.string(Setting.DB_NAME))
      .setUser(config.string(Setting.DB_USER))
      .setPassword(config.string(Setting.DB_PASSWORD))
      .setCachePreparedStatements(true)
      .setPipeliningLimit(256);
    // PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost; the claim's estimate
    // grows with the backlog, and on 260,000 queued messages compiling it took 1.1-1.6 s of CPU for a
    // query that runs in 50-150 ms. None of the gateway's statements is an analytical one that JIT helps.
    connect.addProperty("jit", "off");
    PoolOptions pool = new PoolOptions()
      .setMaxSize(config.integer(Setting.DB_POOL_SIZE))
      .setMaxWaitQueueSize(10_000)
      .setConnectionTimeout(config.integer(Setting.DB_CONNECT_TIMEOUT_MS))
      .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
      .setShared(false);
    NetClientOptions transport = new NetClientOptions()
      .setConnectTimeout(config.integer(Setting.DB_CONNECT_TIMEOUT_MS))
      .setTcpNoDelay(true);
    return PgBuilder.pool().with(pool).with(transport).connectingTo(connect).using(vertx).build();
  }

  static Connection jdbc(RelayConfig config, String database) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", config.string(Setting.DB_USER));
    props.setProperty("password", config.string(Setting.DB_PASSWORD));
    props.setProperty("connectTimeout", Integer.toString(Math.max(1, config.integer(Setting.DB_CONNECT_TIMEOUT_MS) / 1000)));
    return DriverManager.getConnection(jdbcUrl(config, database), props);
  }

  private static String jdbcUrl(RelayConfig config, String database) {
    return "jdbc:postgresql://" + config.string(Setting.DB_HOST) + ":" + config.integer(Setting.DB_PORT) + "/" + database;
  }

  private static String quoteIdentifier(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }
}
