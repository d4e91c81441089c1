package dev.relay.loadtests;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Relay's benchmarks, one subcommand each. Every benchmark reports the gateway's speed as a ratio to
 * a baseline measured in the same run on the same machine, never as an absolute number to meet.
 */
@Command(name = "relay-bench", mixinStandardHelpOptions = true, version = "relay-bench 0.1.0",
  description = "Relay's benchmarks: each measures the gateway against a baseline taken in the same run.",
  subcommands = {IntakeCommand.class, E2eCommand.class, RenderCommand.class, LimitsCommand.class, TrackCommand.class,
    PeerCommand.class, TransactionalCommand.class, ReportCommand.class, AotTrainCommand.class, CommandLine.HelpCommand.class})
public final class Bench implements Runnable {

  @Spec
  CommandSpec spec;

  /** Without a subcommand there is nothing to run: say which exist. */
  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
      "Name a benchmark: intake, e2e, e2e-limits, render, track, peer, transactional or report; or aot-train");
  }

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new Bench()).setExecutionExceptionHandler(Bench::failed);
    System.exit(cli.execute(args));
  }

  /** A run that could not finish: its reason in one line, with the stack only for a bug. */
  private static int failed(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
    System.err.println(cli.getCommandName() + ": " + e.getMessage());
    if (!(e instanceof IllegalStateException || e instanceof java.sql.SQLException)) {
      e.printStackTrace();
    }
    return 1;
  }
}
