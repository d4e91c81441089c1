package dev.relay.adapters.apns;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.Vertx;
import io.vertx.core.net.OpenSSLEngineOptions;

import java.time.Clock;
import java.util.Objects;

/**
 * The {@code push-apns} adapter: delivers {@link Channel#PUSH} messages through the Apple Push Notification
 * service's provider API, over HTTP/2 with TLS and ALPN through netty-tcnative's OpenSSL, authenticated by
 * an ES256 provider token. See the {@linkplain dev.relay.adapters.apns package documentation} for the
 * settings, the content fields it reads and how APNs' answers map to results.
 */
public final class ApnsAdapter implements Adapter {

  /** The adapter's name, as accounts name it. */
  public static final String NAME = "push-apns";

  /**
   * How the reason of a permanent result starts when APNs said the device token is no longer valid
   * ({@code 410 Unregistered}, {@code 400 BadDeviceToken}, {@code 400 DeviceTokenNotForTopic}): the gateway
   * marks the recipient's token invalid on it. The same prefix as {@code push-fcm}'s.
   */
  public static final String INVALID_TOKEN_PREFIX = "invalid-token:";

  private final Clock clock;

  /** Made by {@link java.util.ServiceLoader}: provider tokens age by the system clock. */
  public ApnsAdapter() {
    this(Clock.systemUTC());
  }

  /** An adapter whose provider tokens age by {@code clock}, for tests that let twenty minutes pass at once. */
  public ApnsAdapter(Clock clock) {
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

  /**
   * Opens an account: checks the settings and that the key signs. Fails with an {@link IllegalStateException}
   * when netty-tcnative's OpenSSL with ALPN cannot be loaded on this machine.
   */
  @Override
  public ProviderAccount open(Vertx vertx, AccountSettings settings) {
    ApnsSettings config = ApnsSettings.of(settings);
    if (!OpenSSLEngineOptions.isAlpnAvailable()) {
      throw new IllegalStateException(settings + ": APNs needs OpenSSL with ALPN (netty-tcnative-boringssl-static), "
        + "which is not available on this machine", OpenSsl.unavailabilityCause());
    }
    ProviderToken token = ProviderToken.create(vertx, config.teamId(), config.keyId(), config.privateKey(), clock,
      settings + ": setting 'private-key'");
    return new ApnsAccount(vertx, settings, config, token);
  }

  @Override
  public String toString() {
    return NAME;
  }
}
