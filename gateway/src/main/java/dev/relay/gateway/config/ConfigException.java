package dev.relay.gateway.config;

/** A setting that cannot be used as given; the message names the setting and where it came from. */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }
}
