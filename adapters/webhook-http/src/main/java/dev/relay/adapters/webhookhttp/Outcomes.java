package dev.relay.adapters.webhookhttp;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * What an endpoint's answer means for the message, following the specification's "delivery success and
 * failure" guidance: {@code 2xx} is delivered; {@code 429}, and {@code 502}/{@code 504} (the endpoint is
 * under load), ask us to slow down; {@code 408}, {@code 409}, {@code 425} and other {@code 5xx} are
 * transient; {@code 410} means the endpoint wants no more webhooks; redirects are not followed; any other
 * {@code 4xx} will not get better by retrying.
 */
final class Outcomes {

  private Outcomes() {
  }

  /**
   * The result for an answer.
   *
   * @param status     the HTTP status
   * @param retryAfter the {@code Retry-After} header, or null
   * @param body       the start of the body (see the account's limit)
   * @param webhookId  the call's {@code webhook-id}, the provider id when the body names none
   * @param now        the current time, to turn an HTTP-date {@code Retry-After} into a delay
   */
  static SendResult of(int status, String retryAfter, Buffer body, String webhookId, Instant now) {
    if (status >= 200 && status < 300) {
      return SendResult.accepted(providerId(body, webhookId));
    }
    String reason = "endpoint answered " + status;
    if (status == 429 || status == 502 || status == 504) {
      return SendResult.throttled(reason, retryAfter(retryAfter, now));
    }
    if (status == 408 || status == 409 || status == 425 || status >= 500) {
      return SendResult.retryable(reason, retryAfter(retryAfter, now));
    }
    if (status == 410) {
      return SendResult.permanent(reason + " (Gone): the endpoint takes no more webhooks");
    }
    if (status >= 300 && status < 400) {
      return SendResult.permanent(reason + ": redirects are not followed, set the account's url to where it points");
    }
    if (status >= 400) {
      return SendResult.permanent(reason);
    }
    return SendResult.retryable(reason + ", which is not a final answer", null);
  }

  /** The result for a call that got no answer: refused, reset, or timed out. */
  static SendResult unanswered(Throwable cause) {
    String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return SendResult.retryable("no answer from endpoint: " + detail, null);
  }

  /**
   * The endpoint's id for the message: the {@code id} of a JSON object body when it has one, otherwise
   * the {@code webhook-id}, which the endpoint uses to deduplicate.
   */
  static String providerId(Buffer body, String webhookId) {
    if (body.length() == 0 || body.getByte(0) != '{') {
      return webhookId;
    }
    Object id;
    try {
      id = new JsonObject(body).getValue("id");
    } catch (DecodeException e) {
      // A 2xx with a body that only looks like JSON (or was cut at the size limit) is still a delivery.
      return webhookId;
    }
    if (id instanceof String && !((String) id).isBlank()) {
      return (String) id;
    }
    return id instanceof Number ? id.toString() : webhookId;
  }

  /**
   * A {@code Retry-After} value as a delay: whole seconds, or an HTTP date (RFC 9110, section 10.2.3);
   * null when absent or unreadable, since it is only a hint.
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
}
