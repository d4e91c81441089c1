package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code relay-bench aot-train}: makes the gateway's AOT cache (Java 25+, JEP 483 and 515) from a training run: a
 * gateway started with {@code -XX:AOTCacheOutput} sends {@code --messages} end to end through the sink of the
 * benchmarks, as a campaign does (intake, render, send, record), then 2,000 one-recipient transactional batches, and
 * is stopped; at its exit the JVM writes the
 * classes it loaded and linked and the profiles of the methods it ran. A gateway started with
 * {@code -XX:AOTCache} (as {@code bin/relay} does when the file is there) starts from them instead of from nothing.
 */
@Command(name = "aot-train", mixinStandardHelpOptions = true, sortOptions = false,
  description = {
    "Makes the gateway's AOT cache (Java 25 or later): a training run of a gateway started with -XX:AOTCacheOutput "
      + "that sends --messages end to end to the benchmarks' sink, then stops; bin/relay and --gateway-aot-cache use "
      + "the file. The gateway runs on this command's Java: run it with JAVA_HOME set to a JDK 25+. Run it from the "
      + "repository root."})
final class AotTrainCommand implements Callable<Integer> {

  /** A JVM assembling its AOT cache at exit writes tens of megabytes: more time than a plain stop. */
  private static final Duration CACHE_WRITE_GRACE = Duration.ofSeconds(120);

  @Spec
  CommandSpec spec;

  @Option(names = "--messages", defaultValue = "100000",
    description = "Messages of the training run, in batches of 1,000 (default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--aot-out", paramLabel = "FILE",
    description = "The cache to write (default: the gateway jar's name with .aot, gateway/target/relay.aot, where "
      + "bin/relay looks).")
  Path cache;

  @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
    description = "Longest the training run may take (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Mixin
  GatewayOptions gateway;

  @Option(names = "--out", defaultValue = "load-tests/results/aot-train.json", paramLabel = "FILE",
    description = "Where the training's logs go: next to this name (default: ${DEFAULT-VALUE}).")
  Path out;

  private final Progress progress = new Progress();

