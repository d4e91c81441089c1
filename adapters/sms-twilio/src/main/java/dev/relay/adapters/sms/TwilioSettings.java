package dev.relay.adapters.sms;

import dev.relay.adapters.spi.AccountSettings;

import java.util.regex.Pattern;

/**
 * The settings of one {@code sms-twilio} account, checked once when the account opens.
 *
 * @param accountSid          the Twilio account SID ({@code AC} and 32 hex digits): the Basic auth user
 *                            and part of the URL
 * @param authToken           the auth token: the Basic auth password and the key of callback signatures
 * @param from                the sender number or alphanumeric id, or null
 * @param messagingServiceSid the Messaging Service to send through ({@code MG…}), or null
 * @param statusCallbackUrl   where Twilio posts status callbacks for each message, or null
 * @param baseUrl             the API's base URL, without a trailing slash
 * @param timeoutMs           the longest wait for a connection, and the longest silence while waiting
 *                            for the answer
 * @param maxConnections      the size of the keep-alive connection pool
 */
record TwilioSettings(String accountSid, String authToken, String from, String messagingServiceSid,
                      String statusCallbackUrl, String baseUrl, int timeoutMs, int maxConnections) {

  static final String DEFAULT_BASE_URL = "https://api.twilio.com";
  static final int DEFAULT_TIMEOUT_MS = 10_000;
  static final int DEFAULT_MAX_CONNECTIONS = 16;

  private static final Pattern ACCOUNT_SID = Pattern.compile("AC[0-9a-fA-F]{32}");
  private static final Pattern SERVICE_SID = Pattern.compile("MG[0-9a-fA-F]{32}");

  /**
   * Reads and checks an account's settings; a missing or malformed one fails with an
   * {@link IllegalArgumentException} that names the account and the setting, never a value.
   */
  static TwilioSettings of(AccountSettings settings) {
    String accountSid = settings.require("account-sid");
    if (!ACCOUNT_SID.matcher(accountSid).matches()) {
      throw new IllegalArgumentException(settings + ": setting 'account-sid' must be AC followed by 32 hex digits");
    }
    String authToken = settings.require("auth-token");
    String from = blankToNull(settings.optional("from", null));
    String service = blankToNull(settings.optional("messaging-service-sid", null));
    if (from == null && service == null) {
      throw new IllegalArgumentException(settings + ": setting 'from' or 'messaging-service-sid' is required");
    }
    if (service != null && !SERVICE_SID.matcher(service).matches()) {
      throw new IllegalArgumentException(settings + ": setting 'messaging-service-sid' must be MG followed by 32 hex"
        + " digits");
    }
    String callback = blankToNull(settings.optional("status-callback-url", null));
    if (callback != null) {
      settings.httpUrl("status-callback-url", callback);
    }
    String baseUrl = settings.httpUrl("base-url", settings.optional("base-url", DEFAULT_BASE_URL));
    return new TwilioSettings(accountSid, authToken, from, service, callback, baseUrl,
      settings.positiveInt("timeout-ms", DEFAULT_TIMEOUT_MS),
      settings.positiveInt("max-connections", DEFAULT_MAX_CONNECTIONS));
  }

  /** The Messages resource of the account: {@code {base}/2010-04-01/Accounts/{sid}/Messages.json}. */
  String messagesUrl() {
    return baseUrl + "/2010-04-01/Accounts/" + accountSid + "/Messages.json";
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }

  @Override
  public String toString() {
    // The auth token is a secret; the SID is an identifier that Twilio prints in every URL.
    return "sms-twilio settings (account " + accountSid + ", timeout " + timeoutMs + " ms, " + maxConnections
      + " connections)";
  }
}
