package dev.relay.gateway.cli;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.store.Database;
import dev.relay.gateway.store.GrafanaRole;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.Map;

/** {@code relay db grafana-role}: database chores of an operator. */
@Command(name = "db", description = "Database chores of an operator.", subcommands = DbCommand.GrafanaRoleCommand.class)
public final class DbCommand {

  /** The environment variable the password is read from when --password is not given; Grafana's provisioning reads it too. */
  public static final String PASSWORD_ENV = "RELAY_GRAFANA_DB_PASSWORD";

  /** Creates or updates the read-only role of Grafana's PostgreSQL data source. */
  @Command(name = "grafana-role", description = "Create (or update) the read-only PostgreSQL role that Grafana's "
    + "\"Relay PostgreSQL\" data source logs in as: it may SELECT the tables the campaign dashboard reads "
    + "(campaigns, tenants, batches, messages, events, conversion_attributions) and nothing else. Run it with a db.user that "
    + "may create roles.")
  public static final class GrafanaRoleCommand implements Task {

    @Option(names = "--role", paramLabel = "NAME", defaultValue = GrafanaRole.DEFAULT_NAME,
      description = "Role name (default ${DEFAULT-VALUE}, the one grafana/provisioning/datasources/relay.yml uses).")
    String role;

    @Option(names = "--password", paramLabel = "PASSWORD",
      description = "The role's password; default: $" + PASSWORD_ENV + ", which Grafana's provisioning reads too "
        + "(an option is visible to other users of the machine while the command runs).")
    String password;

    Map<String, String> env = System.getenv();
    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Future<Integer> run(Vertx vertx, RelayConfig config) {
      String secret = password != null ? password : env.get(PASSWORD_ENV);
      if (secret == null || secret.isEmpty()) {
        err.println("give the role a password: --password or $" + PASSWORD_ENV);
        return Future.succeededFuture(2);
      }
      return vertx.executeBlocking(() -> {
        Database.ensureExists(config);
        Database.migrate(config);
        try {
          GrafanaRole.Result result = GrafanaRole.apply(config, role, secret);
          out.printf("role %s %s: it may log in to database %s and SELECT %s; nothing else%n", result.role(),
            result.created() ? "created" : "updated", config.string(Setting.DB_NAME),
            String.join(", ", GrafanaRole.TABLES));
          return 0;
        } catch (IllegalArgumentException e) {
          err.println(e.getMessage());
          return 2;
        }
      });
    }
  }
}
