package dev.relay.gateway.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The gateway's settings, resolved once at start-up from built-in defaults, an optional config file
 * (YAML or JSON) and {@code RELAY_*} environment variables, each overriding the one before.
 */
public final class RelayConfig {

  /** The environment variable that names the config file when {@code --config} is not given. */
  public static final String CONFIG_FILE_ENV = "RELAY_CONFIG";

  /** Top-level sections of the config file with a structure of their own, read by their users. */
  private static final Set<String> STRUCTURED_SECTIONS = Set.of("accounts");

  private final Map<Setting, String> values;
  private final Set<Setting> given;
  private final JsonObject file;

  private RelayConfig(Map<Setting, String> values, Set<Setting> given, JsonObject file) {
    this.values = values;
    this.given = given;
    this.file = file;
  }

  /** Built-in defaults overridden by the given values; for tests and embedding. */
  public static RelayConfig of(Map<Setting, String> overrides) {
    return of(overrides, new JsonObject());
  }

  /**
   * Like {@link #of(Map)}, with the content of a config file (for its structured sections, such as accounts).
   * {@code RELAY_*} variables are not read; secret references ({@code ${env:NAME}}) are resolved from the process
   * environment.
   */
  public static RelayConfig of(Map<Setting, String> overrides, JsonObject file) {
    return resolve(file, Map.of(), overrides, System.getenv());
  }

