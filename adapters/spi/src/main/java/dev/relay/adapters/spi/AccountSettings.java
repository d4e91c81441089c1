package dev.relay.adapters.spi;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;

/**
 * One provider account as configured: its name, the adapter it uses, and the adapter's own settings
 * (credentials, endpoint). Secrets are resolved before the adapter sees them; {@link #toString()} never
 * shows settings.
 */
public final class AccountSettings {

  private final String name;
  private final String adapter;
  private final JsonObject settings;

  public AccountSettings(String name, String adapter, JsonObject settings) {
    this.name = Objects.requireNonNull(name, "name");
    this.adapter = Objects.requireNonNull(adapter, "adapter");
    this.settings = settings == null ? new JsonObject() : settings.copy();
  }

  /** The account's name, unique in the configuration, such as {@code sendgrid-eu}. */
  public String name() {
    return name;
  }

  /** The name of the adapter this account uses. */
  public String adapter() {
    return adapter;
  }

  /** The adapter's settings for this account (a copy). */
  public JsonObject settings() {
    return settings.copy();
  }

  /** A required string setting; fails naming the account and the key when it is missing or blank. */
  public String require(String key) {
    Object value = settings.getValue(key);
    if (!(value instanceof String) || ((String) value).isBlank()) {
      throw new IllegalArgumentException("account '" + name + "' (adapter " + adapter + "): setting '" + key
        + "' is required");
    }
    return (String) value;
  }

  /** An optional string setting. */
  public String optional(String key, String fallback) {
    Object value = settings.getValue(key);
    return value == null ? fallback : String.valueOf(value);
  }

  /** A positive whole-number setting, or {@code fallback} when it is absent; fails naming the setting otherwise. */
  public int positiveInt(String key, int fallback) {
    String value = optional(key, null);
    if (value == null) {
      return fallback;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(this + ": setting '" + key + "' must be a whole number", e);
    }
    if (parsed <= 0) {
      throw new IllegalArgumentException(this + ": setting '" + key + "' must be positive");
    }
    return parsed;
  }

  /**
   * Checks that {@code value}, given for {@code key}, is an absolute http or https URL and returns it
   * without a trailing slash; fails naming the setting, never quoting the value (URLs may carry tokens).
   */
  public String httpUrl(String key, String value) {
    URI uri;
    try {
      uri = new URI(value.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(this + ": setting '" + key + "' is not a URL");
    }
    if (!("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
      || uri.getHost() == null) {
      throw new IllegalArgumentException(this + ": setting '" + key + "' must be an absolute http or https URL");
    }
    String text = uri.toString();
    return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
  }

  @Override
  public String toString() {
    return "account " + name + " (adapter " + adapter + ")";
  }
}
