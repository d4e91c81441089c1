package dev.relay.gateway.startup;

/**
 * Start-up cannot go on, for a reason the message says whole (a data directory another process holds, a
 * service that did not come up in the time allowed): reported in one line, without a stack trace.
 */
public final class StartupRefused extends RuntimeException {

  public StartupRefused(String message) {
    super(message);
  }
}
