package dev.relay.adapters.apns;

import dev.relay.adapters.spi.OutboundMessage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One push as APNs takes it, built from a message: the device token, the request headers that vary per push
 * and the JSON payload.
 *
 * @param deviceToken the device token (hexadecimal), the last path segment
 * @param apnsId      {@code apns-id}: a name-based UUID of the message's idempotency key, the same on every
 *                    attempt
 * @param pushType    {@code apns-push-type}
 * @param collapseId  {@code apns-collapse-id}, or null
 * @param priority    {@code apns-priority}, or null for APNs' default
 * @param expiration  {@code apns-expiration} in Unix seconds, or null
 * @param payload     the body: {@code {"aps":{…}, …data}}
 */
record ApnsPush(String deviceToken, String apnsId, String pushType, String collapseId, String priority,
                String expiration, Buffer payload) {

  static final Set<String> PUSH_TYPES = Set.of("alert", "background", "location", "voip", "complication",
    "fileprovider", "mdm", "liveactivity", "pushtotalk", "widgets", "controls");
  static final int MAX_COLLAPSE_ID_BYTES = 64;
  private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{16,400}");

  /**
   * The push for {@code message}.
   *
   * @throws IllegalArgumentException naming the content field that is missing or malformed, or saying the
   *                                  address is not a device token; its message starts with
   *                                  {@value ApnsAdapter#INVALID_TOKEN_PREFIX} in that last case
   */
  static ApnsPush of(OutboundMessage message) {
    String deviceToken = message.address();
    if (deviceToken == null || !HEX.matcher(deviceToken).matches()) {
      throw new IllegalArgumentException(ApnsAdapter.INVALID_TOKEN_PREFIX
        + " the address is not an APNs device token (hexadecimal)");
    }
    JsonObject content = message.content() == null ? new JsonObject() : message.content();
    String pushType = string(content, "push_type");
    if (pushType == null) {
      pushType = "alert";
    } else if (!PUSH_TYPES.contains(pushType)) {
      throw new IllegalArgumentException("content field 'push_type' must be one of " + String.join(", ",
        PUSH_TYPES.stream().sorted().toList()));
    }
    String title = string(content, "title");
    String body = string(content, "body");
    JsonObject aps = new JsonObject();
    if (title != null || body != null) {
      JsonObject alert = new JsonObject();
      if (title != null) {
        alert.put("title", title);
      }
      if (body != null) {
        alert.put("body", body);
      }
      aps.put("alert", alert);
    } else if ("alert".equals(pushType)) {
      throw new IllegalArgumentException("content needs 'title' or 'body' for an alert push");
    }
    if ("background".equals(pushType)) {
      aps.put("content-available", 1);
    }
    JsonObject payload = new JsonObject().put("aps", aps);
    Object data = content.getValue("data");
    if (data != null) {
      if (!(data instanceof JsonObject object)) {
        throw new IllegalArgumentException("content field 'data' must be an object");
      }
      for (Map.Entry<String, Object> entry : object) {
        if ("aps".equals(entry.getKey())) {
          throw new IllegalArgumentException("content field 'data' must not have a key 'aps' (APNs reserves it)");
        }
        payload.put(entry.getKey(), entry.getValue());
      }
    }
    String collapseId = string(content, "collapse_key");
    if (collapseId != null && collapseId.getBytes(StandardCharsets.UTF_8).length > MAX_COLLAPSE_ID_BYTES) {
      throw new IllegalArgumentException("content field 'collapse_key' must be at most " + MAX_COLLAPSE_ID_BYTES
        + " bytes for APNs");
    }
    String priority = number(content, "priority", Set.of(10L, 5L, 1L));
    if (priority == null && "background".equals(pushType)) {
      // APNs refuses a background push at priority 10.
      priority = "5";
    }
    String key = message.idempotencyKey() != null ? message.idempotencyKey() : "relay-" + message.messageId();
    return new ApnsPush(deviceToken, UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString(),
      pushType, collapseId, priority, number(content, "expiration", null), payload.toBuffer());
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

  private static String number(JsonObject content, String field, Set<Long> allowed) {
    Object value = content.getValue(field);
    if (value == null) {
      return null;
    }
    long parsed;
    if (value instanceof Number n && n.doubleValue() == n.longValue()) {
      parsed = n.longValue();
    } else if (value instanceof String s && s.trim().matches("[0-9]{1,12}")) {
      parsed = Long.parseLong(s.trim());
    } else {
      throw new IllegalArgumentException("content field '" + field + "' must be a whole number");
    }
    if (parsed < 0 || (allowed != null && !allowed.contains(parsed))) {
      throw new IllegalArgumentException("content field '" + field + "' must be "
        + (allowed == null ? "zero or more" : "10, 5 or 1"));
    }
    return Long.toString(parsed);
  }
}
