package dev.relay.gateway.startup;

import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import io.vertx.core.Future;

import java.util.Locale;

/** How {@code db.embedded} and {@code redis.in-process} are given: use the local stand-in when nothing answers, never, or always. */
enum Mode {
  AUTO, NEVER, ALWAYS;

  /** The setting's mode; a failed future naming the setting when it is none of them. */
  static Future<Mode> of(RelayConfig config, Setting setting) {
    return switch (config.string(setting).trim().toLowerCase(Locale.ROOT)) {
      case "auto" -> Future.succeededFuture(AUTO);
      case "never" -> Future.succeededFuture(NEVER);
      case "always" -> Future.succeededFuture(ALWAYS);
      default -> Future.failedFuture(new ConfigException(setting.key() + ": '" + config.string(setting)
        + "' is none of auto, never, always"));
    };
  }
}
