package dev.relay.adapters.sms;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Set;

/**
 * What an answer of the Twilio Messages API means for the message. Twilio answers {@code 201} with the
 * Message resource on success and a JSON error ({@code {"code":21211,"message":"…","status":400}}) otherwise.
 */
final class TwilioOutcomes {

  /**
   * Error codes that say this recipient cannot get this SMS: 21211 (invalid To), 21408 (no permission for
   * the region), 21610 (the recipient replied STOP), 21614 (not a mobile number).
   */
  static final Set<Integer> RECIPIENT_ERRORS = Set.of(21211, 21408, 21610, 21614);

  private TwilioOutcomes() {
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
      String sid = json == null ? null : json.getValue("sid") instanceof String s && !s.isBlank() ? s : null;
      return sid != null ? SendResult.accepted(sid)
        : SendResult.retryable("Twilio answered " + status + " without a message sid", null);
    }
    String error = error(json);
    if (status == 429) {
      return SendResult.throttled("Twilio answered 429" + error, seconds(retryAfter));
    }
    if (status >= 500) {
      return SendResult.retryable("Twilio answered " + status + error, seconds(retryAfter));
    }
    if (status == 401) {
      return SendResult.permanent("Twilio answered 401: credentials rejected, check settings 'account-sid' and"
        + " 'auth-token'" + error);
    }
    Integer code = json == null || !(json.getValue("code") instanceof Number n) ? null : n.intValue();
    if (code != null && RECIPIENT_ERRORS.contains(code)) {
      return SendResult.permanent("Twilio error " + code + ": " + message(json));
    }
    if (status >= 300 && status < 400) {
      return SendResult.permanent("Twilio answered " + status + ": redirects are not followed, check setting"
        + " 'base-url'");
    }
    if (status >= 400) {
      return SendResult.permanent("Twilio answered " + status + error);
    }
    return SendResult.retryable("Twilio answered " + status + ", which is not a final answer", null);
  }

  /** The result for a call that got no answer: refused, reset, or timed out. */
  static SendResult unanswered(Throwable cause) {
    String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return SendResult.retryable("no answer from Twilio: " + detail, null);
  }

  /** A {@code Retry-After} in whole seconds, as Twilio sends it; null when absent or unreadable (a hint only). */
  static Duration seconds(String retryAfter) {
    if (retryAfter == null) {
      return null;
    }
    String trimmed = retryAfter.trim();
    if (trimmed.isEmpty() || trimmed.length() > 9 || !trimmed.chars().allMatch(Character::isDigit)) {
      return null;
    }
    return Duration.ofSeconds(Long.parseLong(trimmed));
  }

  private static String error(JsonObject json) {
    if (json == null || !(json.getValue("code") instanceof Number code)) {
      return "";
    }
    return " (Twilio error " + code.intValue() + ": " + message(json) + ")";
  }

  private static String message(JsonObject json) {
    Object message = json.getValue("message");
    return message == null ? "no message" : message.toString();
  }

  private static JsonObject json(Buffer body) {
    if (body == null || body.length() == 0 || body.getByte(0) != '{') {
      return null;
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException e) {
      // An answer that is not JSON (a proxy's HTML page) carries no Twilio error: the status decides.
      return null;
    }
  }
}
