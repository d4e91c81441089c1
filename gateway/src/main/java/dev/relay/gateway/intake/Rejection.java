package dev.relay.gateway.intake;

import io.vertx.core.json.JsonObject;

/** A recipient refused at intake: its position in the batch, its id when it had one, and why. */
public record Rejection(int index, String recipientId, String reason) {

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("index", index);
    if (recipientId != null) {
      json.put("id", recipientId);
    }
    return json.put("reason", reason);
  }
}
