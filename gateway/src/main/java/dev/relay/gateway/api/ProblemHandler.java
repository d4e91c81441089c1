package dev.relay.gateway.api;

import dev.relay.gateway.intake.IntakeService;
import dev.relay.gateway.intake.InvalidBatchException;
import dev.relay.gateway.store.DbErrors;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The failure handler of every route: each failure becomes a specific problem document. Bad input is
 * always a 4xx that names what was wrong; only a fault of the gateway itself is a 500, and it is logged.
 */
public final class ProblemHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(ProblemHandler.class);

  private final int maxBodyBytes;
  private final int retryAfterSeconds;

  public ProblemHandler(int maxBodyBytes, int retryAfterSeconds) {
    this.maxBodyBytes = maxBodyBytes;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  @Override
  public void handle(RoutingContext ctx) {
    toProblem(ctx).send(ctx);
  }

  /**
   * Makes every status the router answers by itself a problem too: its error handlers run for what fails
   * outside the routes' failure handlers, such as a path parameter that cannot be decoded while matching.
   */
  public void install(Router router) {
    for (int status = 400; status < 600; status++) {
      int code = status;
      router.errorHandler(code, ctx -> {
        if (ctx.response().ended()) {
          return;
        }
        ApiProblem target = MalformedRequests.targetProblem(ctx.request());
        if (target != null) {
          // Matching a route decodes the path, and fails on what does not decode.
          target.send(ctx);
        } else if (ctx.failure() != null) {
          toProblem(ctx).send(ctx);
        } else if (code == 500) {
          LOG.error("request {} {} failed outside its route", ctx.request().method(), ctx.request().path());
          internalError().send(ctx);
        } else {
          fromStatus(code, ctx).send(ctx);
        }
      });
    }
  }

  private static ApiProblem internalError() {
    return ApiProblem.of(500, "internal-error", "Internal error",
      "The gateway failed to handle this request; the failure is logged.");
  }

  private ApiProblem toProblem(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof HttpException && failure.getCause() != null) {
      failure = failure.getCause();
    }
    if (failure instanceof ApiProblem) {
      return (ApiProblem) failure;
    }
    if (failure instanceof InvalidBatchException) {
      InvalidBatchException invalid = (InvalidBatchException) failure;
      ApiProblem problem = ApiProblem.of(invalid.status(), invalid.kind(), "Batch not accepted", invalid.getMessage());
      invalid.members().forEach(e -> problem.with(e.getKey(), e.getValue()));
      return problem;
    }
    if (failure instanceof IntakeService.QueueFullException) {
      return ApiProblem.of(429, "queue-full", "Send queue full", failure.getMessage())
        .header("Retry-After", Integer.toString(retryAfterSeconds));
    }
    if (failure instanceof IntakeService.KeyReusedException) {
      return ApiProblem.of(422, "idempotency-key-reused", "Idempotency-Key reused", failure.getMessage());
    }
    if (failure instanceof ValidatorException) {
      return fromValidation((ValidatorException) failure, ctx);
    }
    if (failure != null && DbErrors.isUnavailable(failure)) {
      LOG.warn("database unavailable: {}", failure.toString());
      return ApiProblem.databaseUnavailable(retryAfterSeconds);
    }
    if (failure == null || ctx.statusCode() != 500 && ctx.statusCode() > 0) {
      return fromStatus(ctx.statusCode() > 0 ? ctx.statusCode() : 500, ctx);
    }
    LOG.error("request {} {} failed", ctx.request().method(), ctx.request().path(), failure);
    return internalError();
  }

  private ApiProblem fromValidation(ValidatorException e, RoutingContext ctx) {
    switch (e.type()) {
      case UNSUPPORTED_VALUE_FORMAT:
        return ApiProblem.of(415, "unsupported-media-type", "Unsupported media type",
          "The body must be application/json.");
      case ILLEGAL_VALUE:
        if (e.getMessage() != null && !e.getMessage().contains("request body")) {
          // A parameter whose text is not of its type, such as limit=abc.
          return ApiProblem.of(400, "invalid-parameter", "Invalid parameter", e.getMessage());
        }
        return isUtf8(ctx.body().buffer())
          ? ApiProblem.of(400, "malformed-json", "Malformed JSON", "The body is not well-formed JSON.")
          : ApiProblem.of(400, "invalid-utf8", "Invalid UTF-8", "The body is not valid UTF-8.");
      case MISSING_OPERATION:
        return ApiProblem.of(404, "not-found", "Not found", e.getMessage());
      default:
        break;
    }
    boolean body = e.getMessage() != null && e.getMessage().contains("request body");
    JsonArray errors = e instanceof SchemaValidationException
      ? leafErrors(((SchemaValidationException) e).getOutputUnit())
      : new JsonArray();
    String detail = errors.isEmpty()
      ? e.getMessage()
      : errors.getJsonObject(0).getString("pointer") + ": " + errors.getJsonObject(0).getString("reason")
        + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "");
    return body
      ? ApiProblem.of(422, "schema-violation", "Request does not match the API", detail).with("errors", errors)
      : ApiProblem.of(400, "invalid-parameter", "Invalid parameter", e.getMessage());
  }

  /**
   * The specific errors of a schema validation: the validator also reports, for each of them, that the
   * enclosing property or array "does not match", which says nothing more.
   */
  private static JsonArray leafErrors(OutputUnit unit) {
    JsonArray out = new JsonArray();
    if (unit == null) {
      return out;
    }
    List<OutputUnit> all = unit.getErrors() == null || unit.getErrors().isEmpty() ? List.of(unit) : unit.getErrors();
    List<OutputUnit> leaves = all.stream()
      .filter(u -> u.getError() != null && !u.getError().startsWith("Property \"")
        && !u.getError().startsWith("Items did not match"))
      .collect(Collectors.toList());
    if (leaves.isEmpty()) {
      for (OutputUnit u : all) {
        if (u.getKeywordLocation() != null && u.getKeywordLocation().endsWith("additionalProperties")) {
          out.add(new JsonObject().put("pointer", pointer(u)).put("reason", "is not a field of this request"));
        }
      }
      return out;
    }
    leaves.forEach(u -> out.add(new JsonObject().put("pointer", pointer(u)).put("reason", u.getError())));
    return out;
  }

  private static String pointer(OutputUnit unit) {
    String location = unit.getInstanceLocation() == null ? "#" : unit.getInstanceLocation();
    String pointer = location.startsWith("#") ? location.substring(1) : location;
    return pointer.isEmpty() ? "/" : pointer;
  }

  private static boolean isUtf8(Buffer body) {
    if (body == null) {
      return true;
    }
    try {
      StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(body.getBytes()));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private ApiProblem fromStatus(int status, RoutingContext ctx) {
    switch (status) {
      case 400:
        return ApiProblem.of(400, "bad-request", "Bad request", "The request cannot be read.");
      case 401:
        return ApiProblem.of(401, "unauthorized", "Unauthorized", "A valid API key is required.");
      case 404:
        return ApiProblem.of(404, "not-found", "Not found", "There is nothing at " + ctx.request().path() + ".");
      case 405:
        return ApiProblem.of(405, "method-not-allowed", "Method not allowed",
          ctx.request().method() + " is not allowed on " + ctx.request().path() + ".");
      case 413:
        return ApiProblem.of(413, "body-too-large", "Request body too large",
          "The body is larger than the limit of " + maxBodyBytes + " bytes; split the batch.")
          .with("limit", maxBodyBytes);
      case 415:
        return ApiProblem.of(415, "unsupported-media-type", "Unsupported media type",
          "The body must be application/json.");
      default:
        return ApiProblem.of(status, "http-" + status, "HTTP " + status, "The request failed with status " + status + ".");
    }
  }
}
