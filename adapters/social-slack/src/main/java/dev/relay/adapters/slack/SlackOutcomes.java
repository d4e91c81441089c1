package dev.relay.adapters.slack;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Set;

/**
 * What an answer of {@code chat.postMessage} means for the message. Slack answers most errors with HTTP 200
 * and {@code {"ok":false,"error":"<code>"}}; rate limiting is HTTP 429 with {@code Retry-After} (or, in some
 * answers, the error {@code ratelimited}).
 */
final class SlackOutcomes {

  /** Errors of Slack's own making that may pass: retried. Every other error is permanent. */
  static final Set<String> TRANSIENT_ERRORS = Set.of("internal_error", "fatal_error", "service_unavailable",
    "request_timeout");

  private SlackOutcomes() {
  }

  /**
   * The result for an answer.
   *
   * @param status     the HTTP status
   * @param retryAfter the {@code Retry-After} header, or null
   * @param body       the answer's body
   */
  static SendResult of(int status, String retryAfter, Buffer body) {
    if (status == 429) {
      return SendResult.throttled("Slack answered 429", seconds(retryAfter));
    }
    if (status >= 500) {
      return SendResult.retryable("Slack answered " + status, seconds(retryAfter));
    }
    if (status < 200 || status >= 300) {
      return SendResult.permanent("Slack answered " + status + (status < 400 ? ": redirects are not followed, check"
        + " setting 'base-url'" : ""));
    }
    JsonObject json = json(body);
    if (json == null) {
      return SendResult.retryable("Slack answered " + status + " without a JSON body", null);
    }
    if (Boolean.TRUE.equals(json.getValue("ok"))) {
      Object channel = json.getValue("channel");
      Object ts = json.getValue("ts");
      if (channel instanceof String && ts instanceof String) {
        return SendResult.accepted(channel + ":" + ts);
      }
      return SendResult.retryable("Slack answered ok without channel and ts", null);
    }
    String error = json.getValue("error") instanceof String e ? e : "unknown_error";
    if ("ratelimited".equals(error) || "rate_limited".equals(error)) {
      return SendResult.throttled("Slack error " + error, seconds(retryAfter));
    }
    if (TRANSIENT_ERRORS.contains(error)) {
      return SendResult.retryable("Slack error " + error, seconds(retryAfter));
    }
    if ("invalid_auth".equals(error) || "not_authed".equals(error) || "token_revoked".equals(error)
      || "account_inactive".equals(error)) {
      return SendResult.permanent("Slack error " + error + ": credentials rejected, check setting 'bot-token'");
    }
    return SendResult.permanent("Slack error " + error);
  }

  /** The result for a call that got no answer: refused, reset, or timed out. */
  static SendResult unanswered(Throwable cause) {
    String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return SendResult.retryable("no answer from Slack: " + detail, null);
  }

  /** A {@code Retry-After} in whole seconds, as Slack sends it; null when absent or unreadable (a hint only). */
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

  private static JsonObject json(Buffer body) {
    if (body == null || body.length() == 0 || body.getByte(0) != '{') {
      return null;
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException e) {
      // Not Slack's JSON (a proxy's page): treated as no answer worth reading.
      return null;
    }
  }
}