  /**
   * Reads the config file (when one is given) and the environment. A file that does not exist, a key
   * the gateway does not know, a value of the wrong type, or a secret reference ({@code ${env:NAME}},
   * {@code ${file:/path}}, see {@link Secrets}) that cannot be resolved fails with a message that names it.
   * Resolving reads files: done on a worker thread.
   */
  public static Future<RelayConfig> load(Vertx vertx, Path configFile, Map<String, String> env) {
    Path file = configFile;
    if (file == null && env.get(CONFIG_FILE_ENV) != null && !env.get(CONFIG_FILE_ENV).isBlank()) {
      file = Path.of(env.get(CONFIG_FILE_ENV));
    }
    if (file == null) {
      return vertx.executeBlocking(() -> resolve(new JsonObject(), env, Map.of(), env));
    }
    if (!Files.isRegularFile(file)) {
      return Future.failedFuture(new ConfigException("config file " + file + " does not exist"));
    }
    String name = file.getFileName().toString();
    String format = name.endsWith(".yaml") || name.endsWith(".yml") ? "yaml" : "json";
    ConfigStoreOptions store = new ConfigStoreOptions()
      .setType("file")
      .setFormat(format)
      .setConfig(new JsonObject().put("path", file.toAbsolutePath().toString()));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, new ConfigRetrieverOptions()
      .setScanPeriod(0)
      .addStore(store));
    Path source = file;
    return retriever.getConfig()
      .recover(err -> Future.failedFuture(new ConfigException("config file " + source + " cannot be read: " + err.getMessage())))
      .compose(json -> vertx.executeBlocking(() -> resolve(json, env, Map.of(), env)))
      .eventually(retriever::close);
  }

  private static RelayConfig resolve(JsonObject file, Map<String, String> env, Map<Setting, String> overrides,
                                     Map<String, String> referenceEnv) {
    List<String> unknown = new ArrayList<>(unknownKeys(file));
    if (!unknown.isEmpty()) {
      throw new ConfigException("config file has unknown settings: " + String.join(", ", unknown));
    }
    Map<Setting, String> values = new EnumMap<>(Setting.class);
    Set<Setting> given = EnumSet.noneOf(Setting.class);
    for (Setting setting : Setting.values()) {
      String value;
      String origin;
      if (overrides.containsKey(setting)) {
        value = overrides.get(setting);
        origin = setting.key();
      } else if (env.containsKey(setting.envName())) {
        value = env.get(setting.envName());
        origin = "environment variable " + setting.envName();
      } else if (lookup(file, setting.key()) != null) {
        value = String.valueOf(lookup(file, setting.key()));
        origin = "config file key " + setting.key();
      } else {
        value = setting.defaultValue();
        origin = "default of " + setting.key();
      }
      if (setting.type() == Setting.Type.SECRET) {
        String subject = "setting " + setting.key() + (origin.equals(setting.key()) ? "" : " (" + origin + ")");
        value = Secrets.resolve(subject, value, referenceEnv);
      }
      if (!origin.startsWith("default")) {
        given.add(setting);
      }
      values.put(setting, check(setting, value, origin));
    }
    return new RelayConfig(values, given, file);
  }

  private static String check(Setting setting, String value, String origin) {
    switch (setting.type()) {
      case INT:
        try {
          int parsed = Integer.parseInt(value.trim());
          if (parsed < 0) {
            throw new ConfigException(origin + ": " + value + " must not be negative");
          }
          return Integer.toString(parsed);
        } catch (NumberFormatException e) {
          throw new ConfigException(origin + ": '" + value + "' is not a whole number");
        }
      case BOOL:
        String v = value.trim();
        if (!v.equals("true") && !v.equals("false")) {
          throw new ConfigException(origin + ": '" + value + "' is neither true nor false");
        }
        return v;
      default:
        return value;
    }
  }

  private static Object lookup(JsonObject json, String dottedKey) {
    Object node = json;
    for (String part : dottedKey.split("\\.")) {
      if (!(node instanceof JsonObject)) {
        return null;
      }
      node = ((JsonObject) node).getValue(part);
    }
    return node instanceof JsonObject ? null : node;
  }

  private static Set<String> unknownKeys(JsonObject file) {
    Set<String> known = new TreeSet<>();
    for (Setting setting : Setting.values()) {
      known.add(setting.key());
    }
    Set<String> unknown = new TreeSet<>();
    collect(file, "", known, unknown);
    return unknown;
  }

  private static void collect(JsonObject json, String prefix, Set<String> known, Set<String> unknown) {
    for (String field : json.fieldNames()) {
      String key = prefix + field;
      if (STRUCTURED_SECTIONS.contains(key)) {
        continue;
      }
      Object value = json.getValue(field);
      if (value instanceof JsonObject && known.stream().anyMatch(k -> k.startsWith(key + "."))) {
        collect((JsonObject) value, key + ".", known, unknown);
      } else if (!known.contains(key)) {
        unknown.add(key);
      }
    }
  }

  /** Whether the setting was given (environment, config file or override) rather than left at its default. */
  public boolean given(Setting setting) {
    return given.contains(setting);
  }

  /**
   * This configuration with a setting replaced, for the process's own use (the embedded PostgreSQL's
   * address, for example); the value counts as given.
   */
  public RelayConfig with(Setting setting, String value) {
    Map<Setting, String> copy = new EnumMap<>(values);
    copy.put(setting, check(setting, value, setting.key()));
    Set<Setting> givenCopy = EnumSet.copyOf(given);
    givenCopy.add(setting);
    return new RelayConfig(copy, givenCopy, file);
  }

  public String string(Setting setting) {
    return values.get(setting);
  }

  public int integer(Setting setting) {
    return Integer.parseInt(values.get(setting));
  }

  public boolean bool(Setting setting) {
    return Boolean.parseBoolean(values.get(setting));
  }

  /** A directory in {@code data-dir}, where this process keeps what it writes at run time. */
  public Path dataDir(String name) {
    return Path.of(string(Setting.DATA_DIR)).resolve(name);
  }

  /** The provider accounts of the config file ({@code accounts:}), in their failover order; empty when none. */
  public JsonArray accounts() {
    Object accounts = file.getValue("accounts");
    if (accounts == null) {
      return new JsonArray();
    }
    if (!(accounts instanceof JsonArray)) {
      throw new ConfigException("config file key accounts must be a list of accounts");
    }
    return ((JsonArray) accounts).copy();
  }

  /** The effective settings, secrets masked: safe to log. */
  public JsonObject describe() {
    JsonObject out = new JsonObject();
    for (Setting setting : Setting.values()) {
      String value = values.get(setting);
      out.put(setting.key(), setting.type() == Setting.Type.SECRET && !value.isEmpty() ? "****" : value);
    }
    return out;
  }
}
