package dev.relay.gateway.intake;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;

/** The limits a batch is held to, from the configuration. */
public record IntakeLimits(int maxRecipients, int maxVariables, int maxStringLength, int defaultTtlSeconds,
                           int maxTtlSeconds) {

  /** Longest recipient id, address, locale or time zone, in characters. */
  public static final int MAX_SHORT_STRING = 256;

  /** Deepest nesting of objects and arrays inside a recipient's variables. */
  public static final int MAX_VARIABLE_DEPTH = 8;

  public static IntakeLimits from(RelayConfig config) {
    return new IntakeLimits(
      config.integer(Setting.INTAKE_MAX_RECIPIENTS),
      config.integer(Setting.INTAKE_MAX_VARIABLES),
      config.integer(Setting.INTAKE_MAX_STRING_LENGTH),
      config.integer(Setting.INTAKE_DEFAULT_TTL_SECONDS),
      config.integer(Setting.INTAKE_MAX_TTL_SECONDS));
  }
}
