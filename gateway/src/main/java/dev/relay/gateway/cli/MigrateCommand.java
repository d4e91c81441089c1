package dev.relay.gateway.cli;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.store.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import picocli.CommandLine.Command;

/** {@code relay migrate}: creates the database when missing and applies the schema migrations. */
@Command(name = "migrate", description = "Create the database if missing and apply schema migrations, then exit.")
public final class MigrateCommand implements Task {

  @Override
  public Future<Integer> run(Vertx vertx, RelayConfig config) {
    return vertx.executeBlocking(() -> {
      Database.ensureExists(config);
      int applied = Database.migrate(config);
      System.out.println("schema up to date (" + applied + " migrations applied)");
      return 0;
    });
  }
}
