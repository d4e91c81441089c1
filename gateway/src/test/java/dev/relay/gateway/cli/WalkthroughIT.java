package dev.relay.gateway.cli;

import dev.relay.gateway.testing.GatewayProcess;
import dev.relay.gateway.testing.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The README's walk-through, run as written: every shell command of its section, in one bash session
 * at the top of the clone, against the built jar serving on free ports (the only change to the text:
 * the ports 8080 and 8081). Each command followed by {@code # →} lines must print what they show, where
 * {@code …} stands for anything and white space does not count. A command whose answer does not match
 * yet is run again for up to {@value #SETTLE_SECONDS} seconds: the walk-through reads states that the
 * dispatcher reaches a moment after the {@code 202}.
 */
@DisplayName("The README's walk-through")
class WalkthroughIT {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final int SETTLE_SECONDS = 30;
  private static final String DONE = "__walkthrough_step_done__";

  /** One command of the walk-through and what the README says it prints. */
  record Step(String command, List<String> expected) {
  }

  @Test
  @DisplayName("every command runs as written and prints what the README shows")
  void runsAsWritten() throws Exception {
    List<Step> steps = steps(Files.readString(ROOT.resolve("README.md")));
    assertThat(steps).as("the walk-through's commands").hasSizeGreaterThanOrEqualTo(6);
    assertThat(steps.stream().filter(s -> !s.expected().isEmpty()).count())
      .as("commands with an answer shown").isGreaterThanOrEqualTo(5);

    try (TestDatabase database = TestDatabase.fresh()) {
      int sandboxPort = freePort();
      Map<String, String> env = new HashMap<>(GatewayProcess.environment(database));
      env.put("RELAY_SANDBOX_PORT", Integer.toString(sandboxPort));
      try (GatewayProcess gateway = GatewayProcess.serve(env)) {
        Map<String, String> ports = Map.of("localhost:8080", "localhost:" + gateway.port(),
          "localhost:8081", "localhost:" + sandboxPort);
        Map<String, String> shellEnv = new HashMap<>(env);
        shellEnv.put("RELAY_JAR", GatewayProcess.jar().toAbsolutePath().toString());
        try (Shell shell = new Shell(shellEnv)) {
          for (Step step : steps) {
            run(shell, replace(step.command(), ports), step.expected().stream().map(e -> replace(e, ports)).toList());
          }
        }
      }
    }
  }

  @Test
  @DisplayName("the parser finds commands, their answers and the continuation lines, and … matches anything")
  void parsesTheReadme() {
    String readme = String.join("\n", "# Relay", "## Walk-through with curl", "text", "```sh",
      "A=$(echo hi)  # a comment", "echo \"$A\" \\", "  there", "# → hi", "#    there", "# → x", "echo done",
      "```", "```json", "{}", "```", "## Next", "```sh", "echo not this", "```");
    List<Step> steps = steps(readme);
    assertThat(steps).containsExactly(
      new Step("A=$(echo hi)  # a comment\necho \"$A\" \\\n  there", List.of("hi there", "x")),
      new Step("echo done", List.of()));
    assertThat(matches("hi\n  there\nx", steps.get(0).expected())).isTrue();
    assertThat(matches("x\nhi there", steps.get(0).expected())).as("in order").isFalse();
    assertThat(matches("{\"a\":1,\"b\":[2]}", List.of("{\"a\":…,\"b\":[2]}"))).isTrue();
    assertThat(matches("{\"a\":1,\"b\":[3]}", List.of("{\"a\":…,\"b\":[2]}"))).isFalse();
  }

  private static void run(Shell shell, String command, List<String> expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SETTLE_SECONDS);
    while (true) {
      Shell.Result result = shell.run(command);
      if (result.exit() == 0 && matches(result.out(), expected)) {
        return;
      }
      if (expected.isEmpty() || System.nanoTime() > deadline) {
        fail("the README's command%n%s%nexited %d and printed%n%s%nstderr:%n%s%nwhere the README shows%n%s",
          command, result.exit(), result.out(), result.err(), String.join("\n", expected));
      }
      Thread.sleep(500);
    }
  }

  /** The walk-through section's shell commands, each with the answer lines that follow it. */
  static List<Step> steps(String readme) {
    int start = readme.indexOf("\n## Walk-through");
    assertThat(start).as("a '## Walk-through' section in the README").isPositive();
    int end = readme.indexOf("\n## ", start + 1);
    String section = readme.substring(start, end < 0 ? readme.length() : end);
    List<Step> steps = new ArrayList<>();
    Matcher blocks = Pattern.compile("(?ms)^```sh\\n(.*?)^```").matcher(section);
    while (blocks.find()) {
      List<String> command = new ArrayList<>();
      List<String> expected = new ArrayList<>();
      for (String line : blocks.group(1).split("\n")) {
        if (line.startsWith("# → ")) {
          expected.add(line.substring(4).trim());
        } else if (line.startsWith("#   ") && !expected.isEmpty()) {
          int last = expected.size() - 1;
          expected.set(last, expected.get(last) + " " + line.substring(1).trim());
        } else {
          if (!expected.isEmpty()) {
            steps.add(new Step(String.join("\n", command), List.copyOf(expected)));
            command.clear();
            expected.clear();
          }
          command.add(line);
        }
      }
      if (!command.isEmpty()) {
        steps.add(new Step(String.join("\n", command), List.copyOf(expected)));
      }
    }
    return steps;
  }

  /** Each expected line in order, {@code …} for anything, white space ignored on both sides. */
  static boolean matches(String output, List<String> expected) {
    String out = output.replaceAll("\\s+", "");
    int from = 0;
    for (String line : expected) {
      StringBuilder regex = new StringBuilder();
      for (String part : line.replaceAll("\\s+", "").split("…", -1)) {
        if (!regex.isEmpty()) {
          regex.append(".*?");
        }
        regex.append(Pattern.quote(part));
      }
      Matcher m = Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(out);
      if (!m.find(from)) {
        return false;
      }
      from = m.end();
    }
    return true;
  }

  private static String replace(String text, Map<String, String> replacements) {
    String result = text;
    for (Map.Entry<String, String> r : replacements.entrySet()) {
      result = result.replace(r.getKey(), r.getValue());
    }
    return result;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** One bash session: variables set by a step are there for the next, as in a terminal. */
  static final class Shell implements AutoCloseable {

    record Result(int exit, String out, String err) {
    }

    private final Process bash;
    private final Writer in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path dir;

    Shell(Map<String, String> env) throws IOException {
      dir = Files.createTempDirectory("relay-walkthrough-");
      ProcessBuilder builder = new ProcessBuilder("bash", "--noprofile", "--norc").directory(ROOT.toFile())
        .redirectErrorStream(true);
      builder.environment().keySet().removeIf(k -> k.startsWith("RELAY_"));
      builder.environment().putAll(env);
      bash = builder.start();
      in = new OutputStreamWriter(bash.getOutputStream(), StandardCharsets.UTF_8);
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(bash.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            lines.add(line);
          }
        } catch (IOException closed) {
          lines.add(DONE + " closed");
        }
      }, "walkthrough-bash");
      reader.setDaemon(true);
      reader.start();
    }

    Result run(String command) throws IOException, InterruptedException {
      Path out = dir.resolve("out");
      Path err = dir.resolve("err");
      in.write("{\n" + command + "\n} > '" + out + "' 2> '" + err + "'; echo \"" + DONE + " $?\"\n");
      in.flush();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (true) {
        String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
          fail("the README's command did not finish in 120 s:%n%s", command);
        }
        if (line.startsWith(DONE + " ")) {
          String code = line.substring(DONE.length() + 1);
          assertThat(code).as("bash is still running").isNotEqualTo("closed");
          return new Result(Integer.parseInt(code), Files.readString(out), Files.readString(err));
        }
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
      try {
        if (!bash.waitFor(10, TimeUnit.SECONDS)) {
          bash.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the shell exited", e);
      }
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }
}
