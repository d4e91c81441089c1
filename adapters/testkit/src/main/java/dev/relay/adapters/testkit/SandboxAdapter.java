package dev.relay.adapters.testkit;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;

/**
 * The adapters that send to a {@link SandboxServer}: one per channel, named {@code sandbox-email},
 * {@code sandbox-sms}, {@code sandbox-push}, {@code sandbox-chat} and {@code sandbox-webhook}.
 *
 * <p>Account settings: {@code url} (required, the sandbox's base URL, such as
 * {@code http://127.0.0.1:8081}), {@code timeout-ms} (optional, default 10000: the longest wait for a
 * connection, and the longest silence while waiting for the answer) and {@code max-connections}
 * (optional, default 16: the size of the account's keep-alive connection pool).
 *
 * <p>A batch goes out as one request. The answer maps to results as follows: {@code 200} gives each
 * message its own result (accepted with the sandbox's id, or permanent with its reason); {@code 429} makes
 * every message throttled with the {@code Retry-After}; {@code 408} and {@code 5xx} make every message
 * retryable; any other {@code 4xx} makes every message permanent. A connection refused, reset or timed out,
 * or an answer that breaks the protocol, fails the returned future, which the dispatcher treats as
 * retryable for every message.
 */
public abstract class SandboxAdapter implements Adapter {

  private final Channel channel;

  SandboxAdapter(Channel channel) {
    this.channel = channel;
  }

  @Override
  public String name() {
    return "sandbox-" + channel.wireName();
  }

  @Override
  public Channel channel() {
    return channel;
  }

  @Override
  public ProviderAccount open(Vertx vertx, AccountSettings settings) {
    return SandboxAccount.open(vertx, settings, channel);
  }

  @Override
  public String toString() {
    return name();
  }

  /** {@code sandbox-email}. */
  public static final class Email extends SandboxAdapter {
    /** Made by {@link java.util.ServiceLoader}. */
    public Email() {
      super(Channel.EMAIL);
    }
  }

  /** {@code sandbox-sms}. */
  public static final class Sms extends SandboxAdapter {
    /** Made by {@link java.util.ServiceLoader}. */
    public Sms() {
      super(Channel.SMS);
    }
  }

  /** {@code sandbox-push}. */
  public static final class Push extends SandboxAdapter {
    /** Made by {@link java.util.ServiceLoader}. */
    public Push() {
      super(Channel.PUSH);
    }
  }

  /** {@code sandbox-chat}. */
  public static final class Chat extends SandboxAdapter {
    /** Made by {@link java.util.ServiceLoader}. */
    public Chat() {
      super(Channel.CHAT);
    }
  }

  /** {@code sandbox-webhook}. */
  public static final class Webhook extends SandboxAdapter {
    /** Made by {@link java.util.ServiceLoader}. */
    public Webhook() {
      super(Channel.WEBHOOK);
    }
  }
}
