package dev.relay.gateway;

import dev.relay.gateway.cli.ApiKeyCommand;
import dev.relay.gateway.cli.DbCommand;
import dev.relay.gateway.cli.DemoCommand;
import dev.relay.gateway.cli.MigrateCommand;
import dev.relay.gateway.cli.ServeCommand;
import dev.relay.gateway.cli.Task;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.metrics.Metrics;
import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.startup.Postgres;
import dev.relay.gateway.startup.StartupRefused;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;

import java.nio.file.Path;

/** The {@code relay} command line: {@code serve} (the default), {@code migrate}, {@code api-key}, {@code db}, {@code demo}. */
@Command(name = "relay", mixinStandardHelpOptions = true, version = "Relay 0.1.0",
  // --help and --version on every subcommand too (relay demo --help).
  scope = CommandLine.ScopeType.INHERIT,
  description = "Relay, the messaging-delivery gateway.",
  subcommands = {ServeCommand.class, MigrateCommand.class, ApiKeyCommand.class, DbCommand.class, DemoCommand.class})
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
    description = "Config file (YAML or JSON). Defaults to $RELAY_CONFIG; RELAY_* variables override it.")
  Path configFile;

  public static void main(String[] args) {
    Main main = new Main();
    CommandLine cli = new CommandLine(main);
    ParseResult parsed;
    try {
      parsed = cli.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      System.err.println(e.getMessage());
      e.getCommandLine().usage(System.err);
      System.exit(2);
      return;
    }
    Integer helped = CommandLine.executeHelpRequest(parsed);
    if (helped != null) {
      System.exit(helped);
      return;
    }
    ParseResult leaf = parsed;
    while (leaf.hasSubcommand()) {
      leaf = leaf.subcommand();
    }
    Object command = leaf.commandSpec().userObject();
    if (command == main) {
      command = new ServeCommand();
    }
    if (!(command instanceof Task)) {
      leaf.commandSpec().commandLine().usage(System.err);
      System.exit(2);
      return;
    }
    run(main.configFile, (Task) command);
  }

  private static void run(Path configFile, Task task) {
    Vertx vertx = Metrics.vertx();
    RelayConfig.load(vertx, configFile, System.getenv())
      .compose(config -> Postgres.open(vertx, config, task.runsGateway()))
      .compose(postgres -> task.run(vertx, postgres.config())
        .eventually(() -> postgres.close(vertx)))
      .onComplete(result -> {
        int code;
        if (result.succeeded()) {
          code = result.result();
        } else {
          if (result.cause() instanceof StartupRefused || result.cause() instanceof ConfigException) {
            LOG.error("relay: {}", result.cause().getMessage());
          } else {
            LOG.error("relay: {}", result.cause().getMessage(), result.cause());
          }
          System.err.println("relay: " + result.cause().getMessage());
          code = 1;
        }
        vertx.close().onComplete(closed -> System.exit(code));
      });
  }
}
