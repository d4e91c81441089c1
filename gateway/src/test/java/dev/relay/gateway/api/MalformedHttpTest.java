package dev.relay.gateway.api;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests a client library would never send, written byte for byte on a socket: every one the gateway
 * answers gets a status line, {@code application/problem+json} and a problem document that says what
 * was wrong, whether the HTTP decoder, the URI decoder or a route refused it.
 */
@DisplayName("Malformed HTTP")
class MalformedHttpTest {

  private static TestGateway gateway;
  private static String key;

  @BeforeAll
  static void start() {
    gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false"));
    key = gateway.apiKey("acme");
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  /** What came back on the socket until the gateway closed it (or a second of silence). */
  record Raw(String statusLine, Map<String, String> headers, String body, boolean closed) {
    int status() {
      return Integer.parseInt(statusLine.split(" ")[1]);
    }

    JsonObject problem() {
      return new JsonObject(body);
    }
  }

  static Raw exchange(byte[] request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      boolean closed = false;
      try {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          received.write(buffer, 0, n);
          if (complete(received.toString(StandardCharsets.UTF_8))) {
            socket.setSoTimeout(1_000);
          }
        }
        closed = true;
      } catch (SocketTimeoutException e) {
        closed = false;
      } catch (IOException e) {
        closed = true; // reset by the peer
      }
      return parse(received.toString(StandardCharsets.UTF_8), closed);
    }
  }

  private static boolean complete(String text) {
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    Raw head = parse(text, false);
    String length = head.headers().get("content-length");
    return length != null && text.getBytes(StandardCharsets.UTF_8).length >= end + 4 + Integer.parseInt(length);
  }

  private static Raw parse(String text, boolean closed) {
    if (text.isEmpty()) {
      return new Raw(null, Map.of(), "", closed);
    }
    int end = text.indexOf("\r\n\r\n");
    String head = end < 0 ? text : text.substring(0, end);
    String[] lines = head.split("\r\n");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    return new Raw(lines[0], headers, end < 0 ? "" : text.substring(end + 4), closed);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  static Stream<Arguments> malformed() {
    String auth = "Authorization: Bearer KEY\r\n";
    String body = "{\"campaign\":\"c\"}";
    return Stream.of(
      Arguments.of("an Idempotency-Key with a control character",
        "POST /v1/batches HTTP/1.1\r\nHost: x\r\n" + auth + "Idempotency-Key: a\u0001b\r\nContent-Length: 0\r\n\r\n",
        400, "malformed-request"),
      Arguments.of("a request line longer than the limit",
        "GET /v1/batches/" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri-too-long"),
      Arguments.of("a 64 KB header", "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64 * 1024)
        + "\r\n\r\n", 431, "headers-too-large"),
      Arguments.of("two different Content-Length headers", "POST /v1/batches HTTP/1.1\r\nHost: x\r\n" + auth
        + "Content-Type: application/json\r\nContent-Length: 16\r\nContent-Length: 3\r\n\r\n" + body,
        400, "malformed-request"),
      Arguments.of("a negative Content-Length", "POST /v1/batches HTTP/1.1\r\nHost: x\r\n" + auth
        + "Content-Type: application/json\r\nContent-Length: -16\r\n\r\n" + body, 400, "malformed-request"),
      Arguments.of("bare LF line endings", "GET /health/live HTTP/1.1\nHost: x\nX-A: b\n\n", 400, "malformed-request"),
      Arguments.of("a NUL in a header value", "GET /health/live HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n",
        400, "malformed-request"),
      Arguments.of("a CR in a header value", "GET /health/live HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
        400, "malformed-request"),
      Arguments.of("a space in a header name", "GET /health/live HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n",
        400, "malformed-request"),
      Arguments.of("a bad percent-escape in the query", "GET /v1/suppressions?limit=%ZZ HTTP/1.1\r\nHost: x\r\n" + auth
        + "Connection: close\r\n\r\n", 400, "invalid-uri"),
      Arguments.of("a bad percent-escape in a path parameter", "GET /u/%%%41%%% HTTP/1.1\r\nHost: x\r\n"
        + "Connection: close\r\n\r\n", 400, "invalid-uri"),
      Arguments.of("a percent-escape that is not UTF-8 in a path parameter",
        "GET /v1/campaigns/%ED%A0%80/stats HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n",
        400, "invalid-uri"),
      Arguments.of("a percent-escaped NUL in a path parameter (found by ApiFuzzTest: it was a 500)",
        "POST /v1/campaigns/x%00a%2Fb/resume HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 0\r\n"
        + "Connection: close\r\n\r\n", 400, "invalid-uri"),
      Arguments.of("a percent-escaped control character in the query", "DELETE /v1/suppressions?channel=email&address=a%07b"
        + " HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n", 400, "invalid-uri"),
      Arguments.of("an HTTP/1.1 request without Host", "GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n",
        400, "bad-request"),
      Arguments.of("an unknown method on a known path", "BREW /v1/batches HTTP/1.1\r\nHost: x\r\n" + auth
        + "Connection: close\r\n\r\n", 404, "not-found"),
      Arguments.of("an unknown method on an unknown path", "BREW /nowhere HTTP/1.1\r\nHost: x\r\n"
        + "Connection: close\r\n\r\n", 404, "not-found"),
      Arguments.of("a raw non-ASCII byte in the path", "GET /v1/campaigns/\u00e9/stats HTTP/1.1\r\nHost: x\r\n" + auth
        + "Connection: close\r\n\r\n", 400, "invalid-uri"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  @DisplayName("a malformed request gets its status and a problem document")
  void malformedGetsProblem(String what, String request, int status, String type) throws IOException {
    Raw answer = exchange(bytes(request.replace("KEY", key)));

    assertThat(answer.statusLine()).as("answer to %s", what).isNotNull();
    assertThat(answer.status()).as(answer.statusLine()).isEqualTo(status);
    assertThat(answer.headers().get("content-type")).isEqualTo("application/problem+json");
    JsonObject problem = answer.problem();
    assertThat(problem.getString("type")).isEqualTo("urn:relay:problem:" + type);
    assertThat(problem.getInteger("status")).isEqualTo(status);
    assertThat(problem.getString("detail")).isNotBlank();
    assertThat(await(gateway.get("/health/live", null).send()).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("an unknown HTTP version is answered 501 by Vert.x itself, without a body, and the connection closed")
  void unknownVersion() throws IOException {
    // Http1xServerRequestHandler answers these before any handler of the application sees the request;
    // Vert.x 5.0.8 has no hook for it (docs/api.md, "What the HTTP layer answers itself").
    for (String version : new String[] {"HTTP/1.2", "HTTP/2.0", "FOO/1.1"}) {
      Raw answer = exchange(bytes("GET /health/live " + version + "\r\nHost: x\r\n\r\n"));
      assertThat(answer.statusLine()).isEqualTo(version + " 501 Not Implemented");
      assertThat(answer.body()).isEmpty();
      assertThat(answer.closed()).isTrue();
    }
    // A version the decoder cannot even read is the application's to answer.
    Raw unreadable = exchange(bytes("GET /health/live HTTP/x\r\nHost: x\r\n\r\n"));
    assertThat(unreadable.status()).isEqualTo(400);
    assertThat(unreadable.headers().get("content-type")).isEqualTo("application/problem+json");
    assertThat(await(gateway.get("/health/live", null).send()).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a chunked body with a bad chunk size closes the connection, stores nothing, and the gateway goes on")
  void badChunkSize() throws IOException {
    long before = gateway.database().count("SELECT count(*) FROM batches");
    String head = "POST /v1/batches HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
      + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (String chunks : new String[] {"zz\r\nabc\r\n0\r\n\r\n", "3\r\n{\"a\r\n-1\r\n\r\n"}) {
      // The decoder fails in the middle of a request already handed to the router: Vert.x closes the
      // connection at once, and a response written then is discarded with it.
      Raw answer = exchange(bytes(head + chunks));
      assertThat(answer.statusLine()).isNull();
      assertThat(answer.closed()).isTrue();
    }
    assertThat(gateway.database().count("SELECT count(*) FROM batches")).isEqualTo(before);
    assertThat(await(gateway.get("/health/live", null).send()).statusCode()).isEqualTo(200);
  }
}
