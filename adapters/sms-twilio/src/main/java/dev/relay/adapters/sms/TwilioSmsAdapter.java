package dev.relay.adapters.sms;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;

/**
 * The {@code sms-twilio} adapter: delivers {@link Channel#SMS} messages through the Twilio Messages API and
 * reads Twilio's signed status callbacks and STOP replies. See the
 * {@linkplain dev.relay.adapters.sms package documentation} for the settings, the content it uses and how
 * answers map to results.
 */
public final class TwilioSmsAdapter implements Adapter {

  /** The adapter's name, as accounts name it. */
  public static final String NAME = "sms-twilio";

  /** Made by {@link java.util.ServiceLoader}. */
  public TwilioSmsAdapter() {
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Channel channel() {
    return Channel.SMS;
  }

  @Override
  public ProviderAccount open(Vertx vertx, AccountSettings settings) {
    return new TwilioAccount(vertx, settings, TwilioSettings.of(settings));
  }

  @Override
  public String toString() {
    return NAME;
  }
}
