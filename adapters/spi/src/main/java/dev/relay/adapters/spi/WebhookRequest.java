package dev.relay.adapters.spi;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * A provider's webhook call as received: the full URL it was sent to (some schemes sign it), its
 * headers, and its raw body, unparsed, since signatures are over the exact bytes.
 */
public record WebhookRequest(String method, String url, MultiMap headers, Buffer body) {
}
