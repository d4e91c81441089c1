package dev.relay.adapters.fcm;

import dev.relay.adapters.spi.AccountSettings;
import io.vertx.core.Vertx;

/**
 * The settings of one {@code push-fcm} account, checked once when the account opens.
 *
 * @param baseUrl        FCM's base URL, without a trailing slash
 * @param projectId      the Firebase project messages are sent through
 * @param serviceAccount the credentials that sign token requests
 * @param timeoutMs      the longest wait for a connection, and the longest silence while waiting for an answer
 * @param maxConnections the size of the keep-alive connection pool
 */
record FcmSettings(String baseUrl, String projectId, ServiceAccount serviceAccount, int timeoutMs, int maxConnections) {

  static final String DEFAULT_BASE_URL = "https://fcm.googleapis.com";
  static final int DEFAULT_TIMEOUT_MS = 10_000;
  static final int DEFAULT_MAX_CONNECTIONS = 16;

  /**
   * Reads and checks an account's settings; a missing or malformed one fails with an
   * {@link IllegalArgumentException} that names the account and the setting, never a value.
   */
  static FcmSettings of(Vertx vertx, AccountSettings settings) {
    ServiceAccount serviceAccount = ServiceAccount.parse(vertx, settings.require("service-account"),
      settings + ": setting 'service-account'");
    settings.httpUrl("service-account' field 'token_uri", serviceAccount.tokenUri());
    String baseUrl = settings.httpUrl("base-url", settings.optional("base-url", DEFAULT_BASE_URL));
    String projectId = settings.optional("project-id", serviceAccount.projectId());
    if (projectId == null || projectId.isBlank()) {
      throw new IllegalArgumentException(settings + ": setting 'project-id' is required when the service account "
        + "names no project_id");
    }
    if (!projectId.matches("[A-Za-z0-9._:-]+")) {
      throw new IllegalArgumentException(settings + ": setting 'project-id' is not a Firebase project id");
    }
    return new FcmSettings(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl, projectId,
      serviceAccount, settings.positiveInt("timeout-ms", DEFAULT_TIMEOUT_MS),
      settings.positiveInt("max-connections", DEFAULT_MAX_CONNECTIONS));
  }

  @Override
  public String toString() {
    return "push-fcm settings (project " + projectId + ", " + serviceAccount + ", timeout " + timeoutMs + " ms, "
      + maxConnections + " connections)";
  }
}
