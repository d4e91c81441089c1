package dev.relay.gateway.dispatch;

import dev.relay.gateway.config.ConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Resolves secret references in account settings, so that credentials need not sit in the config
 * file: a string {@code ${env:NAME}} becomes the environment variable's value and {@code ${file:/path}}
 * the file's content (trailing line break removed). A reference that cannot be resolved fails start-up
 * with a message that names the account, the setting and the variable or file, never a value.
 * Blocking (reads files): call off the event loop.
 */
final class Secrets {

  private Secrets() {
  }

  static JsonObject resolve(String account, JsonObject settings, Map<String, String> env) {
    JsonObject resolved = new JsonObject();
    for (String key : settings.fieldNames()) {
      resolved.put(key, resolveValue(account, key, settings.getValue(key), env));
    }
    return resolved;
  }

  private static Object resolveValue(String account, String key, Object value, Map<String, String> env) {
    if (value instanceof JsonObject) {
      return resolve(account, (JsonObject) value, env);
    }
    if (value instanceof JsonArray) {
      JsonArray out = new JsonArray();
      for (Object item : (JsonArray) value) {
        out.add(resolveValue(account, key, item, env));
      }
      return out;
    }
    if (!(value instanceof String)) {
      return value;
    }
    String text = (String) value;
    if (!text.startsWith("${") || !text.endsWith("}")) {
      return text;
    }
    String reference = text.substring(2, text.length() - 1);
    if (reference.startsWith("env:")) {
      String name = reference.substring(4);
      String resolved = env.get(name);
      if (resolved == null) {
        throw new ConfigException("account '" + account + "': setting '" + key + "' names environment variable "
          + name + ", which is not set");
      }
      return resolved;
    }
    if (reference.startsWith("file:")) {
      Path path = Path.of(reference.substring(5));
      try {
        return Files.readString(path, StandardCharsets.UTF_8).stripTrailing();
      } catch (IOException e) {
        throw new ConfigException("account '" + account + "': setting '" + key + "' names file " + path
          + ", which cannot be read (" + e.getClass().getSimpleName() + ")");
      }
    }
    throw new ConfigException("account '" + account + "': setting '" + key
      + "' is a reference of an unknown kind; use ${env:NAME} or ${file:/path}");
  }
}
