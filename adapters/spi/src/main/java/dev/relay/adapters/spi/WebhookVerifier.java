package dev.relay.adapters.spi;

import java.util.List;
import java.util.Optional;

/** Verifies a provider's webhook call by the provider's own signature scheme and parses its events. */
public interface WebhookVerifier {

  /**
   * Verifies the call and returns its events. A bad or missing signature, or a timestamp outside the
   * replay window, throws {@link WebhookRejectedException}; a verified call whose body is not the provider's
   * payload (not its envelope, missing the fields every call of its kind carries) throws
   * {@link IllegalArgumentException}, and is answered 400 and stored nowhere.
   */
  List<WebhookEvent> verify(WebhookRequest request);

  /**
   * Answers the provider's onboarding handshake, when the call is one: Slack's signed
   * {@code url_verification} POST, Meta's {@code GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…}.
   * The call is checked as the provider documents (a signature that does not verify throws
   * {@link WebhookRejectedException}; a reply may itself be a refusal, such as Meta's {@code 403} for a wrong
   * verify token), and nothing of it is stored. Empty when the call is not a handshake: it then goes to
   * {@link #verify}. Providers without a handshake keep this default.
   */
  default Optional<WebhookReply> handshake(WebhookRequest request) {
    return Optional.empty();
  }
}
