package dev.relay.adapters.slack;

import dev.relay.adapters.spi.AccountSettings;

/**
 * The settings of one {@code social-slack} account, checked once when the account opens.
 *
 * @param botToken       the bot user OAuth token ({@code xoxb-…}), sent as a Bearer token
 * @param signingSecret  the app's signing secret, the key of Events API signatures; null when the account
 *                       takes no webhooks
 * @param baseUrl        the Web API's base URL, without a trailing slash
 * @param timeoutMs      the longest wait for a connection, and the longest silence while waiting for the
 *                       answer
 * @param maxConnections the size of the keep-alive connection pool
 */
record SlackSettings(String botToken, String signingSecret, String baseUrl, int timeoutMs, int maxConnections) {

  static final String DEFAULT_BASE_URL = "https://slack.com";
  static final int DEFAULT_TIMEOUT_MS = 10_000;
  static final int DEFAULT_MAX_CONNECTIONS = 16;

  /**
   * Reads and checks an account's settings; a missing or malformed one fails with an
   * {@link IllegalArgumentException} that names the account and the setting, never a value.
   */
  static SlackSettings of(AccountSettings settings) {
    String token = settings.require("bot-token");
    if (token.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
      throw new IllegalArgumentException(settings + ": setting 'bot-token' must be printable ASCII without spaces");
    }
    String secret = settings.optional("signing-secret", null);
    if (secret != null && secret.isBlank()) {
      secret = null;
    }
    return new SlackSettings(token, secret,
      settings.httpUrl("base-url", settings.optional("base-url", DEFAULT_BASE_URL)),
      settings.positiveInt("timeout-ms", DEFAULT_TIMEOUT_MS),
      settings.positiveInt("max-connections", DEFAULT_MAX_CONNECTIONS));
  }

  /** The {@code chat.postMessage} method's URL. */
  String postMessageUrl() {
    return baseUrl + "/api/chat.postMessage";
  }

  @Override
  public String toString() {
    // The token and the signing secret are secrets.
    return "social-slack settings (timeout " + timeoutMs + " ms, " + maxConnections + " connections)";
  }
}