  @Override
  public Integer call() throws Exception {
    validate();
    Path target = cache != null ? cache : defaultCache(gateway.jar);
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    Files.deleteIfExists(partial);
    List<String> jvmArgs = new ArrayList<>(gateway.jvmArgs);
    jvmArgs.add("-XX:AOTCacheOutput=" + partial.toAbsolutePath().normalize());
    long started = System.nanoTime();
    try (BenchSession session = BenchSession.open(out, gateway.database(), false)) {
      Vertx vertx = Vertx.vertx();
      try {
        SandboxServer sink = SandboxServer.start(vertx, "127.0.0.1", 0).await();
        try {
          E2eBench e2e = new E2eBench(new E2eBench.Settings(messages, 1000, 4, 50, 4, timeoutSeconds, 0), gateway,
            progress);
          Path config = session.sibling("-gateway.yaml");
          E2eCommand.writeConfig(config, sink.url());
          Map<String, String> env = e2e.gatewayEnvironment(session.database(), config);
          Path log = session.sibling("-gateway.log");
          Files.deleteIfExists(log);
          String apiKey = GatewayProcess.createApiKey(gateway.jar, env, log, Recipients.TENANT);
          try (GatewayProcess child = GatewayProcess.start(gateway.jar, jvmArgs, env, log)) {
            progress.say("aot-train: a gateway with %s (pid %d), log %s", jvmArgs.get(jvmArgs.size() - 1), child.pid(),
              log);
            E2eBench.awaitReady(vertx, child);
            long runStart = System.nanoTime();
            E2eBench.GatewayRun run = e2e.measureGateway(vertx, sink, List.of(child), apiKey, session,
              new Recipients(1000), new AtomicLong());
            if (!run.arrival().complete() || run.arrival().unique() < messages || sink.duplicateCount() > 0) {
              throw new IllegalStateException("the training run did not deliver its " + messages + " messages exactly "
                + "once (" + run.arrival().unique() + " arrived, " + sink.duplicateCount() + " duplicates); see " + log);
            }
            progress.say("aot-train: %d messages in %.1f s", messages, (System.nanoTime() - runStart) / 1e9);
            trainTransactional(vertx, sink, child, apiKey, log);
            progress.say("aot-train: stopping the gateway, whose JVM writes the cache");
            int exit = child.stop(CACHE_WRITE_GRACE);
            if (exit == -1) {
              throw new IllegalStateException("the gateway did not exit within " + CACHE_WRITE_GRACE.toSeconds()
                + " s of SIGTERM; see " + log);
            }
          }
          if (!Files.isRegularFile(partial) || Files.size(partial) == 0) {
            throw new IllegalStateException("the gateway's JVM wrote no AOT cache at " + partial + "; see " + log);
          }
          Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          // A cache is for the jar it was made with: bin/relay uses it only while it is the newer of the two.
          Files.setLastModifiedTime(target, FileTime.fromMillis(System.currentTimeMillis()));
          System.out.printf(Locale.ROOT, "AOT cache written: %s (%.1f MB) by a training run of %d messages on Java %s "
              + "in %.0f s. %s%n", target, Files.size(target) / 1e6, messages, Runtime.version(),
            (System.nanoTime() - started) / 1e9, target.toAbsolutePath().normalize().equals(
              defaultCache(gateway.jar).toAbsolutePath().normalize())
              ? "bin/relay uses it on Java " + GatewayOptions.AOT_CACHE_JAVA + " or later until the jar is rebuilt."
              : "Use it with RELAY_AOT_CACHE=" + target + " bin/relay, or --gateway-aot-cache " + target + ".");
          return 0;
        } finally {
          sink.close().await();
        }
      } finally {
        vertx.close().await();
      }
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /**
   * The transactional path too (one-recipient {@code priority: "transactional"} batches, handed straight to the
   * dispatcher): without it in the training, a fresh gateway's first transactional messages run that code
   * uncompiled, while the compiler is busy with the campaign's.
   */
  private void trainTransactional(Vertx vertx, SandboxServer sink, GatewayProcess child, String apiKey, Path log) {
    sink.reset();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    Arrivals arrivals = Arrivals.watch(vertx, sink, TRANSACTIONAL_BATCHES, deadline, child::isAlive, progress);
    AtomicLong next = new AtomicLong();
    Supplier<IntakeLoad.Batch> batches = () -> {
      long n = next.getAndIncrement();
      return n < TRANSACTIONAL_BATCHES
        ? new IntakeLoad.Batch(n, Buffer.buffer(TransactionalLatency.requestBody(n))) : null;
    };
    try (IntakeLoad load = new IntakeLoad(vertx, child.port(), apiKey, 4, false, child::isAlive)) {
      IntakeLoad.Phase posted = load.run(batches, Duration.ofSeconds(timeoutSeconds)).await();
      arrivals.expect(posted.recipientsAccepted);
      Arrivals.Outcome arrival = arrivals.outcome().await();
      if (posted.errors > 0 || !arrival.complete() || arrival.unique() < TRANSACTIONAL_BATCHES) {
        throw new IllegalStateException("the training's " + TRANSACTIONAL_BATCHES + " transactional batches did not all "
          + "arrive (" + posted.errors + " POST errors, " + arrival.unique() + " arrived); see " + log);
      }
    }
    progress.say("aot-train: %d transactional messages", TRANSACTIONAL_BATCHES);
  }

  /** One-recipient transactional batches of the training. */
  private static final int TRANSACTIONAL_BATCHES = 2000;

  /** Where bin/relay looks for the cache of {@code jar}: its name with {@code .aot} for {@code .jar}. */
  static Path defaultCache(Path jar) {
    String name = jar.getFileName().toString();
    String stem = name.endsWith(".jar") ? name.substring(0, name.length() - 4) : name;
    return jar.resolveSibling(stem + ".aot");
  }

  private void validate() {
    if (messages < 1000 || messages > 1_000_000 || messages % 1000 != 0) {
      throw new ParameterException(spec.commandLine(), "--messages must be a multiple of 1000 from 1000 to 1000000");
    }
    if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
      throw new ParameterException(spec.commandLine(), "--timeout must be 1 to 3600 seconds");
    }
    if (Runtime.version().feature() < GatewayOptions.AOT_CACHE_JAVA) {
      throw new ParameterException(spec.commandLine(), "aot-train needs Java " + GatewayOptions.AOT_CACHE_JAVA
        + " or later (this is Java " + Runtime.version() + ", and the gateway runs on the same): run it with "
        + "JAVA_HOME set to a JDK " + GatewayOptions.AOT_CACHE_JAVA + "+, e.g. JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 "
        + "load-tests/aot-train");
    }
    if (gateway.aotCache != null) {
      throw new ParameterException(spec.commandLine(), "--gateway-aot-cache is for the benchmarks; aot-train writes "
        + "the cache named by --aot-out");
    }
    if (!out.getFileName().toString().endsWith(".json")) {
      throw new ParameterException(spec.commandLine(), "--out must name a .json file");
    }
    gateway.requireJar();
  }
}
