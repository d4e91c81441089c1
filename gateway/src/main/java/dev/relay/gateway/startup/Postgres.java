package dev.relay.gateway.startup;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.store.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The PostgreSQL this process works on, found once at start-up: the configured one, waited for while it
 * refuses connections or is still starting up ({@code db.startup-wait-seconds}); or, when nothing answers
 * at an address nobody insisted on ({@code db.embedded}), an embedded one on a local data directory, so
 * that the jar serves on a machine with only a JDK. Its {@link #config()} is the configuration with the
 * address to use.
 */
public final class Postgres {

  private static final Logger LOG = LoggerFactory.getLogger(Postgres.class);
  private static final Set<String> LOCAL_HOSTS = Set.of("localhost", "127.0.0.1", "::1", "[::1]");
  private static final Setting[] CONNECTION = {Setting.DB_HOST, Setting.DB_PORT, Setting.DB_NAME, Setting.DB_USER,
    Setting.DB_PASSWORD};

  private final RelayConfig config;
  private final EmbeddedPostgresServer embedded;

  private Postgres(RelayConfig config, EmbeddedPostgresServer embedded) {
    this.config = config;
    this.embedded = embedded;
  }

  /**
   * Finds the PostgreSQL to use, starting the embedded one when that is the one.
   *
   * @param exclusive whether this process serves (its embedded PostgreSQL is its own); a short command-line
   *                  task may instead use the embedded PostgreSQL of a gateway running on the same directory
   */
  public static Future<Postgres> open(Vertx vertx, RelayConfig config, boolean exclusive) {
    return Mode.of(config, Setting.DB_EMBEDDED).compose(mode -> open(vertx, config, exclusive, mode));
  }

  /** The embedded PostgreSQL's data directory: {@code db.embedded-dir}, or {@code postgres} in {@code data-dir}. */
  public static Path directory(RelayConfig config) {
    String dir = config.string(Setting.DB_EMBEDDED_DIR);
    return dir.isBlank() ? config.dataDir("postgres") : Path.of(dir);
  }

  private static Future<Postgres> open(Vertx vertx, RelayConfig config, boolean exclusive, Mode mode) {
    Path dir = directory(config);
    String where = Database.address(config);
    if (mode == Mode.ALWAYS) {
      return embedded(vertx, config, dir, exclusive, "db.embedded=always");
    }
    boolean local = LOCAL_HOSTS.contains(config.string(Setting.DB_HOST).toLowerCase(Locale.ROOT));
    Optional<String> insisted = insisted(config, mode, local);
    return vertx.executeBlocking(() -> Database.probe(config), false).compose(first -> {
      if (first.reach() == Database.Reach.REFUSED && insisted.isEmpty()) {
        return embedded(vertx, config, dir, exclusive, "nothing answered at " + where + " and db.embedded=auto");
      }
      Future<Void> ready = first.reach() == Database.Reach.READY
        ? Future.succeededFuture()
        : StartupWait.<Void>until(vertx, "PostgreSQL at " + where, Setting.DB_STARTUP_WAIT_SECONDS.key(),
          config.integer(Setting.DB_STARTUP_WAIT_SECONDS) * 1000L,
          () -> vertx.executeBlocking(() -> Database.probe(config), false).map(probe -> probe.reach() == Database.Reach.READY
            ? StartupWait.Answer.<Void>ready(null)
            : StartupWait.Answer.<Void>notYet(probe.reason())));
      return ready.map(v -> {
        LOG.info("PostgreSQL: at {} ({})", where, insisted.orElse("it answered, db.embedded=auto"));
        if (Files.isDirectory(dir) && insisted.isEmpty()) {
          LOG.warn("an embedded PostgreSQL data directory exists at {} but PostgreSQL answers at {}, which is used: "
            + "set db.embedded=always to work on the embedded data", dir, where);
        }
        return new Postgres(config, null);
      });
    });
  }

  /** Why the configured address must be used, or empty when an embedded PostgreSQL may stand in for it. */
  private static Optional<String> insisted(RelayConfig config, Mode mode, boolean local) {
    if (mode == Mode.NEVER) {
      return Optional.of("db.embedded=never");
    }
    if (!local) {
      return Optional.of("db.host is not this machine");
    }
    if (config.given(Setting.DB_EMBEDDED)) {
      return Optional.empty();
    }
    for (Setting setting : CONNECTION) {
      if (config.given(setting)) {
        return Optional.of(setting.key() + " is given, so PostgreSQL is insisted on");
      }
    }
    return Optional.empty();
  }

  private static Future<Postgres> embedded(Vertx vertx, RelayConfig config, Path dir, boolean exclusive,
                                           String why) {
    return vertx.executeBlocking(() -> {
      if (!exclusive) {
        Optional<EmbeddedPostgresServer.Owner> owner = EmbeddedPostgresServer.owner(dir);
        if (owner.isPresent() && owner.get().port() > 0) {
          LOG.info("PostgreSQL: the embedded one at {} that Relay process {} runs, on port {} ({})", dir,
            owner.get().pid(), owner.get().port(), why);
          return new Postgres(embeddedConfig(config, owner.get().port()), null);
        }
      }
      EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dir);
      LOG.info("PostgreSQL: embedded at {} on port {} ({})", dir, server.port(), why);
      return new Postgres(embeddedConfig(config, server.port()), server);
    }, false);
  }

  private static RelayConfig embeddedConfig(RelayConfig config, int port) {
    return config.with(Setting.DB_HOST, "localhost")
      .with(Setting.DB_PORT, Integer.toString(port))
      .with(Setting.DB_USER, "postgres")
      .with(Setting.DB_PASSWORD, "");
  }

  /** The configuration with the address of the PostgreSQL to use. */
  public RelayConfig config() {
    return config;
  }

  /** Whether this process runs the PostgreSQL it uses. */
  public boolean embedded() {
    return embedded != null;
  }

  /** Stops the embedded PostgreSQL, if this process runs one; the configured one is left alone. */
  public Future<Void> close(Vertx vertx) {
    if (embedded == null) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      embedded.close();
      return null;
    }, false);
  }
}
