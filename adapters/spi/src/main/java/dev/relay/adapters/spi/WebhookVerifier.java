package dev.relay.adapters.spi;

import java.util.List;

/** Verifies a provider's webhook call by the provider's own signature scheme and parses its events. */
public interface WebhookVerifier {

  /**
   * Verifies the call and returns its events. A bad or missing signature, or a timestamp outside the
   * replay window, throws {@link WebhookRejectedException}; a verified call whose body cannot be parsed
   * throws {@link IllegalArgumentException}.
   */
  List<WebhookEvent> verify(WebhookRequest request);
}
