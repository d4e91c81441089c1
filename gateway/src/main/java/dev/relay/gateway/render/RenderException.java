package dev.relay.gateway.render;

/**
 * A message that cannot be rendered for a reason that will not change on retry: a missing variable
 * under the {@code fail} policy, a helper given something it cannot format, a channel the template has
 * no part for. The message fails with this reason, which names the variable or part.
 */
public final class RenderException extends RuntimeException {

  public RenderException(String reason) {
    super(reason, null, false, false);
  }
}
