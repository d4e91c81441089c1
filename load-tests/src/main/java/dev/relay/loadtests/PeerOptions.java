package dev.relay.loadtests;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options of the comparison with graphile-worker (a picocli mixin of {@code peer} and {@code report}): how
 * many messages and rounds, and the peer's configuration. The defaults are the configuration the README's peer
 * section explains: one worker process per core, 200 jobs at once in each (four requests of 50 in flight), a
 * local queue of 500 and completions batched, as graphile-worker's performance page recommends for throughput.
 */
final class PeerOptions {

  @Option(names = "--peer-messages", defaultValue = "50000",
    description = "Messages of each measured round, Relay's and the peer's; a multiple of --batch-size "
      + "(default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--peer-warmup-messages", defaultValue = "100000",
    description = "Messages each side sends, unmeasured, after its cold round and before the warm rounds; a multiple "
      + "of --batch-size, 0 for none (default: ${DEFAULT-VALUE}).")
  int warmupMessages;

  @Option(names = "--peer-rounds", defaultValue = "3",
    description = "Warm rounds, each one run of Relay and one of the peer, the order alternating "
      + "(default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--peer-workers", defaultValue = "2",
    description = "graphile-worker processes (default: ${DEFAULT-VALUE}, one per core of a 2-core machine).")
  int workers;

  @Option(names = "--peer-concurrency", defaultValue = "200",
    description = "graphile-worker's concurrentJobs per process: jobs running at once, so requests of --send-batch "
      + "in flight per process = this / --send-batch (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--peer-local-queue", defaultValue = "500",
    description = "graphile-worker's localQueue.size: jobs each process fetches and locks in one query; -1 for none "
      + "(default: ${DEFAULT-VALUE}).")
  int localQueue;

  @Option(names = "--peer-pool", defaultValue = "10",
    description = "graphile-worker's maxPoolSize: PostgreSQL connections per process (default: ${DEFAULT-VALUE}).")
  int poolSize;

  @Option(names = "--peer-complete-delay", defaultValue = "0", paramLabel = "MS",
    description = "graphile-worker's completeJobBatchDelay (and failJobBatchDelay): completions gathered into one "
      + "statement over this window; 0 gathers those of one tick, -1 completes each job alone "
      + "(default: ${DEFAULT-VALUE}).")
  int completeDelayMs;

  @Option(names = "--peer-linger", defaultValue = "2", paramLabel = "MS",
    description = "How long the peer holds a request to the sink that is not full yet (default: ${DEFAULT-VALUE}).")
  int lingerMs;

  @Option(names = "--peer-dir", defaultValue = "load-tests/peer-graphile", paramLabel = "DIR",
    description = "The peer's Node project; npm ci runs there when node_modules is missing (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--node", defaultValue = "node", description = "The Node.js command (default: ${DEFAULT-VALUE}).")
  String node;

  @Option(names = "--npm", defaultValue = "npm", description = "The npm command (default: ${DEFAULT-VALUE}).")
  String npm;

  /** The peer's configuration, with the request size and enqueuing clients of Relay's side. */
  GraphilePeer.Settings settings(int sendBatch, int clients) {
    return new GraphilePeer.Settings(workers, concurrency, localQueue, poolSize, completeDelayMs, lingerMs, sendBatch,
      clients);
  }

  /** What is wrong with these options, or null. */
  String problem(int batchSize) {
    if (messages < batchSize || messages > 1_000_000 || messages % batchSize != 0) {
      return "--peer-messages must be a multiple of --batch-size from --batch-size to 1000000";
    }
    if (warmupMessages < 0 || warmupMessages > 1_000_000 || warmupMessages % batchSize != 0) {
      return "--peer-warmup-messages must be 0 or a multiple of --batch-size up to 1000000";
    }
    if (rounds < 1 || rounds > 20) {
      return "--peer-rounds must be 1 to 20";
    }
    if (workers < 1 || workers > 64 || concurrency < 1 || concurrency > 10_000 || poolSize < 2 || poolSize > 200) {
      return "--peer-workers must be 1 to 64, --peer-concurrency 1 to 10000, --peer-pool 2 to 200";
    }
    if (localQueue != -1 && (localQueue < 2 || localQueue > 100_000)) {
      return "--peer-local-queue must be -1 or 2 to 100000";
    }
    if (completeDelayMs < -1 || completeDelayMs > 10_000 || lingerMs < 0 || lingerMs > 10_000) {
      return "--peer-complete-delay must be -1 to 10000, --peer-linger 0 to 10000";
    }
    return null;
  }
}
