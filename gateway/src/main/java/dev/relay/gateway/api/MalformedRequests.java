package dev.relay.gateway.api;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Requests that cannot be read as HTTP or whose target cannot be decoded, answered with a problem like
 * every other 4xx. What the HTTP decoder refuses (an over-long request line or header block, duplicate or
 * negative Content-Length, a bare LF or a NUL or CR in a header) reaches {@link #answer}, the server's
 * invalid-request handler, which answers and closes the connection: the decoder cannot find where the
 * next request would begin. A target whose percent-escapes do not decode is refused by {@link #checkTarget}
 * before any route reads a path or query parameter.
 */
final class MalformedRequests {

  private MalformedRequests() {
  }

  /** The server's invalid-request handler: a problem for what the HTTP decoder refused, then the connection closes. */
  static Handler<HttpServerRequest> answer(HttpServerOptions options) {
    return request -> {
      Throwable cause = request.decoderResult().cause();
      ApiProblem problem;
      if (cause instanceof TooLongHttpLineException) {
        problem = ApiProblem.of(414, "uri-too-long", "URI too long",
          "The request line is longer than " + options.getMaxInitialLineLength() + " bytes.")
          .with("limit", options.getMaxInitialLineLength());
      } else if (cause instanceof TooLongHttpHeaderException) {
        problem = ApiProblem.of(431, "headers-too-large", "Request header fields too large",
          "The request's header fields are larger than " + options.getMaxHeaderSize() + " bytes.")
          .with("limit", options.getMaxHeaderSize());
      } else {
        problem = ApiProblem.of(400, "malformed-request", "Malformed request",
          "The request is not well-formed HTTP/1.1" + (cause == null || cause.getMessage() == null ? "."
            : ": " + cause.getMessage() + "."));
      }
      problem.header(HttpHeaders.CONNECTION.toString(), "close")
        .send(request.response())
        .onComplete(done -> request.connection().close());
    };
  }

  /**
   * Refuses a request whose path or query has a percent-escape that is not two hex digits, does not
   * decode to UTF-8, or decodes to a control character: the router would fail on the first while
   * matching a route, outside every route's handler, and the database on a NUL.
   */
  static void checkTarget(RoutingContext ctx) {
    ApiProblem problem = targetProblem(ctx.request());
    if (problem != null) {
      ctx.fail(problem);
    } else {
      ctx.next();
    }
  }

  /** The problem with the request's target, or null when its path and query decode. */
  static ApiProblem targetProblem(HttpServerRequest request) {
    String uri = request.uri();
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    String where = !decodes(path) ? "path" : query >= 0 && !decodes(uri.substring(query + 1)) ? "query" : null;
    return where == null ? null : ApiProblem.of(400, "invalid-uri", "Invalid request target", "The request's " + where
      + " has a percent-escape that is not % and two hex digits, escapes bytes that are not UTF-8 or a control "
      + "character, or holds a character that must be percent-encoded.").with("part", where);
  }

  /**
   * Whether {@code text} is ASCII, each %XX escape is well formed, and the bytes they spell are UTF-8 with
   * no control character (a NUL would reach PostgreSQL, which cannot hold it, in a path parameter).
   */
  static boolean decodes(String text) {
    boolean escaped = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x7f || c <= 0x20) {
        return false;
      }
      escaped |= c == '%';
    }
    if (!escaped) {
      return true;
    }
    ByteBuffer bytes = ByteBuffer.allocate(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '%') {
        if (i + 2 >= text.length() || Character.digit(text.charAt(i + 1), 16) < 0
          || Character.digit(text.charAt(i + 2), 16) < 0) {
          return false;
        }
        bytes.put((byte) (Character.digit(text.charAt(i + 1), 16) * 16 + Character.digit(text.charAt(i + 2), 16)));
        i += 2;
      } else {
        bytes.put((byte) c);
      }
    }
    bytes.flip();
    CharBuffer decoded;
    try {
      decoded = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(bytes);
    } catch (CharacterCodingException e) {
      return false;
    }
    for (int i = 0; i < decoded.length(); i++) {
      if (Character.isISOControl(decoded.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
