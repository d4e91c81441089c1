package dev.relay.loadtests;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

  @Option(names = "--peer-cold-pairs", defaultValue = "2",
    description = "With --gateway-aot-cache: pairs of fresh gateways, one with the cache and one without, each run cold "
      + "once after the warm rounds, the order alternating (default: ${DEFAULT-VALUE}).")
  int coldPairs;

  @Option(names = "--peer-workers", defaultValue = "4",
    description = "graphile-worker processes (default: ${DEFAULT-VALUE}, the fastest of peer --tune on a 2-core "
      + "machine, docs/benchmarks.md).")
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

  /**
   * Every combination of the values given for tuning (an empty list: this option's one value), in order, the
   * workers varying slowest; refused above {@value #MAX_GRID} combinations.
   */
  List<GraphilePeer.Settings> grid(List<Integer> workerValues, List<Integer> concurrencyValues,
                                   List<Integer> localQueueValues, List<Integer> poolValues,
                                   List<Integer> completeDelayValues, int sendBatch, int clients) {
    List<GraphilePeer.Settings> grid = new ArrayList<>();
    for (int w : or(workerValues, workers)) {
      for (int c : or(concurrencyValues, concurrency)) {
        for (int q : or(localQueueValues, localQueue)) {
          for (int p : or(poolValues, poolSize)) {
            for (int d : or(completeDelayValues, completeDelayMs)) {
              grid.add(new GraphilePeer.Settings(w, c, q, p, d, lingerMs, sendBatch, clients));
            }
          }
        }
      }
    }
    if (grid.size() > MAX_GRID) {
      throw new IllegalArgumentException("the tuning grid has " + grid.size() + " configurations; at most " + MAX_GRID);
    }
    return grid;
  }

  /** The most configurations one tuning run tries. */
  static final int MAX_GRID = 64;

  private static List<Integer> or(List<Integer> values, int single) {
    return values == null || values.isEmpty() ? List.of(single) : values;
  }

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
    if (coldPairs < 1 || coldPairs > 10) {
      return "--peer-cold-pairs must be 1 to 10";
    }
    String problem = settings(1, 1).problem();
    return problem == null ? null : "--peer-*: " + problem;
  }
}
