package dev.relay.adapters.apns;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * What APNs' answer to one push means for the message, by status and the {@code reason} of the error body
 * (see the table in the {@linkplain dev.relay.adapters.apns package documentation}).
 */
final class ApnsOutcomes {

  /** The reason APNs gives when the provider token is older than an hour. */
  static final String EXPIRED_PROVIDER_TOKEN = "ExpiredProviderToken";

  private ApnsOutcomes() {
  }

  /**
   * The result for an answer.
   *
   * @param status       the HTTP status
   * @param answerApnsId the {@code apns-id} header of the answer, or null
   * @param sentApnsId   the {@code apns-id} the push was sent with
   * @param body         the answer's body
   */
  static SendResult of(int status, String answerApnsId, String sentApnsId, Buffer body) {
    if (status == 200) {
      return SendResult.accepted(answerApnsId != null && !answerApnsId.isBlank() ? answerApnsId : sentApnsId);
    }
    JsonObject json = json(body);
    String reason = json.getValue("reason") instanceof String r ? r : "";
    String text = "APNs " + status + (reason.isEmpty() ? "" : " " + reason);
    if (status == 410) {
      Object timestamp = json.getValue("timestamp");
      return SendResult.permanent(ApnsAdapter.INVALID_TOKEN_PREFIX + " " + text
        + (timestamp instanceof Number ? " (invalid since " + timestamp + ")" : ""));
    }
    if (status == 400 && ("BadDeviceToken".equals(reason) || "DeviceTokenNotForTopic".equals(reason))) {
      return SendResult.permanent(ApnsAdapter.INVALID_TOKEN_PREFIX + " " + text);
    }
    if (status == 403) {
      return EXPIRED_PROVIDER_TOKEN.equals(reason)
        ? SendResult.retryable(text, null)
        : SendResult.permanent("credentials rejected: " + text);
    }
    if (status == 429) {
      return SendResult.throttled(text, null);
    }
    if (status >= 500) {
      return SendResult.retryable(text, null);
    }
    return SendResult.permanent(text);
  }

  /** The result for a push that got no answer: refused, reset, timed out, or a failed TLS handshake. */
  static SendResult unanswered(Throwable cause) {
    String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return SendResult.retryable("no answer from APNs: " + detail, null);
  }

  /** Whether an answer says the provider token is expired. */
  static boolean providerTokenExpired(int status, Buffer body) {
    return status == 403 && EXPIRED_PROVIDER_TOKEN.equals(json(body).getValue("reason"));
  }

  private static JsonObject json(Buffer body) {
    if (body == null || body.length() == 0 || body.getByte(0) != '{') {
      return new JsonObject();
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException e) {
      // Not APNs' JSON: the status alone decides.
      return new JsonObject();
    }
  }
}
