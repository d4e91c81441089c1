package dev.relay.adapters.fcm;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * An HTTP answer from Google: the status, the {@code Retry-After} header and the start of the body.
 *
 * @param status     the HTTP status
 * @param retryAfter the {@code Retry-After} header, or null
 * @param body       up to {@link #MAX_BYTES} of the body
 */
record Answer(int status, String retryAfter, Buffer body) {

  /** How much of a body is kept; the rest is drained unread. FCM's answers are far smaller. */
  static final int MAX_BYTES = 64 * 1024;

  /** Reads an answer, keeping at most {@link #MAX_BYTES} of its body. */
  static Future<Answer> read(HttpClientResponse response) {
    Buffer body = Buffer.buffer();
    response.handler(chunk -> {
      int room = MAX_BYTES - body.length();
      if (room > 0) {
        body.appendBuffer(chunk, 0, Math.min(room, chunk.length()));
      }
    });
    return response.end().map(done -> new Answer(response.statusCode(),
      response.getHeader(HttpHeaders.RETRY_AFTER), body));
  }

  /** The body as a JSON object, or an empty one when it is not one. */
  JsonObject json() {
    if (body.length() == 0 || body.getByte(0) != '{') {
      return new JsonObject();
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException e) {
      // An error page or a body cut at the limit: the status alone decides.
      return new JsonObject();
    }
  }
}
