package dev.relay.adapters.whatsapp;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;

/**
 * The {@code social-whatsapp} adapter: delivers {@link Channel#CHAT} messages as WhatsApp template messages
 * through the WhatsApp Cloud API, and reads Meta's signed status and message webhooks. See the
 * {@linkplain dev.relay.adapters.whatsapp package documentation} for the settings, the content it uses and
 * how answers map to results.
 */
public final class WhatsAppAdapter implements Adapter {

  /** The adapter's name, as accounts name it. */
  public static final String NAME = "social-whatsapp";

  /** Made by {@link java.util.ServiceLoader}. */
  public WhatsAppAdapter() {
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Channel channel() {
    return Channel.CHAT;
  }

  @Override
  public ProviderAccount open(Vertx vertx, AccountSettings settings) {
    return new WhatsAppAccount(vertx, settings, WhatsAppSettings.of(settings));
  }

  @Override
  public String toString() {
    return NAME;
  }
}
