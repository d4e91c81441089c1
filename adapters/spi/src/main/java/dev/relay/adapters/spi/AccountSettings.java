package dev.relay.adapters.spi;

import io.vertx.core.json.JsonObject;

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

  @Override
  public String toString() {
    return "account " + name + " (adapter " + adapter + ")";
  }
}
