package dev.relay.adapters.whatsapp;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Set;

/**
 * What an answer of the Cloud API's messages edge means for the message. Success is
 * {@code {"messages":[{"id":"wamid…"}]}}; a failure is {@code {"error":{"code":N,"message":"…",
 * "error_data":{"details":"…"}}}}, and its {@code code} says more than the HTTP status.
 */
final class WhatsAppOutcomes {

  /**
   * Rate limits: 4 (application request limit), 80007 (WhatsApp Business Account rate limit), 130429 (Cloud
   * API throughput), 131056 (too many messages to one recipient).
   */
  static final Set<Integer> THROTTLE_CODES = Set.of(4, 80007, 130429, 131056);

  /** Failures on Meta's side that may pass: 1 and 2 (API unknown or unavailable), 131000, 131016. */
  static final Set<Integer> TRANSIENT_CODES = Set.of(1, 2, 131000, 131016);

  /** Credentials that no longer work: 190 (access token expired or invalid). */
  static final int TOKEN_INVALID = 190;

  private WhatsAppOutcomes() {
  }

  /**
   * The result for an answer.
   *
   * @param status     the HTTP status
   * @param retryAfter the {@code Retry-After} header, or null
   * @param body       the answer's body
   */
  static SendResult of(int status, String retryAfter, Buffer body) {
    JsonObject json = json(body);
    if (status >= 200 && status < 300) {
      JsonArray messages = json == null || !(json.getValue("messages") instanceof JsonArray m) ? null : m;
      Object id = messages == null || messages.isEmpty() || !(messages.getValue(0) instanceof JsonObject first)
        ? null : first.getValue("id");
      return id instanceof String && !((String) id).isBlank() ? SendResult.accepted((String) id)
        : SendResult.retryable("WhatsApp answered " + status + " without a message id", null);
    }
    JsonObject error = json == null || !(json.getValue("error") instanceof JsonObject e) ? null : e;
    Integer code = error == null || !(error.getValue("code") instanceof Number n) ? null : n.intValue();
    String reason = code == null ? "WhatsApp answered " + status : "WhatsApp error " + code + ": " + message(error);
    Duration delay = seconds(retryAfter);
    if ((code != null && THROTTLE_CODES.contains(code)) || status == 429) {
      return SendResult.throttled(reason, delay);
    }
    if ((code != null && TRANSIENT_CODES.contains(code)) || status >= 500) {
      return SendResult.retryable(reason, delay);
    }
    if ((code != null && code == TOKEN_INVALID) || status == 401) {
      return SendResult.permanent(reason + ": credentials rejected, check setting 'access-token'");
    }
    if (status >= 300 && status < 400) {
      return SendResult.permanent(reason + ": redirects are not followed, check setting 'base-url'");
    }
    if (status >= 400) {
      return SendResult.permanent(reason);
    }
    return SendResult.retryable("WhatsApp answered " + status + ", which is not a final answer", null);
  }

  /** The result for a call that got no answer: refused, reset, or timed out. */
  static SendResult unanswered(Throwable cause) {
    String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return SendResult.retryable("no answer from WhatsApp: " + detail, null);
  }

  private static String message(JsonObject error) {
    Object message = error.getValue("message");
    Object details = error.getValue("error_data") instanceof JsonObject data ? data.getValue("details") : null;
    String text = message == null ? "no message" : message.toString();
    return details == null ? text : text + " (" + details + ")";
  }

  private static Duration seconds(String retryAfter) {
    if (retryAfter == null) {
      return null;
    }
    String trimmed = retryAfter.trim();
    if (trimmed.isEmpty() || trimmed.length() > 9 || !trimmed.chars().allMatch(Character::isDigit)) {
      return null;
    }
    return Duration.ofSeconds(Long.parseLong(trimmed));
  }

  private static JsonObject json(Buffer body) {
    if (body == null || body.length() == 0 || body.getByte(0) != '{') {
      return null;
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException e) {
      // Not the Graph API's JSON (a proxy's page): the status decides.
      return null;
    }
  }
}
