package dev.relay.gateway.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Resolves secret references, so that credentials need not sit in the config file: a value that is exactly
 * {@code ${env:NAME}} becomes the environment variable's value and {@code ${file:/path}} the file's content
 * (trailing line breaks and spaces removed). One mechanism for every secret: the settings of type
 * {@link Setting.Type#SECRET} ({@link RelayConfig} resolves them when it loads) and every string of the
 * provider accounts' settings. A reference that cannot be resolved fails start-up with a {@link ConfigException}
 * that names the setting and the variable or file, never a value. Blocking (reads files): call off the event loop.
 */
public final class Secrets {

  private Secrets() {
  }

  /** Whether a value is a reference ({@code ${…}}) rather than the secret itself. */
  public static boolean isReference(String value) {
    return value != null && value.startsWith("${") && value.endsWith("}");
  }

  /**
   * The value a setting's text stands for: the text itself unless it is a reference.
   *
   * @param subject what holds the value, for errors: {@code setting db.password (environment variable …)}
   */
  public static String resolve(String subject, String value, Map<String, String> env) {
    if (!isReference(value)) {
      return value;
    }
    String reference = value.substring(2, value.length() - 1);
    if (reference.startsWith("env:")) {
      String name = reference.substring(4);
      String resolved = env.get(name);
      if (resolved == null) {
        throw new ConfigException(subject + " names environment variable " + name + ", which is not set");
      }
      return resolved;
    }
    if (reference.startsWith("file:")) {
      Path path = Path.of(reference.substring(5));
      try {
        return Files.readString(path, StandardCharsets.UTF_8).stripTrailing();
      } catch (IOException e) {
        throw new ConfigException(subject + " names file " + path + ", which cannot be read ("
          + e.getClass().getSimpleName() + ")");
      }
    }
    throw new ConfigException(subject + " is a reference of an unknown kind; use ${env:NAME} or ${file:/path}");
  }

  /** A provider account's settings with every reference in them (nested ones too) resolved. */
  public static JsonObject resolve(String account, JsonObject settings, Map<String, String> env) {
    JsonObject resolved = new JsonObject();
    for (String key : settings.fieldNames()) {
      resolved.put(key, resolveValue(account, key, settings.getValue(key), env));
    }
    return resolved;
  }

  private static Object resolveValue(String account, String key, Object value, Map<String, String> env) {
    if (value instanceof JsonObject object) {
      return resolve(account, object, env);
    }
    if (value instanceof JsonArray array) {
      JsonArray out = new JsonArray();
      for (Object item : array) {
        out.add(resolveValue(account, key, item, env));
      }
      return out;
    }
    if (value instanceof String text) {
      return resolve("account '" + account + "': setting '" + key + "'", text, env);
    }
    return value;
  }
}
