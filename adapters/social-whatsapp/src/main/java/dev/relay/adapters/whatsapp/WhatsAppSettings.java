package dev.relay.adapters.whatsapp;

import dev.relay.adapters.spi.AccountSettings;

import java.util.regex.Pattern;

/**
 * The settings of one {@code social-whatsapp} account, checked once when the account opens.
 *
 * @param accessToken    a system user's access token with {@code whatsapp_business_messaging}, sent as a
 *                       Bearer token
 * @param phoneNumberId  the id of the business phone number that sends
 * @param appSecret      the Meta app's secret, the key of webhook signatures; null when the account takes no
 *                       webhooks
 * @param verifyToken    the token Meta's webhook verification request must carry; null when none is set
 * @param apiVersion     the Graph API version in the path, such as {@code v19.0}
 * @param baseUrl        the Graph API's base URL, without a trailing slash
 * @param timeoutMs      the longest wait for a connection, and the longest silence while waiting for the
 *                       answer
 * @param maxConnections the size of the keep-alive connection pool
 */
record WhatsAppSettings(String accessToken, String phoneNumberId, String appSecret, String verifyToken,
                        String apiVersion,
                        String baseUrl, int timeoutMs, int maxConnections) {

  static final String DEFAULT_BASE_URL = "https://graph.facebook.com";
  static final String DEFAULT_API_VERSION = "v19.0";
  static final int DEFAULT_TIMEOUT_MS = 10_000;
  static final int DEFAULT_MAX_CONNECTIONS = 16;

  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,32}");
  private static final Pattern API_VERSION = Pattern.compile("v[0-9]{1,3}\\.[0-9]{1,3}");

  /**
   * Reads and checks an account's settings; a missing or malformed one fails with an
   * {@link IllegalArgumentException} that names the account and the setting, never a value.
   */
  static WhatsAppSettings of(AccountSettings settings) {
    String token = settings.require("access-token").trim();
    if (token.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
      throw new IllegalArgumentException(settings + ": setting 'access-token' must be printable ASCII without"
        + " spaces");
    }
    String phoneNumberId = settings.require("phone-number-id").trim();
    if (!DIGITS.matcher(phoneNumberId).matches()) {
      throw new IllegalArgumentException(settings + ": setting 'phone-number-id' must be the number's id: digits");
    }
    String secret = settings.optional("app-secret", null);
    if (secret != null && secret.isBlank()) {
      secret = null;
    }
    String verifyToken = settings.optional("verify-token", null);
    if (verifyToken != null && verifyToken.isBlank()) {
      verifyToken = null;
    }
    if (verifyToken != null && secret == null) {
      throw new IllegalArgumentException(settings + ": setting 'verify-token' needs 'app-secret': the webhooks it"
        + " subscribes are verified with the app secret");
    }
    String version = settings.optional("api-version", DEFAULT_API_VERSION).trim();
    if (!API_VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException(settings + ": setting 'api-version' must look like v19.0");
    }
    return new WhatsAppSettings(token, phoneNumberId, secret, verifyToken, version,
      settings.httpUrl("base-url", settings.optional("base-url", DEFAULT_BASE_URL)),
      settings.positiveInt("timeout-ms", DEFAULT_TIMEOUT_MS),
      settings.positiveInt("max-connections", DEFAULT_MAX_CONNECTIONS));
  }

  /** The messages edge of the phone number: {@code {base}/{version}/{phone-number-id}/messages}. */
  String messagesUrl() {
    return baseUrl + "/" + apiVersion + "/" + phoneNumberId + "/messages";
  }

  @Override
  public String toString() {
    // The access token, the app secret and the verify token are secrets.
    return "social-whatsapp settings (phone number " + phoneNumberId + ", " + apiVersion + ", timeout " + timeoutMs
      + " ms, " + maxConnections + " connections)";
  }
}
