package dev.relay.adapters.spi;

import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
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

  /**
   * For providers whose API takes one message per call: starts every call at once and answers when
   * all have their result, in order. A call whose future fails is that message's retryable result,
   * with the failure as its reason; an exception while building a request fails the whole batch.
   */
  static Future<List<SendResult>> sendEach(List<OutboundMessage> messages,
                                           Function<OutboundMessage, Future<SendResult>> send) {
    List<Future<SendResult>> calls = new ArrayList<>(messages.size());
    try {
      for (OutboundMessage message : messages) {
        calls.add(send.apply(message).recover(failure -> Future.succeededFuture(SendResult.retryable(
          failure.getMessage() == null ? failure.toString() : failure.getMessage(), null))));
      }
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return Future.all(calls).map(all -> all.list());
  }

  /** Releases connections and timers. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
