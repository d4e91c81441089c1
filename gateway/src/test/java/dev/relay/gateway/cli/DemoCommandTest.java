package dev.relay.gateway.cli;

import dev.relay.gateway.Main;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.metrics.Metrics;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("relay demo")
class DemoCommandTest {

  /** People open 2.5 s after the machines instead of 10.5 s: the classification is the same, the test shorter. */

  @Test
  @DisplayName("relay demo --help lists its options and exits 0")
  void help() {
    StringWriter text = new StringWriter();
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(text, true));
    Integer code = CommandLine.executeHelpRequest(cli.parseArgs("demo", "--help"));
    assertThat(code).isZero();
    assertThat(text.toString()).contains("Usage: relay demo").contains("--url=URL").contains("--recipients=")
      .contains("--timeout-seconds=").contains("-h, --help").contains("Send a sample campaign");
  }

  @Test
  @DisplayName("with a gateway already running at http.port, the demo says so, sends through it and its sandbox, "
    + "redraws one progress line on a terminal, and prints the funnel with 200 sent")
  void runningGateway() throws Exception {
    try (TestGateway gateway = TestGateway.start()) {
      RelayConfig config = gateway.config().with(Setting.HTTP_PORT, Integer.toString(gateway.port()))
        .with(Setting.SANDBOX_PORT, Integer.toString(gateway.sandbox().port()));
      Run run = run(config, 200, true);

      assertThat(run.code).isZero();
      assertThat(run.out).startsWith("gateway: the one already running at http://127.0.0.1:" + gateway.port()
        + ", sandbox provider at " + gateway.sandbox().url() + "\n");
      assertFunnel(run.out, 200);
      assertThat(gateway.sandbox().uniqueCount()).as("messages at the running gateway's sandbox").isEqualTo(200);
      assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE state = 'sent'")).isEqualTo(200);
      // A terminal: each bar is one line redrawn with \r, ended by a newline; nothing else on standard error.
      assertThat(run.err).contains("\rsending  [########################################] 200/200 (200 sent)")
        .doesNotContain("waiting").contains("\rpeople   [########################################] 120/120 opens and clicks");
      for (String line : run.err.split("\n")) {
        assertThat(line).as("a line of standard error").startsWith("\r");
      }
    }
  }

  @Test
  @DisplayName("with http.port taken by something that is not a gateway, the demo starts one in this process on "
    + "free ports, says so, logs to a file, and prints plain progress lines when not on a terminal")
  void busyPort() throws Exception {
    try (TestDatabase database = TestDatabase.fresh();
         ServerSocket busy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Map<Setting, String> settings = TestGateway.settings(database);
      settings.put(Setting.HTTP_PORT, Integer.toString(busy.getLocalPort()));
      RelayConfig config = RelayConfig.of(settings, new JsonObject());
      try {
        Run run = run(config, 50, false);

        assertThat(run.code).isZero();
        assertThat(run.out).containsPattern("^gateway: no gateway answers at http://127\\.0\\.0\\.1:" + busy.getLocalPort()
          + ", so one runs in this process at http://127\\.0\\.0\\.1:\\d+ \\(sandbox provider at http://127\\.0\\.0\\.1:\\d+, "
          + "log in .*demo\\.log\\)\n");
        assertFunnel(run.out, 50);
        assertThat(database.count("SELECT count(*) FROM messages WHERE state = 'sent'")).isEqualTo(50);
        // Not a terminal: plain lines (no \r), each a bar at its start or a quarter, each bar ending complete.
        assertThat(run.err).doesNotContain("\r");
        List<String> lines = Arrays.asList(run.err.split("\n"));
        assertThat(lines).allMatch(l -> l.matches("(sending|people) +\\[[#.]{40}] \\d+/\\d+ .+"), "bar lines")
          .contains("sending  [########################################] 50/50 (50 sent)",
            "people   [########################################] 30/30 opens and clicks")
          .hasSizeLessThanOrEqualTo(15);
        // The in-process gateway logged to the file, not among the bars.
        Path log = config.dataDir("demo.log");
        assertThat(Files.readString(log)).contains("Relay listening on 127.0.0.1:");
      } finally {
        TestGateway.deleteDataDir(config);
      }
    }
  }

  private static void assertFunnel(String printed, int recipients) {
    // 4 in 10 open as people (2 of them click), 3 in 10 opens through Apple's proxy, 1 in 10 scanned.
    int opens = recipients * 7 / 10;
    int clicks = recipients * 3 / 10;
    assertThat(printed).containsPattern("(?m)^  sent\\s+" + recipients + "$")
      .containsPattern("(?m)^  accepted\\s+" + recipients + "$")
      .contains("(" + recipients + " messages had tracking links)")
      .doesNotContain("tracking hits failed")
      .containsPattern("(?m)^  opened\\s+" + opens + " total, " + opens + " unique, " + recipients * 4 / 10
        + " unique human$")
      .containsPattern("(?m)^  clicked\\s+" + clicks + " total, " + clicks + " unique, " + recipients * 2 / 10
        + " unique human$");
  }

  private record Run(int code, String out, String err) {
  }

  private static Run run(RelayConfig config, int recipients, boolean terminal) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    DemoCommand demo = new DemoCommand();
    demo.recipients = recipients;
    demo.timeoutSeconds = 60;
    demo.terminal = terminal;
    demo.out = new PrintStream(out, true, StandardCharsets.UTF_8);
    demo.err = new PrintStream(err, true, StandardCharsets.UTF_8);
    Vertx vertx = Metrics.vertx();
    int code;
    try {
      code = await(demo.run(vertx, config));
    } finally {
      await(vertx.close());
    }
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
