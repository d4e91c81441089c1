package dev.relay.adapters.telegram;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;

/**
 * The {@code social-telegram} adapter: delivers {@link Channel#CHAT} messages to Telegram chats through the
 * Bot API's {@code sendMessage}, and reads the bot's webhook updates for {@code /stop}. See the
 * {@linkplain dev.relay.adapters.telegram package documentation} for the settings, the content it uses and
 * how answers map to results.
 */
public final class TelegramAdapter implements Adapter {

  /** The adapter's name, as accounts name it. */
  public static final String NAME = "social-telegram";

  /** Made by {@link java.util.ServiceLoader}. */
  public TelegramAdapter() {
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
    return new TelegramAccount(vertx, settings, TelegramSettings.of(settings));
  }

  @Override
  public String toString() {
    return NAME;
  }
}
