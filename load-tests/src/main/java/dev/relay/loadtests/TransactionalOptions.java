package dev.relay.loadtests;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Option;

/**
 * The options of the transactional latency under a marketing backlog (a picocli mixin of {@code transactional}
 * and {@code report}): how big the backlog is and how it is posted, and how fast and how long the one-recipient
 * transactional batches are posted while it drains.
 */
final class TransactionalOptions {

  static final int MAX_BACKLOG = 2_000_000;
  static final int MAX_BATCHES = 100_000;

  @Option(names = "--backlog", defaultValue = "500000",
    description = "Marketing messages enqueued before the transactional batches are posted; a multiple of "
      + "--backlog-batch-size (default: ${DEFAULT-VALUE}).")
  int backlog;

  @Option(names = "--backlog-batch-size", defaultValue = "10000",
    description = "Recipients per POST of the backlog: the gateway's default intake.max-recipients "
      + "(default: ${DEFAULT-VALUE}).")
  int backlogBatchSize;

  @Option(names = "--backlog-clients", defaultValue = "4",
    description = "Concurrent clients posting the backlog, each with one request in flight (default: ${DEFAULT-VALUE}).")
  int backlogClients;

  @Option(names = "--transactional-rate", defaultValue = "20", paramLabel = "PER_SECOND",
    description = "One-recipient transactional batches posted per second, evenly spaced, whatever the answers do "
      + "(default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--transactional-duration", defaultValue = "30", paramLabel = "SECONDS",
    description = "How long they are posted; rate x duration batches in all (default: ${DEFAULT-VALUE}).")
  int durationSeconds;

  @Option(names = "--transactional-timeout", defaultValue = "120", paramLabel = "SECONDS",
    description = "Longest wait, after the last transactional POST was answered, for every accepted one to reach the "
      + "sink; those that have not are lost (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  /** The transactional batches of a run. */
  int batches() {
    return (int) Math.ceil(rate * durationSeconds);
  }

  /** These options as they go into a result's {@code parameters}. */
  JsonObject describe() {
    return new JsonObject()
      .put("backlog", backlog)
      .put("backlog_batch_size", backlogBatchSize)
      .put("backlog_clients", backlogClients)
      .put("transactional_rate", rate)
      .put("transactional_duration_seconds", durationSeconds)
      .put("transactional_batches", batches())
      .put("transactional_timeout_seconds", timeoutSeconds);
  }

  /** What is wrong with these options, or null. */
  String problem() {
    if (backlogBatchSize < 1 || backlogBatchSize > 10_000) {
      return "--backlog-batch-size must be 1 to 10000 (the gateway's default limit)";
    }
    if (backlog < 0 || backlog > MAX_BACKLOG || backlog % backlogBatchSize != 0) {
      return "--backlog must be 0 or a multiple of --backlog-batch-size up to " + MAX_BACKLOG;
    }
    if (backlogClients < 1 || backlogClients > 64) {
      return "--backlog-clients must be 1 to 64";
    }
    if (!(rate > 0) || rate > 1000) {
      return "--transactional-rate must be above 0 and at most 1000 per second";
    }
    if (durationSeconds < 1 || durationSeconds > 600) {
      return "--transactional-duration must be 1 to 600 seconds";
    }
    if (batches() > MAX_BATCHES) {
      return "--transactional-rate x --transactional-duration must be at most " + MAX_BATCHES + " batches";
    }
    if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
      return "--transactional-timeout must be 1 to 3600 seconds";
    }
    return null;
  }
}
