package dev.relay.adapters.slack;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;

/**
 * The {@code social-slack} adapter: delivers {@link Channel#CHAT} messages to Slack channels and users with
 * the Web API's {@code chat.postMessage}, and verifies the app's Events API calls. See the
 * {@linkplain dev.relay.adapters.slack package documentation} for the settings, the content it uses and how
 * answers map to results.
 */
public final class SlackAdapter implements Adapter {

  /** The adapter's name, as accounts name it. */
  public static final String NAME = "social-slack";

  /** Made by {@link java.util.ServiceLoader}. */
  public SlackAdapter() {
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
    return new SlackAccount(vertx, settings, SlackSettings.of(settings));
  }

  @Override
  public String toString() {
    return NAME;
  }
}
