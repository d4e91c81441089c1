package dev.relay.adapters.spi;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The answer to a provider's onboarding handshake, given as the provider documents it (Slack's
 * {@code url_verification} challenge, Meta's {@code hub.challenge}): the gateway sends it as it is and
 * stores nothing.
 *
 * @param status      the HTTP status
 * @param contentType the media type of {@code body}
 * @param body        the body
 */
public record WebhookReply(int status, String contentType, Buffer body) {

  public WebhookReply {
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(body, "body");
  }

  /** A {@code text/plain} answer. */
  public static WebhookReply text(int status, String text) {
    return new WebhookReply(status, "text/plain; charset=utf-8",
      Buffer.buffer(Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8)));
  }
}
