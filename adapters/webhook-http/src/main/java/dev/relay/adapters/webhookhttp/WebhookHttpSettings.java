package dev.relay.adapters.webhookhttp;

import dev.relay.adapters.spi.AccountSettings;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * The settings of one {@code webhook-http} account, checked once when the account opens.
 *
 * @param url            where every message is posted
 * @param signer         signs with the account's secret
 * @param timeoutMs      the longest wait for a connection, and the longest silence while waiting for the
 *                       answer
 * @param maxConnections the size of the keep-alive connection pool
 */
record WebhookHttpSettings(String url, StandardWebhooksSigner signer, int timeoutMs, int maxConnections) {

  static final int DEFAULT_TIMEOUT_MS = 10_000;
  static final int DEFAULT_MAX_CONNECTIONS = 16;

  /**
   * Reads and checks an account's settings; a missing or malformed one fails with an
   * {@link IllegalArgumentException} that names the account and the setting, never a value.
   */
  static WebhookHttpSettings of(AccountSettings settings) {
    String url = settings.require("url");
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(settings + ": setting 'url' is not a URL");
    }
    if (!("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
      || uri.getHost() == null) {
      throw new IllegalArgumentException(settings + ": setting 'url' must be an absolute http or https URL");
    }
    StandardWebhooksSigner signer = StandardWebhooksSigner.fromSecret(settings.require("secret"),
      settings + ": setting 'secret'");
    return new WebhookHttpSettings(url, signer,
      settings.positiveInt("timeout-ms", DEFAULT_TIMEOUT_MS),
      settings.positiveInt("max-connections", DEFAULT_MAX_CONNECTIONS));
  }

  @Override
  public String toString() {
    // The signer holds the secret; the URL may carry a token.
    return "webhook-http settings (timeout " + timeoutMs + " ms, " + maxConnections + " connections)";
  }
}
