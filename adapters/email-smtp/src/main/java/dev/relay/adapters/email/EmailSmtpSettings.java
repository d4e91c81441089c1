package dev.relay.adapters.email;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.ext.mail.StartTLSOptions;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;

/**
 * The settings of one {@code email-smtp} account, checked once when the account opens. Every error names
 * the account and the setting, never a value.
 *
 * @param host             the SMTP server
 * @param port             its port
 * @param from             the default sender, {@code noreply@example.com} or {@code Name <noreply@example.com>}
 * @param username         the AUTH user, or null for no AUTH
 * @param password         the AUTH password, or null
 * @param startTls         whether and how to upgrade to TLS
 * @param ssl              TLS from the first byte (SMTPS)
 * @param trustAll         whether to accept any server certificate (tests only)
 * @param maxConnections   the size of the connection pool
 * @param timeoutMs        the longest wait for a connection, a TLS handshake, or any answer of the server
 * @param messageIdDomain  the domain of every Message-ID
 * @param dkim             DKIM signing, or null
 * @param webhooks         the verifier of the provider's event webhooks ({@code webhooks} setting), or null
 */
record EmailSmtpSettings(String host, int port, String from, String username, String password,
                         StartTLSOptions startTls, boolean ssl, boolean trustAll, int maxConnections, int timeoutMs,
                         String messageIdDomain, Dkim dkim, WebhookVerifier webhooks) {

  static final int DEFAULT_MAX_CONNECTIONS = 8;
  static final int DEFAULT_TIMEOUT_MS = 10_000;
  static final int DEFAULT_TOLERANCE_SECONDS = 300;

  /**
   * DKIM signing.
   *
   * @param selector   the selector ({@code s=}), naming the DNS record {@code <selector>._domainkey.<domain>}
   * @param domain     the signing domain ({@code d=})
   * @param privateKey the base64 of the PKCS#8 RSA private key, without PEM armour
   */
  record Dkim(String selector, String domain, String privateKey) {
    @Override
    public String toString() {
      return "DKIM " + selector + "._domainkey." + domain;
    }
  }

  /** Reads and checks an account's settings. */
  static EmailSmtpSettings of(AccountSettings settings) {
    String host = settings.require("host");
    boolean ssl = bool(settings, "ssl", false);
    int port = settings.positiveInt("port", ssl ? 465 : 587);
    if (port > 65_535) {
      throw new IllegalArgumentException(settings + ": setting 'port' must be at most 65535");
    }
    String from = settings.require("from");
    String fromProblem = Mailboxes.problem(from, "setting 'from'");
    if (fromProblem != null) {
      throw new IllegalArgumentException(settings + ": " + fromProblem);
    }
    String username = settings.optional("username", null);
    String password = settings.optional("password", null);
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException(settings + ": settings 'username' and 'password' go together");
    }
    StartTLSOptions startTls = startTls(settings, ssl);
    String domain = settings.optional("message-id-domain", Mailboxes.domain(from));
    if (!Mailboxes.isDomain(domain)) {
      throw new IllegalArgumentException(settings + ": setting 'message-id-domain' must be a domain name");
    }
    return new EmailSmtpSettings(host, port, from, username, password, startTls, ssl,
      bool(settings, "trust-all", false),
      settings.positiveInt("max-connections", DEFAULT_MAX_CONNECTIONS),
      settings.positiveInt("timeout-ms", DEFAULT_TIMEOUT_MS),
      domain.toLowerCase(Locale.ROOT), dkim(settings), webhooks(settings));
  }

  private static StartTLSOptions startTls(AccountSettings settings, boolean ssl) {
    String value = settings.optional("starttls", null);
    if (value == null) {
      // Implicit TLS needs no upgrade; otherwise credentials and mail never cross the network in clear.
      return ssl ? StartTLSOptions.DISABLED : StartTLSOptions.REQUIRED;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "disabled" -> StartTLSOptions.DISABLED;
      case "optional" -> StartTLSOptions.OPTIONAL;
      case "required" -> StartTLSOptions.REQUIRED;
      default -> throw new IllegalArgumentException(settings
        + ": setting 'starttls' must be disabled, optional or required");
    };
  }

  private static WebhookVerifier webhooks(AccountSettings settings) {
    String value = settings.optional("webhooks", "none").trim().toLowerCase(Locale.ROOT);
    Duration tolerance = Duration.ofSeconds(settings.positiveInt("webhook-tolerance-seconds",
      DEFAULT_TOLERANCE_SECONDS));
    return switch (value) {
      case "none" -> null;
      case "sendgrid" -> new SendGridWebhooks(sendGridKey(settings), tolerance, Clock.systemUTC());
      case "mailgun" -> new MailgunWebhooks(settings.require("mailgun-signing-key"), tolerance, Clock.systemUTC());
      default -> throw new IllegalArgumentException(settings + ": setting 'webhooks' must be sendgrid, mailgun or none");
    };
  }

  private static PublicKey sendGridKey(AccountSettings settings) {
    String value = settings.require("sendgrid-public-key");
    try {
      byte[] der = Base64.getMimeDecoder().decode(pemBody(value, "PUBLIC KEY"));
      return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      // Not chained: the causes may quote part of the value.
      throw new IllegalArgumentException(settings
        + ": setting 'sendgrid-public-key' must be the base64 of an ECDSA public key (SubjectPublicKeyInfo DER)");
    }
  }

  private static Dkim dkim(AccountSettings settings) {
    String selector = settings.optional("dkim-selector", null);
    String domain = settings.optional("dkim-domain", null);
    String key = settings.optional("dkim-private-key", null);
    if (selector == null && domain == null && key == null) {
      return null;
    }
    if (selector == null || domain == null || key == null) {
      throw new IllegalArgumentException(settings
        + ": settings 'dkim-selector', 'dkim-domain' and 'dkim-private-key' go together");
    }
    if (!Mailboxes.isDomain(domain)) {
      throw new IllegalArgumentException(settings + ": setting 'dkim-domain' must be a domain name");
    }
    if (!selector.matches("[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")) {
      throw new IllegalArgumentException(settings + ": setting 'dkim-selector' must be a DNS label");
    }
    if (key.contains("RSA PRIVATE KEY")) {
      throw new IllegalArgumentException(settings + ": setting 'dkim-private-key' is PKCS#1; convert it to PKCS#8"
        + " (openssl pkcs8 -topk8 -nocrypt)");
    }
    String body = pemBody(key, "PRIVATE KEY").replaceAll("\\s", "");
    try {
      KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw new IllegalArgumentException(settings
        + ": setting 'dkim-private-key' must be an RSA private key in PKCS#8 PEM (BEGIN PRIVATE KEY)");
    }
    return new Dkim(selector, domain.toLowerCase(Locale.ROOT), body);
  }

  /** The base64 between the PEM armour lines of {@code label}, or the value itself when it has none. */
  static String pemBody(String value, String label) {
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int from = value.indexOf(begin);
    int to = value.indexOf(end);
    if (from < 0 || to < from) {
      return value.trim();
    }
    return value.substring(from + begin.length(), to).trim();
  }

  private static boolean bool(AccountSettings settings, String key, boolean fallback) {
    String value = settings.optional(key, null);
    if (value == null) {
      return fallback;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException(settings + ": setting '" + key + "' must be true or false");
    };
  }

  @Override
  public String toString() {
    // The password, the DKIM key and the webhook keys stay out.
    return "email-smtp settings (" + host + ":" + port + (ssl ? " ssl" : " starttls " + startTls)
      + (username == null ? "" : ", auth") + (dkim == null ? "" : ", " + dkim) + (webhooks == null ? "" : ", " + webhooks)
      + ", " + maxConnections + " connections, timeout " + timeoutMs + " ms)";
  }
}
