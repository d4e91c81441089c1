package dev.relay.gateway.api;

import io.vertx.core.Future;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.json.schema.common.dsl.SchemaType;
import io.vertx.openapi.contract.Location;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.Style;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatableRequest;

import java.util.HashMap;
import java.util.Map;

/**
 * Keeps string parameters strings. vertx-openapi 5.0 reads a query or path value that is not a single word as
 * JSON, so an SMS address {@code +905551234567}, a Telegram chat id {@code -1001234567890} or a recipient id
 * {@code 2024.1} became a number and failed its {@code "type": "string"} schema (400). This extractor hands the
 * validator the value of every parameter whose schema is a string as a JSON string literal, which it decodes to
 * exactly the text received. Handlers read the raw values from the request as before.
 */
final class StringParameters implements RequestExtractor {

  private final RequestExtractor delegate;

  private StringParameters(RequestExtractor delegate) {
    this.delegate = delegate;
  }

  static RequestExtractor around(RequestExtractor delegate) {
    return new StringParameters(delegate);
  }

  @Override
  public Future<ValidatableRequest> extractValidatableRequest(RoutingContext ctx, Operation operation) {
    return delegate.extractValidatableRequest(ctx, operation).map(request -> quoted(request, operation));
  }

  private static ValidatableRequest quoted(ValidatableRequest request, Operation operation) {
    Map<String, RequestParameter> query = new HashMap<>(request.getQuery());
    Map<String, RequestParameter> path = new HashMap<>(request.getPathParameters());
    for (Parameter parameter : operation.getParameters()) {
      if (parameter.getSchemaType() != SchemaType.STRING) {
        continue;
      }
      Map<String, RequestParameter> values = parameter.getIn() == Location.QUERY && parameter.getStyle() == Style.FORM
        ? query
        : parameter.getIn() == Location.PATH && parameter.getStyle() == Style.SIMPLE ? path : null;
      RequestParameter value = values == null ? null : values.get(parameter.getName());
      if (value != null && value.get() instanceof String text) {
        String literal = Json.encode(text);
        values.put(parameter.getName(), () -> literal);
      }
    }
    return new Quoted(request, path, query);
  }

  private record Quoted(ValidatableRequest original, Map<String, RequestParameter> path,
                        Map<String, RequestParameter> query) implements ValidatableRequest {

    @Override
    public Map<String, RequestParameter> getCookies() {
      return original.getCookies();
    }

    @Override
    public Map<String, RequestParameter> getPathParameters() {
      return path;
    }

    @Override
    public Map<String, RequestParameter> getQuery() {
      return query;
    }

    @Override
    public Map<String, RequestParameter> getHeaders() {
      return original.getHeaders();
    }

    @Override
    public RequestParameter getBody() {
      return original.getBody();
    }

    @Override
    public String getContentType() {
      return original.getContentType();
    }
  }
}
