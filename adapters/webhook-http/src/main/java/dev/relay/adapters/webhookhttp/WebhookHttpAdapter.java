package dev.relay.adapters.webhookhttp;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;

/**
 * The {@code webhook-http} adapter: delivers each message on the {@link Channel#WEBHOOK} channel as a JSON
 * {@code POST} to the account's URL, signed as the Standard Webhooks specification says. See the
 * {@linkplain dev.relay.adapters.webhookhttp package documentation} for the wire format, the settings and
 * how answers map to results.
 *
 * <p>It is also the reference for writing an adapter: settings checked once in {@link #open} with errors
 * that name the setting, one pooled client per account, non-blocking sends that never throw, and every
 * answer mapped to a result that says whether to retry.
 */
public final class WebhookHttpAdapter implements Adapter {

  /** The adapter's name, as accounts name it. */
  public static final String NAME = "webhook-http";

  /** Made by {@link java.util.ServiceLoader}. */
  public WebhookHttpAdapter() {
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Channel channel() {
    return Channel.WEBHOOK;
  }

  @Override
  public ProviderAccount open(Vertx vertx, AccountSettings settings) {
    return new WebhookHttpAccount(vertx, settings, WebhookHttpSettings.of(settings));
  }

  @Override
  public String toString() {
    return NAME;
  }
}
