package dev.relay.gateway.render;

import dev.relay.adapters.spi.Channel;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * Renders a message's content for the channel it is about to be sent on. The dispatcher holds one; a
 * failure with {@link RenderException} fails the message with its reason, any other failure (the
 * template could not be loaded) is transient.
 */
public interface Renderer {

  /**
   * The content for {@code channel}: the rendered parts with tracking applied.
   *
   * @param templateId the template version's id (the batch's, fixed at intake)
   * @param locale     the recipient's BCP 47 locale, or null
   * @param timeZone   the recipient's IANA time zone, or null
   */
  Future<JsonObject> render(long templateId, Channel channel, long messageId, String locale, String timeZone,
                            JsonObject variables);
}
