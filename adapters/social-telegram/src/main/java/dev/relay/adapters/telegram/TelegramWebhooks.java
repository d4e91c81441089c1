package dev.relay.adapters.telegram;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Verifies and reads the updates Telegram posts to the bot's webhook. Telegram does not sign updates: it
 * sends back the {@code secret_token} given to {@code setWebhook} in {@code X-Telegram-Bot-Api-Secret-Token},
 * which must equal the account's {@code webhook-secret} (compared in constant time). Updates carry no time
 * of sending, so there is no replay window; repeats are dropped by the event id, built from
 * {@code update_id}. See the {@linkplain dev.relay.adapters.telegram package documentation} for the events.
 */
final class TelegramWebhooks implements WebhookVerifier {

  /** The header Telegram sends the secret token in. */
  static final String SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

  private final byte[] secret;
  private final Clock clock;

  TelegramWebhooks(String webhookSecret, Clock clock) {
    this.secret = webhookSecret.getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
  }

  @Override
  public List<WebhookEvent> verify(WebhookRequest request) {
    String given = request.headers().get(SECRET_HEADER);
    if (given == null) {
      throw new WebhookRejectedException(SECRET_HEADER + " is missing");
    }
    if (!MessageDigest.isEqual(secret, given.getBytes(StandardCharsets.UTF_8))) {
      throw new WebhookRejectedException(SECRET_HEADER + " does not match the account's webhook-secret");
    }
    JsonObject update;
    try {
      update = request.body() == null ? null : new JsonObject(request.body());
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("a Telegram update must be a JSON object", e);
    }
    if (update == null || !(update.getValue("update_id") instanceof Number updateId)) {
      throw new IllegalArgumentException("a Telegram update must carry update_id");
    }
    String eventId = "update:" + updateId.longValue();
    if (update.getValue("message") instanceof JsonObject message && isStop(message.getValue("text"))) {
      return List.of(unsubscribed(eventId, message, message.getValue("date")));
    }
    if (update.getValue("my_chat_member") instanceof JsonObject member
      && member.getValue("new_chat_member") instanceof JsonObject now
      && "kicked".equals(now.getValue("status"))) {
      // The user blocked the bot: nothing sent to this chat will arrive any more.
      return List.of(unsubscribed(eventId, member, member.getValue("date")));
    }
    return List.of();
  }

  private WebhookEvent unsubscribed(String eventId, JsonObject carrier, Object date) {
    Object chatId = carrier.getValue("chat") instanceof JsonObject chat ? chat.getValue("id") : null;
    if (!(chatId instanceof Number)) {
      throw new IllegalArgumentException("a Telegram message must carry chat.id");
    }
    Instant at = date instanceof Number seconds ? Instant.ofEpochSecond(seconds.longValue()) : clock.instant();
    return new WebhookEvent(eventId, null, WebhookEvent.Type.UNSUBSCRIBED, at,
      new JsonObject().put("address", Long.toString(((Number) chatId).longValue())));
  }

  /** Whether a message's text is the {@code /stop} command, alone or addressed ({@code /stop@SomeBot}). */
  static boolean isStop(Object text) {
    if (!(text instanceof String)) {
      return false;
    }
    String command = ((String) text).trim().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
    return command.equals("/stop") || command.startsWith("/stop@");
  }

  @Override
  public String toString() {
    return "Telegram webhook verifier";
  }
}
