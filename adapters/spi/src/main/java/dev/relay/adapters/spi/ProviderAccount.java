package dev.relay.adapters.spi;

import io.vertx.core.Future;

import java.util.List;
import java.util.Optional;

/**
 * One configured account of an adapter: what the dispatcher sends through. Implementations are
 * non-blocking and safe to call from any event loop.
 */
public interface ProviderAccount {

  /** The account's settings as configured. */
  AccountSettings settings();

  /**
   * Sends a batch of messages and answers one result per message, in the same order. A failure of the
   * whole call (connection refused, timeout) may be reported as a failed future; the dispatcher then
   * treats every message of the batch as retryable.
   */
  Future<List<SendResult>> send(List<OutboundMessage> messages);

  /** The verifier and parser of this provider's webhooks, when it sends any. */
  default Optional<WebhookVerifier> webhooks() {
    return Optional.empty();
  }

  /** Releases connections and timers. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
