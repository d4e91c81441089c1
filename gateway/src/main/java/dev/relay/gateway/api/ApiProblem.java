package dev.relay.gateway.api;

import dev.relay.gateway.intake.UnicodeText;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An RFC 9457 problem answered as {@code application/problem+json}: a status, a type that names the
 * kind of problem, a title and a detail for people, and extension members for programs (which limit,
 * which recipients). Thrown or failed with, it is answered as it is by {@link ProblemHandler}.
 */
public final class ApiProblem extends RuntimeException {

  public static final String CONTENT_TYPE = "application/problem+json";
  private static final String TYPE_PREFIX = "urn:relay:problem:";

  private final int status;
  private final String slug;
  private final String title;
  private final JsonObject extensions = new JsonObject();
  private final Map<String, String> headers = new LinkedHashMap<>();

  private ApiProblem(int status, String slug, String title, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.slug = slug;
    this.title = title;
  }

  /** A problem of the given status and kind; {@code slug} becomes the type {@code urn:relay:problem:<slug>}. */
  public static ApiProblem of(int status, String slug, String title, String detail) {
    return new ApiProblem(status, slug, title, detail);
  }

  /** The database cannot be reached; the client should retry after the given seconds. */
  public static ApiProblem databaseUnavailable(int retryAfterSeconds) {
    return of(503, "database-unavailable", "Service unavailable",
      "The database cannot be reached; nothing was stored. Retry the same request, with the same Idempotency-Key.")
      .header("Retry-After", Integer.toString(retryAfterSeconds));
  }

  /** Text in the body that cannot be stored or sent exactly as given (an unpaired surrogate, a control character). */
  public static ApiProblem invalidText(UnicodeText.Finding finding) {
    return of(422, "invalid-text", "Invalid text", finding.pointer() + ": " + finding.reason() + "; nothing was stored.")
      .with("pointer", finding.pointer());
  }

  /** Adds an extension member. */
  public ApiProblem with(String name, Object value) {
    extensions.put(name, value);
    return this;
  }

  /** Adds a response header, such as {@code Retry-After}. */
  public ApiProblem header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  public int status() {
    return status;
  }

  public String type() {
    return TYPE_PREFIX + slug;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
      .put("type", type())
      .put("title", title)
      .put("status", status)
      .put("detail", getMessage());
    extensions.forEach(e -> json.put(e.getKey(), e.getValue()));
    return json;
  }

  /** Answers the request with this problem. */
  public void send(RoutingContext ctx) {
    send(ctx.response());
  }

  /** Answers with this problem; a response already begun cannot change its status and is reset instead. */
  public Future<Void> send(HttpServerResponse response) {
    if (response.headWritten()) {
      response.reset();
      return Future.succeededFuture();
    }
    headers.forEach(response::putHeader);
    return response
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, CONTENT_TYPE)
      .end(toJson().toBuffer());
  }
}
