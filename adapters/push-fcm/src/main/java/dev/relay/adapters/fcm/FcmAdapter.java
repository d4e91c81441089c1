package dev.relay.adapters.fcm;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.util.Objects;

/**
 * The {@code push-fcm} adapter: delivers {@link Channel#PUSH} messages through Firebase Cloud Messaging's
 * HTTP v1 API, authorized by a service account's OAuth 2.0 access token. See the
 * {@linkplain dev.relay.adapters.fcm package documentation} for the settings, the content fields it reads
 * and how FCM's errors map to results.
 */
public final class FcmAdapter implements Adapter {

  /** The adapter's name, as accounts name it. */
  public static final String NAME = "push-fcm";

  /**
   * How the reason of a permanent result starts when FCM said the device token is no longer valid
   * ({@code UNREGISTERED}, or {@code INVALID_ARGUMENT} about the token): the gateway marks the recipient's
   * token invalid on it.
   */
  public static final String INVALID_TOKEN_PREFIX = "invalid-token:";

  private final Clock clock;

  /** Made by {@link java.util.ServiceLoader}: token lifetimes follow the system clock. */
  public FcmAdapter() {
    this(Clock.systemUTC());
  }

  /** An adapter whose token lifetimes follow {@code clock}, for tests that let an hour pass at once. */
  public FcmAdapter(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Channel channel() {
    return Channel.PUSH;
  }

  /** Opens an account; parses the service account's key file, and checks that its key signs. */
  @Override
  public ProviderAccount open(Vertx vertx, AccountSettings settings) {
    return new FcmAccount(vertx, settings, FcmSettings.of(vertx, settings), clock);
  }

  @Override
  public String toString() {
    return NAME;
  }
}
