package dev.relay.gateway.startup;

import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;

import java.util.Locale;

/** How {@code db.embedded} and {@code redis.in-process} are given: use the local stand-in when nothing answers, never, or always. */
enum Mode {
  AUTO, NEVER, ALWAYS;

  static Mode of(RelayConfig config, Setting setting) {
    String value = config.string(setting).trim().toLowerCase(Locale.ROOT);
    return switch (value) {
      case "auto" -> AUTO;
      case "never" -> NEVER;
      case "always" -> ALWAYS;
      default -> throw new ConfigException(setting.key() + ": '" + config.string(setting)
        + "' is none of auto, never, always");
    };
  }
}
