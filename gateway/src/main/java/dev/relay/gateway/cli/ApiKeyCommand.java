package dev.relay.gateway.cli;

import dev.relay.gateway.api.ApiKeys;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.store.Database;
import dev.relay.gateway.store.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code relay api-key create|revoke}. */
@Command(name = "api-key", description = "Create or revoke API keys.",
  subcommands = {ApiKeyCommand.Create.class, ApiKeyCommand.Revoke.class})
public final class ApiKeyCommand {

  /** Prints a new key once on standard output; only its hash is stored. */
  @Command(name = "create", description = "Create an API key for a tenant (the tenant is created when new). "
    + "The key is printed once on standard output; only its hash is stored.")
  public static final class Create implements Task {

    @Option(names = "--tenant", required = true, description = "Tenant name.")
    String tenant;

    @Override
    public Future<Integer> run(Vertx vertx, RelayConfig config) {
      if (tenant.isBlank() || tenant.length() > 100) {
        System.err.println("--tenant must be 1 to 100 characters");
        return Future.succeededFuture(2);
      }
      ApiKeys.Issued key = ApiKeys.issue();
      return withStore(vertx, config, store -> store.insertKey(tenant, key.id(), key.secretHash()).map(t -> {
        System.err.println("API key " + key.id() + " for tenant '" + t.name()
          + "'. It is shown only now; revoke it with: relay api-key revoke " + key.id());
        System.out.println(key.text());
        return 0;
      }));
    }
  }

  /** Revokes a key by its id (the part after {@code rly_}). */
  @Command(name = "revoke", description = "Revoke an API key by its id (the 12 characters after rly_) or by the whole key.")
  public static final class Revoke implements Task {

    @Parameters(index = "0", paramLabel = "KEY", description = "Key id or whole key.")
    String key;

    @Override
    public Future<Integer> run(Vertx vertx, RelayConfig config) {
      String id = ApiKeys.parse(key).map(ApiKeys.Presented::id).orElse(key);
      return withStore(vertx, config, store -> store.revokeKey(id).map(revoked -> {
        if (revoked) {
          System.out.println("revoked " + id);
          return 0;
        }
        System.err.println("no live API key with id " + id);
        return 1;
      }));
    }
  }

  private static Future<Integer> withStore(Vertx vertx, RelayConfig config,
                                           java.util.function.Function<TenantStore, Future<Integer>> action) {
    return Database.ensureSchema(vertx, config).compose(v -> {
      Pool pool = Database.pool(vertx, config);
      return action.apply(new TenantStore(pool)).eventually(pool::close);
    });
  }
}
