package dev.relay.gateway.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Prometheus's {@code promtool} (Debian's {@code prometheus} package; {@code .ci/run} installs it).
 * A missing promtool fails the test that needs it: these checks are part of the build, never skipped.
 */
final class Promtool {

  /** What a run printed, and how it ended. */
  record Result(int exitCode, String output) {
  }

  private Promtool() {
  }

  /** Runs {@code promtool args...} in {@code directory}, with {@code stdin} as its standard input (or none). */
  static Result run(Path directory, String stdin, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(executable());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
    if (stdin != null) {
      process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    process.getOutputStream().close();
    String output;
    try (InputStream out = process.getInputStream()) {
      output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("promtool " + String.join(" ", args) + " did not finish in 60 s");
    }
    return new Result(process.exitValue(), output);
  }

  private static String executable() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir, "promtool");
      if (java.nio.file.Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new AssertionError("promtool is not on the PATH: install Debian's 'prometheus' package "
      + "(apt-get install prometheus), as .ci/run does");
  }
}
