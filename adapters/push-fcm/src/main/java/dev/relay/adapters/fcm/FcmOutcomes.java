package dev.relay.adapters.fcm;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * What FCM's answer to one send means for the message, by the FCM error code in the error's details
 * ({@code google.firebase.fcm.v1.FcmError}), or else its canonical status, or else the HTTP status (see the
 * table in the {@linkplain dev.relay.adapters.fcm package documentation}). A {@code 401} that is not
 * {@code THIRD_PARTY_AUTH_ERROR} is the caller's to handle: it means our access token was refused.
 */
final class FcmOutcomes {

  static final String FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
  static final String BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest";
  static final String TOKEN_FIELD = "message.token";
  private static final int MAX_MESSAGE_CHARS = 200;

  private FcmOutcomes() {
  }

  /** The error code of an error answer: FCM's own, else the canonical status, else {@code HTTP_<status>}. */
  static String errorCode(Answer answer) {
    JsonObject error = error(answer);
    for (JsonObject detail : details(error)) {
      if (FCM_ERROR_TYPE.equals(detail.getValue("@type")) && detail.getValue("errorCode") instanceof String code) {
        return code;
      }
    }
    return error.getValue("status") instanceof String status ? status : "HTTP_" + answer.status();
  }

  /** Whether the answer is FCM refusing our access token (as opposed to a third party's credentials). */
  static boolean accessTokenRefused(Answer answer) {
    return answer.status() == 401 && !"THIRD_PARTY_AUTH_ERROR".equals(errorCode(answer));
  }

  /**
   * The result for an answer to a send.
   *
   * @param answer     FCM's answer
   * @param fallbackId the id to report for a {@code 200} whose body names no message
   * @param now        the current time, to turn an HTTP-date {@code Retry-After} into a delay
   */
  static SendResult of(Answer answer, String fallbackId, Instant now) {
    int status = answer.status();
    if (status >= 200 && status < 300) {
      return SendResult.accepted(answer.json().getValue("name") instanceof String name && !name.isBlank()
        ? name : fallbackId);
    }
    String code = errorCode(answer);
    String reason = "FCM " + code + " (" + status + ")" + message(answer);
    Duration retryAfter = retryAfter(answer.retryAfter(), now);
    switch (code) {
      case "UNREGISTERED":
        return SendResult.permanent(FcmAdapter.INVALID_TOKEN_PREFIX + " " + reason);
      case "INVALID_ARGUMENT":
        return aboutToken(answer)
          ? SendResult.permanent(FcmAdapter.INVALID_TOKEN_PREFIX + " " + reason)
          : SendResult.permanent(reason);
      case "QUOTA_EXCEEDED":
        return SendResult.throttled(reason, retryAfter);
      case "UNAVAILABLE":
      case "INTERNAL":
        return SendResult.retryable(reason, retryAfter);
      case "SENDER_ID_MISMATCH":
      case "THIRD_PARTY_AUTH_ERROR":
        return SendResult.permanent(reason);
      default:
        break;
    }
    if (status == 429) {
      return SendResult.throttled(reason, retryAfter);
    }
    if (status >= 500 || status == 401 || status == 408) {
      return SendResult.retryable(reason, retryAfter);
    }
    if (status == 403) {
      return SendResult.permanent("credentials rejected: " + reason);
    }
    return status >= 400 ? SendResult.permanent(reason) : SendResult.retryable(reason + ", not a final answer", null);
  }

  /** The result for a send that got no answer: refused, reset, timed out. */
  static SendResult unanswered(Throwable cause) {
    return SendResult.retryable("no answer from FCM: " + describe(cause), null);
  }

  /** A failure's message, or its class when it has none. */
  static String describe(Throwable cause) {
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  /**
   * Whether an {@code INVALID_ARGUMENT} is about the device token: FCM names the bad field in a
   * {@code google.rpc.BadRequest} detail when it knows it; with no field named, it is taken to be the token,
   * as Firebase's guide on stale tokens says.
   */
  static boolean aboutToken(Answer answer) {
    List<String> fields = new ArrayList<>();
    for (JsonObject detail : details(error(answer))) {
      if (BAD_REQUEST_TYPE.equals(detail.getValue("@type"))
        && detail.getValue("fieldViolations") instanceof JsonArray violations) {
        for (Object violation : violations) {
          if (violation instanceof JsonObject v && v.getValue("field") instanceof String field) {
            fields.add(field);
          }
        }
      }
    }
    return fields.isEmpty() || fields.contains(TOKEN_FIELD);
  }

  /**
   * A {@code Retry-After} value as a delay: whole seconds, or an HTTP date (RFC 9110, section 10.2.3); null
   * when absent or unreadable, since it is only a hint.
   */
  static Duration retryAfter(String value, Instant now) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String trimmed = value.trim();
    if (trimmed.chars().allMatch(Character::isDigit)) {
      return trimmed.length() > 9 ? null : Duration.ofSeconds(Long.parseLong(trimmed));
    }
    try {
      Instant at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
    } catch (DateTimeParseException e) {
      // Unreadable: the dispatcher's own backoff applies.
      return null;
    }
  }

  private static JsonObject error(Answer answer) {
    return answer.json().getValue("error") instanceof JsonObject error ? error : new JsonObject();
  }

  private static List<JsonObject> details(JsonObject error) {
    List<JsonObject> details = new ArrayList<>();
    if (error.getValue("details") instanceof JsonArray array) {
      for (Object detail : array) {
        if (detail instanceof JsonObject d) {
          details.add(d);
        }
      }
    }
    return details;
  }

  private static String message(Answer answer) {
    if (!(error(answer).getValue("message") instanceof String message) || message.isBlank()) {
      return "";
    }
    return ": " + (message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "…" : message);
  }
}
