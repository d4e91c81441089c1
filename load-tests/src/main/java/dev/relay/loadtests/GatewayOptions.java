package dev.relay.loadtests;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options every benchmark that starts the gateway shares (a picocli mixin): which jar, its JVM
 * options and extra environment, and the PostgreSQL server both the gateway and the baseline use.
 */
final class GatewayOptions {

  @Option(names = "--gateway-jar", defaultValue = "gateway/target/relay.jar", paramLabel = "JAR",
    description = "The gateway's jar (default: ${DEFAULT-VALUE}).")
  Path jar;

  @Option(names = "--gateway-jvm-args", split = "\\s+", paramLabel = "ARGS",
    description = "JVM options for the gateway, space-separated, e.g. \"-Xmx2g -XX:StartFlightRecording=filename=/tmp/gw.jfr\".")
  List<String> jvmArgs = new ArrayList<>();

  @Option(names = "--gateway-aot-cache", paramLabel = "FILE",
    description = "An AOT cache of the gateway (Java 25 or later; made by relay-bench aot-train): every gateway started "
      + "runs with -XX:AOTCache=FILE, as bin/relay runs it; the comparison with graphile-worker also measures a cold "
      + "run without it.")
  Path aotCache;

  @Option(names = "--gateway-env", paramLabel = "NAME=VALUE",
    description = "Extra environment of the gateway, repeatable, e.g. RELAY_DB_POOL_SIZE=4.")
  Map<String, String> env = new LinkedHashMap<>();

  @Option(names = "--db-host", defaultValue = "127.0.0.1", description = "PostgreSQL host (default: ${DEFAULT-VALUE}).")
  String dbHost;

  @Option(names = "--db-port", defaultValue = "5432", description = "PostgreSQL port (default: ${DEFAULT-VALUE}).")
  int dbPort;

  @Option(names = "--db-user", defaultValue = "postgres",
    description = "PostgreSQL role; it must be allowed to create databases (default: ${DEFAULT-VALUE}).")
  String dbUser;

  /** The Java release from which a JVM reads an AOT cache ({@code -XX:AOTCache}, JEP 483). */
  static final int AOT_CACHE_JAVA = 25;

  /**
   * Fails when the jar is missing, saying how to build it; or when an AOT cache is given that is missing or that
   * the gateway's JVM (this one's) cannot read.
   */
  void requireJar() {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no gateway jar at " + jar.toAbsolutePath()
        + "; build it with ./mvnw -DskipTests package from the repository root, or pass --gateway-jar");
    }
    if (aotCache != null) {
      String problem = aotCacheProblem(aotCache, Runtime.version().feature());
      if (problem != null) {
        throw new IllegalStateException(problem);
      }
    }
  }

  /** Why {@code cache} cannot be used by a gateway on Java {@code feature}, or null when it can. */
  static String aotCacheProblem(Path cache, int feature) {
    if (feature < AOT_CACHE_JAVA) {
      return "--gateway-aot-cache needs Java " + AOT_CACHE_JAVA + " or later for the gateways, which run on this "
        + "benchmark's Java (" + feature + "): run it with JAVA_HOME set to a JDK " + AOT_CACHE_JAVA + "+";
    }
    if (!Files.isRegularFile(cache)) {
      return "no AOT cache at " + cache.toAbsolutePath() + "; make one with relay-bench aot-train";
    }
    return null;
  }

  /** The gateway's JVM options: {@code --gateway-jvm-args}, then the AOT cache when one is given. */
  List<String> jvmArgs() {
    return withAotCache(jvmArgs, aotCache);
  }

  /** {@code args} and, when {@code cache} is not null, {@code -XX:AOTCache=} its absolute path. */
  static List<String> withAotCache(List<String> args, Path cache) {
    List<String> all = new ArrayList<>(args);
    if (cache != null) {
      all.add("-XX:AOTCache=" + cache.toAbsolutePath().normalize());
    }
    return all;
  }

  BenchDatabase database() {
    return new BenchDatabase(dbHost, dbPort, dbUser);
  }

  /**
   * The gateway's environment: the database settings, then the benchmark's own {@code settings}, then
   * {@code --gateway-env} (which may override those), and the database name last (it is the run's).
   */
  Map<String, String> environment(String database, Map<String, String> settings) {
    Map<String, String> environment = new LinkedHashMap<>();
    environment.put("RELAY_DB_HOST", dbHost);
    environment.put("RELAY_DB_PORT", Integer.toString(dbPort));
    environment.put("RELAY_DB_USER", dbUser);
    environment.put("RELAY_DB_NAME", database);
    environment.putAll(settings);
    environment.putAll(env);
    environment.put("RELAY_DB_NAME", database);
    return environment;
  }

  /** These options as they go into a result's {@code parameters}, in this order. */
  JsonObject describe(JsonObject parameters) {
    return parameters
      .put("gateway_jar", jar.toString())
      .put("gateway_jvm_args", new JsonArray(new ArrayList<>(jvmArgs)))
      .put("gateway_aot_cache", aotCache == null ? null : aotCache.toString())
      .put("gateway_env", new JsonObject(new LinkedHashMap<>(env)))
      .put("db_host", dbHost)
      .put("db_port", dbPort);
  }
}
