package dev.relay.gateway.cli;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/relay}, the launcher, run with a stand-in {@code java} that prints the arguments it was given: which JVM
 * it picks and when it starts it from the jar's AOT cache.
 */
@DisplayName("bin/relay: the JVM and its AOT cache")
class LauncherTest {

  private static final Path LAUNCHER = Path.of("..", "bin", "relay").toAbsolutePath().normalize();

  @TempDir
  Path dir;

  @Test
  @DisplayName("On Java 25 with a cache newer than the jar: -XX:AOTCache with its absolute path, after RELAY_JAVA_OPTS")
  void startsFromTheCache() throws Exception {
    Path home = jdk("25.0.3", true);
    Path jar = jar(Instant.parse("2026-12-01T10:00:00Z"));
    Path cache = touch(dir.resolve("relay.aot"), Instant.parse("2026-12-01T10:05:00Z"));

    Run run = launch(Map.of("JAVA_HOME", home.toString(), "RELAY_JAVA_OPTS", "-Xmx1g"), "--version");

    assertThat(run.args()).containsExactly("-Xmx1g", "-XX:AOTCache=" + cache.toRealPath(), "-jar", jar.toRealPath()
      .toString(), "--version");
    assertThat(run.err()).isEmpty();
  }

  @Test
  @DisplayName("A jar rebuilt after its cache runs without it, and says how to make a new one")
  void staleCacheIsNotUsed() throws Exception {
    Path home = jdk("25.0.3", true);
    jar(Instant.parse("2026-12-01T10:10:00Z"));
    touch(dir.resolve("relay.aot"), Instant.parse("2026-12-01T10:05:00Z"));

    Run run = launch(Map.of("JAVA_HOME", home.toString()), "serve");

    assertThat(run.args()).noneMatch(a -> a.startsWith("-XX:AOTCache"));
    assertThat(run.args()).endsWith("serve");
    assertThat(run.err()).contains("not using the AOT cache", "the jar is newer", "load-tests/aot-train");
  }

  @Test
  @DisplayName("Before Java 25 (told by java -version when the JDK has no release file) the cache is left out, with a note")
  void olderJavaRunsWithoutTheCache() throws Exception {
    Path home = jdk("17.0.15", false);
    jar(Instant.parse("2026-12-01T10:00:00Z"));
    touch(dir.resolve("relay.aot"), Instant.parse("2026-12-01T10:05:00Z"));

    // No JAVA_HOME: the java on the PATH.
    Run run = launch(Map.of("PATH", home.resolve("bin") + ":/usr/bin:/bin"), "serve");

    assertThat(run.args()).containsExactly("-jar", dir.resolve("relay.jar").toRealPath().toString(), "serve");
    assertThat(run.err()).contains("it needs Java 25 or later", "is Java 17");
  }

  @Test
  @DisplayName("No cache, RELAY_AOT_CACHE=off or AOT options of the operator's own: no cache added; RELAY_AOT_CACHE names "
    + "another file")
  void cacheChoice() throws Exception {
    Path home = jdk("26", true);
    jar(Instant.parse("2026-12-01T10:00:00Z"));

    Run none = launch(Map.of("JAVA_HOME", home.toString()), "serve");
    assertThat(none.args()).containsExactly("-jar", dir.resolve("relay.jar").toRealPath().toString(), "serve");
    assertThat(none.err()).isEmpty();

    touch(dir.resolve("relay.aot"), Instant.parse("2026-12-01T10:05:00Z"));
    Run off = launch(Map.of("JAVA_HOME", home.toString(), "RELAY_AOT_CACHE", "off"), "serve");
    assertThat(off.args()).noneMatch(a -> a.startsWith("-XX:AOTCache"));

    // A training run's own option: the launcher adds none of its own beside it.
    Run training = launch(Map.of("JAVA_HOME", home.toString(), "RELAY_JAVA_OPTS",
      "-XX:AOTCacheOutput=" + dir.resolve("relay.aot")), "serve");
    assertThat(training.args()).filteredOn(a -> a.startsWith("-XX:AOT"))
      .containsExactly("-XX:AOTCacheOutput=" + dir.resolve("relay.aot"));

    Path other = touch(dir.resolve("other.aot"), Instant.parse("2026-12-01T10:06:00Z"));
    Run named = launch(Map.of("JAVA_HOME", home.toString(), "RELAY_AOT_CACHE", other.toString()), "serve");
    assertThat(named.args()).contains("-XX:AOTCache=" + other.toRealPath());
  }

  private record Run(List<String> args, String err) {
  }

  /** Runs bin/relay with RELAY_JAR set to this test's jar (so nothing is built) and {@code env}. */
  private Run launch(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("bash", LAUNCHER.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    Map<String, String> environment = builder.environment();
    environment.remove("JAVA_HOME");
    environment.remove("RELAY_JAVA_OPTS");
    environment.remove("RELAY_AOT_CACHE");
    environment.put("RELAY_JAR", dir.resolve("relay.jar").toString());
    environment.putAll(new HashMap<>(env));
    Path err = dir.resolve("stderr.txt");
    builder.redirectError(err.toFile());
    Process process = builder.start();
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("bin/relay's exit; stderr: %s", Files.readString(err)).isZero();
    return new Run(out.lines().toList(), Files.readString(err));
  }

  /**
   * A JDK's home whose {@code bin/java} prints each argument on a line (and answers {@code -version} as a JDK of
   * {@code version} does); with a {@code release} file naming the version, as JDK images have, or without one.
   */
  private Path jdk(String version, boolean releaseFile) throws IOException {
    Path home = dir.resolve("jdk-" + version);
    Files.createDirectories(home.resolve("bin"));
    Path java = home.resolve("bin/java");
    Files.writeString(java, String.join("\n",
      "#!/usr/bin/env bash",
      "if [ \"$1\" = -version ]; then echo 'openjdk version \"" + version + "\" 2026-01-20' >&2; exit 0; fi",
      "printf '%s\\n' \"$@\"",
      ""));
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    if (releaseFile) {
      Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
    }
    return home;
  }

  private Path jar(Instant modified) throws IOException {
    return touch(dir.resolve("relay.jar"), modified);
  }

  private static Path touch(Path file, Instant modified) throws IOException {
    if (!Files.exists(file)) {
      Files.write(file, new byte[] {0});
    }
    Files.setLastModifiedTime(file, FileTime.from(modified));
    return file;
  }
}
