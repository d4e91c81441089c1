package dev.relay.adapters.fcm;

import dev.relay.adapters.spi.OutboundMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * Builds FCM's {@code {"message":{…}}} body from a message's content fields ({@code title}, {@code body},
 * {@code data}, {@code collapse_key}).
 */
final class FcmMessages {

  private FcmMessages() {
  }

  /**
   * The send request's body for {@code message}.
   *
   * @throws IllegalArgumentException naming the content field that is missing or of the wrong type
   */
  static JsonObject body(OutboundMessage message) {
    JsonObject content = message.content() == null ? new JsonObject() : message.content();
    String title = string(content, "title");
    String body = string(content, "body");
    String collapseKey = string(content, "collapse_key");
    JsonObject data = data(content);
    if (title == null && body == null && data.isEmpty()) {
      throw new IllegalArgumentException("content needs 'title' or 'body' (a notification), or a non-empty 'data'");
    }
    JsonObject fcm = new JsonObject().put("token", message.address());
    if (title != null || body != null) {
      JsonObject notification = new JsonObject();
      if (title != null) {
        notification.put("title", title);
      }
      if (body != null) {
        notification.put("body", body);
      }
      fcm.put("notification", notification);
    }
    if (!data.isEmpty()) {
      fcm.put("data", data);
    }
    if (collapseKey != null) {
      fcm.put("android", new JsonObject().put("collapse_key", collapseKey));
    }
    return new JsonObject().put("message", fcm);
  }

  private static String string(JsonObject content, String field) {
    Object value = content.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw new IllegalArgumentException("content field '" + field + "' must be a string");
    }
    return text.isBlank() ? null : text;
  }

  /** FCM's {@code data} is a map of strings: numbers and booleans become their text, objects and arrays their JSON. */
  private static JsonObject data(JsonObject content) {
    Object value = content.getValue("data");
    if (value == null) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject object)) {
      throw new IllegalArgumentException("content field 'data' must be an object");
    }
    JsonObject strings = new JsonObject();
    for (Map.Entry<String, Object> entry : object) {
      Object v = entry.getValue();
      if (v == null) {
        continue;
      }
      strings.put(entry.getKey(), v instanceof JsonObject o ? o.encode() : v instanceof JsonArray a ? a.encode()
        : String.valueOf(v));
    }
    return strings;
  }
}
