package dev.relay.adapters.email;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.StartTLSOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
class EmailSmtpAdapterTest {

  static final JsonObject VALID = new JsonObject()
    .put("host", "smtp.relay.example")
    .put("from", "Relay <news@relay.example>")
    .put("username", "apikey")
    .put("password", "SG.super-secret-password");

  @Test
  @DisplayName("ServiceLoader finds email-smtp on the email channel")
  void discovery() {
    assertThat(ServiceLoader.load(Adapter.class).stream().map(ServiceLoader.Provider::get))
      .filteredOn(a -> a.name().equals("email-smtp"))
      .singleElement()
      .satisfies(a -> assertThat(a.channel()).isEqualTo(Channel.EMAIL));
  }

  @Test
  @DisplayName("Missing or malformed settings stop the account from opening, naming the setting, never the secret")
  void settings() {
    assertRefused(without(VALID, "host"), "'host'");
    assertRefused(without(VALID, "from"), "'from'");
    assertRefused(VALID.copy().put("from", "news"), "'from'");
    assertRefused(VALID.copy().put("from", "news@relay.example\r\nBcc: x@y.example"), "'from'");
    assertRefused(without(VALID, "password"), "'username' and 'password'");
    assertRefused(VALID.copy().put("port", "smtp"), "'port'");
    assertRefused(VALID.copy().put("port", 70000), "'port'");
    assertRefused(VALID.copy().put("starttls", "sometimes"), "'starttls'");
    assertRefused(VALID.copy().put("ssl", "yes"), "'ssl'");
    assertRefused(VALID.copy().put("trust-all", "maybe"), "'trust-all'");
    assertRefused(VALID.copy().put("max-connections", 0), "'max-connections'");
    assertRefused(VALID.copy().put("timeout-ms", "soon"), "'timeout-ms'");
    assertRefused(VALID.copy().put("message-id-domain", "not a domain"), "'message-id-domain'");
    assertRefused(VALID.copy().put("dkim-selector", "s1"), "'dkim-selector', 'dkim-domain' and 'dkim-private-key'");
    assertRefused(VALID.copy().put("dkim-selector", "s1").put("dkim-domain", "relay.example")
      .put("dkim-private-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIsecret\n-----END RSA PRIVATE KEY-----"),
      "PKCS#1");
    assertRefused(VALID.copy().put("dkim-selector", "s1").put("dkim-domain", "relay.example")
      .put("dkim-private-key", "-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYMATERIAL\n-----END PRIVATE KEY-----"),
      "'dkim-private-key'");
    assertRefused(VALID.copy().put("webhooks", "postmark"), "'webhooks'");
    assertRefused(VALID.copy().put("webhooks", "sendgrid"), "'sendgrid-public-key'");
    assertRefused(VALID.copy().put("webhooks", "sendgrid").put("sendgrid-public-key", "TOPSECRETKEYMATERIAL"),
      "'sendgrid-public-key'");
    assertRefused(VALID.copy().put("webhooks", "mailgun"), "'mailgun-signing-key'");
    assertRefused(VALID.copy().put("webhooks", "mailgun").put("mailgun-signing-key", "k")
      .put("webhook-tolerance-seconds", -5), "'webhook-tolerance-seconds'");
  }

  @Test
  @DisplayName("The account's mail client gets the pool, timeouts, TLS and AUTH the settings ask for")
  void mailConfig() throws Exception {
    MailConfig defaults = EmailSmtpAccount.mailConfig(EmailSmtpSettings.of(account(VALID)));
    assertThat(defaults.getHostname()).isEqualTo("smtp.relay.example");
    assertThat(defaults.getPort()).isEqualTo(587);
    assertThat(defaults.getStarttls()).as("TLS is required unless turned off").isEqualTo(StartTLSOptions.REQUIRED);
    assertThat(defaults.isSsl()).isFalse();
    assertThat(defaults.isTrustAll()).isFalse();
    assertThat(defaults.getHostnameVerificationAlgorithm()).isEqualTo("HTTPS");
    assertThat(defaults.getLogin()).isEqualTo(LoginOption.REQUIRED);
    assertThat(defaults.getAuthMethods()).isEqualTo("PLAIN LOGIN");
    assertThat(defaults.getMaxPoolSize()).isEqualTo(8);
    assertThat(defaults.getConnectTimeout()).isEqualTo(10_000);
    assertThat(defaults.getIdleTimeout()).isEqualTo(10_000);
    assertThat(defaults.getIdleTimeoutUnit()).isEqualTo(TimeUnit.MILLISECONDS);
    assertThat(defaults.getOwnHostname()).isEqualTo("relay.example");
    assertThat(defaults.isEnableDKIM()).isFalse();

    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    String pkcs8 = Base64.getEncoder().encodeToString(rsa.generateKeyPair().getPrivate().getEncoded());
    MailConfig tuned = EmailSmtpAccount.mailConfig(EmailSmtpSettings.of(account(new JsonObject()
      .put("host", "smtp.relay.example").put("from", "news@relay.example").put("ssl", "true")
      .put("max-connections", "3").put("timeout-ms", 2500).put("message-id-domain", "mid.relay.example")
      .put("dkim-selector", "s1").put("dkim-domain", "relay.example").put("dkim-private-key", pkcs8))));
    assertThat(tuned.getPort()).isEqualTo(465);
    assertThat(tuned.isSsl()).isTrue();
    assertThat(tuned.getStarttls()).isEqualTo(StartTLSOptions.DISABLED);
    assertThat(tuned.getLogin()).isEqualTo(LoginOption.DISABLED);
    assertThat(tuned.getMaxPoolSize()).isEqualTo(3);
    assertThat(tuned.getConnectTimeout()).isEqualTo(2500);
    assertThat(tuned.getOwnHostname()).isEqualTo("mid.relay.example");
    assertThat(tuned.isEnableDKIM()).isTrue();
    assertThat(tuned.getDKIMSignOptions()).singleElement().satisfies(dkim -> {
      assertThat(dkim.getSdid()).isEqualTo("relay.example");
      assertThat(dkim.getSelector()).isEqualTo("s1");
      assertThat(dkim.getSignedHeaders()).contains("From", "Subject", "Message-ID");
    });
  }

  @Test
  @DisplayName("Neither the account nor its settings show the password or keys when printed")
  void noSecretsInToString(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = new EmailSmtpAdapter().open(vertx, account(VALID.copy().put("webhooks", "mailgun")
      .put("mailgun-signing-key", "key-verysecretsigningkey")));
    assertThat(account.toString()).contains("smtp.relay.example").contains("auth")
      .doesNotContain("super-secret").doesNotContain("verysecret");
    assertThat(account.webhooks().orElseThrow().toString()).doesNotContain("verysecret");
    account.close().onComplete(ctx.succeedingThenComplete());
  }

  private static void assertRefused(JsonObject settings, String naming) {
    assertThatThrownBy(() -> EmailSmtpSettings.of(account(settings)))
      .isInstanceOf(IllegalArgumentException.class)
      .hasMessageContaining(naming)
      .hasMessageNotContaining("super-secret")
      .hasMessageNotContaining("TOPSECRET")
      .hasMessageNotContaining("MIIsecret");
  }

  private static JsonObject without(JsonObject json, String key) {
    JsonObject copy = json.copy();
    copy.remove(key);
    return copy;
  }

  private static AccountSettings account(JsonObject settings) {
    return new AccountSettings("mail", "email-smtp", settings);
  }
}
