package dev.relay.gateway.cli;

import dev.relay.gateway.config.RelayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** A command of the command line, run on a Vert.x instance with the resolved configuration. */
public interface Task {

  /**
   * Runs the command; the future's value is the process's exit code. A command that serves returns a
   * future that completes only when serving ends.
   */
  Future<Integer> run(Vertx vertx, RelayConfig config);

  /**
   * Whether the command runs a gateway in this process, which then needs an embedded PostgreSQL of its
   * own; a short task may use the one a running gateway started on the same data directory.
   */
  default boolean runsGateway() {
    return false;
  }
}
