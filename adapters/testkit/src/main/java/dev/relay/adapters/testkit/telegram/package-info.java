/**
 * A fake of the Telegram Bot API method {@code sendMessage}, the far side of the {@code social-telegram}
 * adapter: {@link dev.relay.adapters.testkit.telegram.TelegramFake}.
 */
package dev.relay.adapters.testkit.telegram;
