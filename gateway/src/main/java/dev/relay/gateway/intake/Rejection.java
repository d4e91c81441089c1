package dev.relay.gateway.intake;

import io.vertx.core.json.JsonObject;

/**
 * A recipient refused at intake: its position in the batch, its id when it had one that can be quoted,
 * why, and the JSON pointer of the value at fault (the recipient itself when no one field is).
 */
public record Rejection(int index, String recipientId, String reason, String pointer) {

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("index", index);
    if (recipientId != null) {
      json.put("id", recipientId);
    }
    return json.put("reason", reason).put("pointer", pointer);
  }
}
