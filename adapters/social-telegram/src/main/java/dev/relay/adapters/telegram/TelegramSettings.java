package dev.relay.adapters.telegram;

import dev.relay.adapters.spi.AccountSettings;

import java.util.regex.Pattern;

/**
 * The settings of one {@code social-telegram} account, checked once when the account opens.
 *
 * @param botToken       the bot's token from BotFather ({@code 123456:ABC-…}), part of every method's URL
 * @param webhookSecret  the {@code secret_token} given to {@code setWebhook}, which Telegram sends back in
 *                       {@code X-Telegram-Bot-Api-Secret-Token}; null when the account takes no webhooks
 * @param baseUrl        the Bot API's base URL, without a trailing slash
 * @param timeoutMs      the longest wait for a connection, and the longest silence while waiting for the
 *                       answer
 * @param maxConnections the size of the keep-alive connection pool
 */
record TelegramSettings(String botToken, String webhookSecret, String baseUrl, int timeoutMs, int maxConnections) {

  static final String DEFAULT_BASE_URL = "https://api.telegram.org";
  static final int DEFAULT_TIMEOUT_MS = 10_000;
  static final int DEFAULT_MAX_CONNECTIONS = 16;

  private static final Pattern BOT_TOKEN = Pattern.compile("[0-9]+:[A-Za-z0-9_-]+");
  /** What {@code setWebhook} allows as a secret token. */
  private static final Pattern WEBHOOK_SECRET = Pattern.compile("[A-Za-z0-9_-]{1,256}");

  /**
   * Reads and checks an account's settings; a missing or malformed one fails with an
   * {@link IllegalArgumentException} that names the account and the setting, never a value.
   */
  static TelegramSettings of(AccountSettings settings) {
    String token = settings.require("bot-token").trim();
    if (!BOT_TOKEN.matcher(token).matches()) {
      throw new IllegalArgumentException(settings + ": setting 'bot-token' must be a bot token as BotFather gives"
        + " it: digits, ':', then letters, digits, '_' or '-'");
    }
    String secret = settings.optional("webhook-secret", null);
    if (secret != null && secret.isBlank()) {
      secret = null;
    }
    if (secret != null && !WEBHOOK_SECRET.matcher(secret).matches()) {
      throw new IllegalArgumentException(settings + ": setting 'webhook-secret' must be 1 to 256 letters, digits,"
        + " '_' or '-', as Telegram's setWebhook requires");
    }
    return new TelegramSettings(token, secret,
      settings.httpUrl("base-url", settings.optional("base-url", DEFAULT_BASE_URL)),
      settings.positiveInt("timeout-ms", DEFAULT_TIMEOUT_MS),
      settings.positiveInt("max-connections", DEFAULT_MAX_CONNECTIONS));
  }

  /** The {@code sendMessage} method's URL, which holds the token. */
  String sendMessageUrl() {
    return baseUrl + "/bot" + botToken + "/sendMessage";
  }

  @Override
  public String toString() {
    // The token (also inside the method URLs) and the webhook secret are secrets.
    return "social-telegram settings (timeout " + timeoutMs + " ms, " + maxConnections + " connections)";
  }
}
