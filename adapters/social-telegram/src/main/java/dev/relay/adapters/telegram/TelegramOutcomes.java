package dev.relay.adapters.telegram;

import dev.relay.adapters.spi.SendResult;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * What an answer of the Bot API's {@code sendMessage} means for the message. Telegram answers
 * {@code {"ok":true,"result":{…}}} or {@code {"ok":false,"error_code":N,"description":"…",
 * "parameters":{"retry_after":N}}} with the HTTP status equal to {@code error_code}.
 */
final class TelegramOutcomes {

  private TelegramOutcomes() {
  }

  /**
   * The result for an answer.
   *
   * @param status  the HTTP status
   * @param body    the answer's body
   * @param chatId  the {@code chat_id} sent, the first part of the provider id when the answer names no chat
   */
  static SendResult of(int status, Buffer body, String chatId) {
    JsonObject json = json(body);
    if (status >= 200 && status < 300) {
      JsonObject result = json != null && Boolean.TRUE.equals(json.getValue("ok"))
        && json.getValue("result") instanceof JsonObject r ? r : null;
      Object messageId = result == null ? null : result.getValue("message_id");
      if (!(messageId instanceof Number)) {
        return SendResult.retryable("Telegram answered " + status + " without a message_id", null);
      }
      Object chat = result.getValue("chat") instanceof JsonObject c ? c.getValue("id") : null;
      String chatPart = chat instanceof Number n ? Long.toString(n.longValue()) : chatId;
      return SendResult.accepted(chatPart + ":" + ((Number) messageId).longValue());
    }
    String description = description(json);
    if (status == 429) {
      return SendResult.throttled("Telegram answered 429" + description, retryAfter(json));
    }
    if (status >= 500) {
      return SendResult.retryable("Telegram answered " + status + description, retryAfter(json));
    }
    if (status == 401 || status == 404) {
      return SendResult.permanent("Telegram answered " + status + description + ": credentials rejected, check"
        + " setting 'bot-token'");
    }
    if (status >= 300 && status < 400) {
      return SendResult.permanent("Telegram answered " + status + ": redirects are not followed, check setting"
        + " 'base-url'");
    }
    if (status >= 400) {
      return SendResult.permanent("Telegram answered " + status + description);
    }
    return SendResult.retryable("Telegram answered " + status + ", which is not a final answer", null);
  }

  /**
   * The result for a call that got no answer: refused, reset, or timed out. The client's message may quote
   * the request's URL, which holds the bot token: the token is masked.
   */
  static SendResult unanswered(Throwable cause, String botToken) {
    String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return SendResult.retryable("no answer from Telegram: " + detail.replace(botToken, "<bot-token>"), null);
  }

  /** {@code parameters.retry_after}, in seconds, when the answer has it. */
  static Duration retryAfter(JsonObject json) {
    if (json == null || !(json.getValue("parameters") instanceof JsonObject parameters)
      || !(parameters.getValue("retry_after") instanceof Number seconds) || seconds.longValue() < 0) {
      return null;
    }
    return Duration.ofSeconds(seconds.longValue());
  }

  private static String description(JsonObject json) {
    Object description = json == null ? null : json.getValue("description");
    return description == null ? "" : ": " + description;
  }

  private static JsonObject json(Buffer body) {
    if (body == null || body.length() == 0 || body.getByte(0) != '{') {
      return null;
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException e) {
      // Not the Bot API's JSON (a proxy's page): the status decides.
      return null;
    }
  }
}
