package dev.relay.adapters.email;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;

/**
 * The {@code email-smtp} adapter: delivers each message on the {@link Channel#EMAIL} channel as a mail over
 * SMTP (STARTTLS or implicit TLS, AUTH, optional DKIM signing) to the account's server, through a pooled
 * Vert.x mail client, and verifies the SendGrid or Mailgun event webhooks of the relay behind it. See the
 * {@linkplain dev.relay.adapters.email package documentation} for the settings, the content fields, the
 * headers it sets, how replies map to results, and the webhooks.
 */
public final class EmailSmtpAdapter implements Adapter {

  /** The adapter's name, as accounts name it. */
  public static final String NAME = "email-smtp";

  /** Made by {@link java.util.ServiceLoader}. */
  public EmailSmtpAdapter() {
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Channel channel() {
    return Channel.EMAIL;
  }

  @Override
  public ProviderAccount open(Vertx vertx, AccountSettings settings) {
    return new EmailSmtpAccount(vertx, settings, EmailSmtpSettings.of(settings));
  }

  @Override
  public String toString() {
    return NAME;
  }
}
