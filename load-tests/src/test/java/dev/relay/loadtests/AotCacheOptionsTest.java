package dev.relay.loadtests;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AotCacheOptionsTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("--gateway-aot-cache adds -XX:AOTCache with the file's absolute path after the other JVM options")
  void gatewaysStartFromTheCache() {
    Path cache = Path.of("load-tests/results/relay.aot");
    assertThat(GatewayOptions.withAotCache(List.of("-Xmx1g"), cache))
      .containsExactly("-Xmx1g", "-XX:AOTCache=" + cache.toAbsolutePath().normalize());
    assertThat(GatewayOptions.withAotCache(List.of("-Xmx1g"), null)).containsExactly("-Xmx1g");
  }

  @Test
  @DisplayName("A cache is refused before Java 25 and when the file is missing, each saying what to do")
  void cacheProblems() throws Exception {
    Path cache = Files.write(dir.resolve("relay.aot"), new byte[] {1});

    assertThat(GatewayOptions.aotCacheProblem(cache, 17))
      .contains("needs Java 25 or later", "this benchmark's Java (17)", "JAVA_HOME");
    assertThat(GatewayOptions.aotCacheProblem(dir.resolve("none.aot"), 25))
      .contains("no AOT cache at", "relay-bench aot-train");
    assertThat(GatewayOptions.aotCacheProblem(cache, 25)).isNull();
    assertThat(GatewayOptions.aotCacheProblem(cache, 26)).isNull();
  }

  @Test
  @DisplayName("aot-train writes the cache where bin/relay looks: the jar's name with .aot")
  void defaultCacheIsBesideTheJar() {
    assertThat(AotTrainCommand.defaultCache(Path.of("gateway/target/relay.jar")))
      .isEqualTo(Path.of("gateway/target/relay.aot"));
    assertThat(AotTrainCommand.defaultCache(Path.of("/opt/relay/relay-0.1.0.jar")))
      .isEqualTo(Path.of("/opt/relay/relay-0.1.0.aot"));
  }

  @Test
  @DisplayName("aot-train refuses a bad message count, and on a JVM before 25 says to set JAVA_HOME (exit 2)")
  void aotTrainOptions() {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Bench()).setErr(new PrintWriter(err));

    assertThat(cli.execute("aot-train", "--messages", "1500")).isEqualTo(2);
    assertThat(err.toString()).contains("--messages must be a multiple of 1000");

    err.getBuffer().setLength(0);
    assertThat(cli.execute("aot-train", "--out", dir.resolve("train.txt").toString())).isEqualTo(2);
    if (Runtime.version().feature() < GatewayOptions.AOT_CACHE_JAVA) {
      assertThat(err.toString()).contains("aot-train needs Java 25 or later", "JAVA_HOME");
    } else {
      // On Java 25 the JVM passes, and the next check speaks.
      assertThat(err.toString()).contains("--out must name a .json file");
    }
  }
}
