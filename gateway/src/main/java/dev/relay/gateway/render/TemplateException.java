package dev.relay.gateway.render;

import io.vertx.core.json.JsonObject;

/**
 * A template definition that cannot be stored: a missing or malformed field, or a syntax error in a
 * part. The API answers it 422 with the kind and the members (locale, channel, part, line, column).
 */
public final class TemplateException extends RuntimeException {

  private final String kind;
  private final JsonObject members;

  public TemplateException(String kind, String detail, JsonObject members) {
    super(detail, null, false, false);
    this.kind = kind;
    this.members = members;
  }

  /** {@code invalid-template}, {@code invalid-text} (with the JSON pointer) or {@code template-syntax}. */
  public String kind() {
    return kind;
  }

  /** Where the problem is: locale, channel, part, and for a syntax error line and column. */
  public JsonObject members() {
    return members;
  }
}
