package dev.relay.gateway.intake;

import io.vertx.core.json.JsonObject;

/**
 * A batch refused as a whole, before anything is stored: a limit it passes or a field it gets wrong.
 * The API answers it with its status (422 unless given, 409 when the batch contradicts what its campaign already
 * holds), the kind, the detail and the members given here.
 */
public final class InvalidBatchException extends RuntimeException {

  private final int status;
  private final String kind;
  private final JsonObject members;

  public InvalidBatchException(String kind, String detail, JsonObject members) {
    this(422, kind, detail, members);
  }

  public InvalidBatchException(int status, String kind, String detail, JsonObject members) {
    super(detail, null, false, false);
    this.status = status;
    this.kind = kind;
    this.members = members;
  }

  /** The HTTP status the API answers with. */
  public int status() {
    return status;
  }

  /** A short name of the kind of problem, such as {@code too-many-recipients}. */
  public String kind() {
    return kind;
  }

  /** Extra members for the problem document, such as the limit that was passed. */
  public JsonObject members() {
    return members;
  }
}
