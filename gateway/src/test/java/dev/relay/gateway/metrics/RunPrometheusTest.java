package dev.relay.gateway.metrics;

import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code grafana/run-prometheus}, as an operator without root runs it: Debian's prometheus binary, the shipped
 * scrape configuration and rules, everything under the data directory.
 */
@DisplayName("grafana/run-prometheus")
class RunPrometheusTest {

  private static final Path SCRIPT = OperatorsFiles.GRAFANA.resolve("run-prometheus");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  @DisplayName("runs Prometheus from the data directory with the shipped rules, scraping the local gateway until it is up")
  void scrapesTheGateway() throws Exception {
    Path data = TestGateway.newDataDir();
    try (TestGateway gateway = TestGateway.start(Map.of())) {
      int port = freePort();
      Path output = Files.createDirectories(data).resolve("run-prometheus.log");
      ProcessBuilder builder = new ProcessBuilder(SCRIPT.toString()).redirectErrorStream(true)
        .redirectOutput(output.toFile());
      builder.environment().put("RELAY_DATA_DIR", data.toString());
      builder.environment().put("RELAY_METRICS_TARGET", "127.0.0.1:" + gateway.port());
      builder.environment().put("PROMETHEUS_LISTEN", "127.0.0.1:" + port);
      builder.environment().put("PROMETHEUS_SCRAPE_INTERVAL", "1s");
      Process prometheus = builder.start();
      try {
        String api = "http://127.0.0.1:" + port + "/api/v1/";
        JsonObject target = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        // The first scrape comes within one scrape interval (1 s here) of the start.
        while (target == null || !"up".equals(target.getString("health"))) {
          assertThat(prometheus.isAlive()).as(Files.readString(output)).isTrue();
          assertThat(System.nanoTime()).as("the gateway's target up: " + target).isLessThan(deadline);
          Thread.sleep(250);
          JsonArray targets = get(api + "targets").map(t -> t.getJsonObject("data").getJsonArray("activeTargets"))
            .orElse(new JsonArray());
          target = targets.isEmpty() ? null : targets.getJsonObject(0);
        }
        assertThat(target.getString("scrapeUrl")).isEqualTo("http://127.0.0.1:" + gateway.port() + "/metrics");
        List<String> alerts = get(api + "rules").orElseThrow().getJsonObject("data").getJsonArray("groups").stream()
          .flatMap(g -> ((JsonObject) g).getJsonArray("rules").stream()).map(r -> ((JsonObject) r).getString("name"))
          .toList();
        assertThat(alerts).contains("RelayQueueLagHigh", "RelaySendErrorRateHigh", "RelayCircuitOpen",
          "RelayWebhookSignatureFailures", "RelayStalled");
        assertThat(data.resolve("prometheus/config/prometheus.yml")).exists();
        assertThat(data.resolve("prometheus/data")).isDirectory();
        assertThat(Files.readString(output)).contains("Prometheus on http://127.0.0.1:" + port + " scraping http://127.0.0.1:"
          + gateway.port() + "/metrics");
      } finally {
        prometheus.destroy();
        if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly().waitFor();
        }
      }
    } finally {
      TestGateway.deleteTree(data);
    }
  }

  @Test
  @DisplayName("without a prometheus binary it prints the apt-get command to install one and exits 1")
  void missingBinary() throws Exception {
    Path data = TestGateway.newDataDir();
    try {
      // A PATH with the script's tools and no prometheus.
      Path bin = Files.createDirectories(data.resolve("bin"));
      for (String tool : List.of("dirname", "sed", "mkdir", "cp", "cat")) {
        Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool));
      }
      ProcessBuilder builder = new ProcessBuilder("/bin/sh", SCRIPT.toString()).redirectErrorStream(true);
      builder.environment().put("PATH", bin.toString());
      builder.environment().remove("PROMETHEUS");
      builder.environment().put("RELAY_DATA_DIR", data.toString());
      Process process = builder.start();
      String printed = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).isEqualTo(1);
      assertThat(printed).contains("prometheus is not installed").contains("\n  sudo apt-get install prometheus\n")
        .contains("apt-get download prometheus && dpkg-deb -x prometheus_*.deb deb");
    } finally {
      TestGateway.deleteTree(data);
    }
  }

  private static java.util.Optional<JsonObject> get(String url) throws InterruptedException {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? java.util.Optional.of(new JsonObject(response.body())) : java.util.Optional.empty();
    } catch (IOException notYet) {
      return java.util.Optional.empty();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
