package dev.relay.adapters.spi;

import io.vertx.core.Vertx;

/**
 * A channel adapter: the plug-in point through which Relay reaches a provider. Implementations are
 * found with {@link java.util.ServiceLoader} (list them in
 * {@code META-INF/services/dev.relay.adapters.spi.Adapter}); a third party adds a provider by putting
 * its jar on the class path. Two adapters of the same {@link #name()} stop start-up.
 *
 * <p>An adapter is configured once per provider <em>account</em> (credentials, endpoint, rate): the
 * gateway calls {@link #open} for every account that names it.
 */
public interface Adapter {

  /** The adapter's unique name, the one accounts use to name it, such as {@code webhook-http}. */
  String name();

  /** The channel this adapter delivers on. */
  Channel channel();

  /**
   * Opens one account of this adapter. Called once at start-up, off the event loop, so it may read
   * key files; a setting that is missing or malformed fails with an {@link IllegalArgumentException}
   * whose message names the setting (never its secret value).
   */
  ProviderAccount open(Vertx vertx, AccountSettings settings);
}
