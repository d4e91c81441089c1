package dev.relay.adapters.apns;

import dev.relay.adapters.spi.AccountSettings;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;

/**
 * The settings of one {@code push-apns} account, checked once when the account opens (the signing key is
 * checked by {@link ProviderToken#create}).
 *
 * @param baseUrl        APNs' base URL, without a trailing slash
 * @param teamId         the Apple developer team id, the provider token's {@code iss}
 * @param keyId          the signing key's id, the provider token's {@code kid}
 * @param privateKey     the signing key, PKCS#8 PEM
 * @param topic          the app's bundle id, sent as {@code apns-topic}
 * @param caCert         PEM certificates to trust instead of the JVM's trust store, or null
 * @param timeoutMs      the longest wait for a connection, and the longest silence while waiting for an answer
 * @param maxConnections how many HTTP/2 connections to open at most (each carries many concurrent streams)
 */
record ApnsSettings(String baseUrl, String teamId, String keyId, String privateKey, String topic, String caCert,
                    int timeoutMs, int maxConnections) {

  static final String PRODUCTION_URL = "https://api.push.apple.com";
  static final String SANDBOX_URL = "https://api.sandbox.push.apple.com";
  static final int DEFAULT_TIMEOUT_MS = 10_000;
  static final int DEFAULT_MAX_CONNECTIONS = 1;

  /**
   * Reads and checks an account's settings; a missing or malformed one fails with an
   * {@link IllegalArgumentException} that names the account and the setting, never a value.
   */
  static ApnsSettings of(AccountSettings settings) {
    String teamId = identifier(settings, "team-id");
    String keyId = identifier(settings, "key-id");
    String privateKey = settings.require("private-key");
    String topic = settings.require("topic").trim();
    String baseUrl = settings.optional("base-url", PRODUCTION_URL).trim();
    URI uri;
    try {
      uri = new URI(baseUrl);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(settings + ": setting 'base-url' is not a URL");
    }
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException(settings + ": setting 'base-url' must be an absolute https URL (APNs is "
        + "HTTP/2 over TLS), such as " + PRODUCTION_URL + " or " + SANDBOX_URL);
    }
    String caCert = settings.optional("ca-cert", null);
    if (caCert != null) {
      checkCertificates(settings, caCert);
    }
    return new ApnsSettings(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl, teamId,
      keyId, privateKey, topic, caCert, settings.positiveInt("timeout-ms", DEFAULT_TIMEOUT_MS),
      settings.positiveInt("max-connections", DEFAULT_MAX_CONNECTIONS));
  }

  private static String identifier(AccountSettings settings, String key) {
    String value = settings.require(key).trim();
    if (!value.matches("[A-Za-z0-9]+")) {
      throw new IllegalArgumentException(settings + ": setting '" + key + "' must be letters and digits only");
    }
    return value;
  }

  private static void checkCertificates(AccountSettings settings, String pem) {
    try {
      if (CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).isEmpty()) {
        throw new IllegalArgumentException(settings + ": setting 'ca-cert' holds no certificate");
      }
    } catch (CertificateException e) {
      throw new IllegalArgumentException(settings + ": setting 'ca-cert' is not a PEM X.509 certificate", e);
    }
  }

  @Override
  public String toString() {
    // The private key stays out.
    return "push-apns settings (" + baseUrl + ", team " + teamId + ", key " + keyId + ", topic " + topic
      + (caCert == null ? "" : ", own CA") + ", timeout " + timeoutMs + " ms, " + maxConnections + " connections)";
  }
}
