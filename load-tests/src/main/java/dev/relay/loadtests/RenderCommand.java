package dev.relay.loadtests;

import io.vertx.core.json.JsonObject;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Collection;
import java.util.concurrent.Callable;

/**
 * {@code relay-bench render}: the JMH benchmark {@link RenderBenchmark}, rendering one shipped email
 * template with tracking against the bare engine in the same run, and their ratio.
 */
@Command(name = "render", mixinStandardHelpOptions = true,
  description = "Renders/s of a shipped email template with tracking vs the bare engine without (JMH).")
final class RenderCommand implements Callable<Integer> {

  static final double GOAL_RATIO = 0.5;

  @Option(names = "--forks", defaultValue = "1", description = "JMH forks (default ${DEFAULT-VALUE}).")
  int forks;

  @Option(names = "--warmup", defaultValue = "3", description = "Warm-up iterations (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--iterations", defaultValue = "5", description = "Measured iterations (default ${DEFAULT-VALUE}).")
  int iterations;

  @Option(names = "--seconds", defaultValue = "1", description = "Seconds per iteration (default ${DEFAULT-VALUE}).")
  int seconds;

  @Override
  public Integer call() throws RunnerException {
    Options options = new OptionsBuilder()
      .include(RenderBenchmark.class.getName() + "\\.")
      .forks(forks)
      .warmupIterations(warmup)
      .warmupTime(TimeValue.seconds(seconds))
      .measurementIterations(iterations)
      .measurementTime(TimeValue.seconds(seconds))
      .threads(1)
      .build();
    Collection<RunResult> results = new Runner(options).run();
    double tracked = score(results, "withTracking");
    double bare = score(results, "bareEngine");
    double ratio = tracked / bare;
    JsonObject report = new JsonObject()
      .put("benchmark", "render")
      .put("template", RenderBenchmark.TEMPLATE + " (" + RenderBenchmark.LOCALE + ", email)")
      .put("renders_per_second_with_tracking", Math.round(tracked))
      .put("renders_per_second_bare_engine", Math.round(bare))
      .put("ratio", Math.round(ratio * 1000) / 1000.0)
      .put("goal_ratio", GOAL_RATIO)
      .put("goal_met", ratio >= GOAL_RATIO)
      .put("jmh", new JsonObject().put("forks", forks).put("warmup_iterations", warmup)
        .put("measurement_iterations", iterations).put("seconds_per_iteration", seconds));
    System.out.println(report.encodePrettily());
    return 0;
  }

  private static double score(Collection<RunResult> results, String method) {
    return results.stream()
      .filter(r -> r.getParams().getBenchmark().endsWith("." + method))
      .findFirst()
      .orElseThrow(() -> new IllegalStateException("JMH reported no result for " + method))
      .getPrimaryResult().getScore();
  }
}
