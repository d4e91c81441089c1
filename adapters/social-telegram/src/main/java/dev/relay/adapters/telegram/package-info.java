/**
 * The {@code social-telegram} adapter ({@link dev.relay.adapters.telegram.TelegramAdapter}, channel
 * {@code chat}): messages to Telegram chats through the Bot API.
 *
 * <h2>Wire format</h2>
 * Each message is its own {@code POST {base-url}/bot<bot-token>/sendMessage} with
 * {@code Content-Type: application/json} and body {@code {"chat_id": <address>, "text": <text>}}; the
 * address is the chat's id (a user's id for a private chat, negative for groups) or a channel's
 * {@code @username}. Telegram answers {@code {"ok":true,"result":{"message_id":N,"chat":{"id":C},…}}}; the
 * provider id is {@code C:N} (the chat's numeric id, or the address when the answer names none, then the
 * message id, which is unique only within its chat). The messages of a batch are posted concurrently.
 * The Bot API has no idempotency key, so a resend after a crash may be delivered twice. The token is part
 * of the URL, so no reason or log line ever quotes the URL: a client error that does has the token masked.
 *
 * <h2>Content</h2>
 * {@code text} (required, not blank): the message, plain text (no {@code parse_mode}), at most 4096
 * characters as Telegram counts them. A message without it, or without an address, fails permanently
 * without a call.
 *
 * <h2>Settings</h2>
 * <ul>
 *   <li>{@code bot-token} (required, secret): the token BotFather gave ({@code 123456:ABC-…});</li>
 *   <li>{@code webhook-secret} (optional, secret): the {@code secret_token} passed to {@code setWebhook}
 *   (1 to 256 of {@code A-Z a-z 0-9 _ -}); without it the account takes no webhooks;</li>
 *   <li>{@code base-url} (default {@code https://api.telegram.org}), for a local Bot API server;</li>
 *   <li>{@code timeout-ms} (default 10000): the longest wait for a connection, and the longest silence while
 *   waiting for the answer;</li>
 *   <li>{@code max-connections} (default 16): the size of the keep-alive connection pool.</li>
 * </ul>
 *
 * <h2>Results</h2>
 * <table>
 *   <caption>Telegram's answers</caption>
 *   <tr><th>Answer</th><th>Result</th></tr>
 *   <tr><td>2xx {@code ok:true} with a {@code message_id}</td><td>accepted, provider id
 *   {@code chat:message_id}</td></tr>
 *   <tr><td>2xx without one</td><td>retryable</td></tr>
 *   <tr><td>429 (flood control)</td><td>throttled, after {@code parameters.retry_after} seconds</td></tr>
 *   <tr><td>5xx; no answer (refused, reset, timed out)</td><td>retryable</td></tr>
 *   <tr><td>401, 404 (Telegram's answer to an unknown token)</td><td>permanent: credentials rejected</td></tr>
 *   <tr><td>400 ("chat not found", "message is too long", "group chat was upgraded", …)</td><td>permanent,
 *   with Telegram's description</td></tr>
 *   <tr><td>403 ("bot was blocked by the user", "bot was kicked", "user is deactivated")</td><td>permanent,
 *   with Telegram's description. A block is in effect an unsubscribe: the gateway may suppress the address
 *   on it; the adapter reports it as the {@code my_chat_member} webhook below when webhooks are set
 *   up</td></tr>
 *   <tr><td>other 3xx and 4xx</td><td>permanent</td></tr>
 * </table>
 *
 * <h2>Webhooks</h2>
 * Telegram does not sign updates: it sends the {@code setWebhook} secret back in
 * {@code X-Telegram-Bot-Api-Secret-Token}, which must equal {@code webhook-secret} (constant-time); a
 * missing or different one is rejected. Updates carry no sending time, so there is no replay window; the
 * event id {@code update:<update_id>} lets the gateway drop repeats. Telegram reports no delivery or
 * reading of bot messages, so the only events are opt-outs:
 * <ul>
 *   <li>a {@code message} whose text is the {@code /stop} command ({@code /stop}, {@code /stop@BotName},
 *   any case, arguments allowed): {@code UNSUBSCRIBED};</li>
 *   <li>a {@code my_chat_member} update whose {@code new_chat_member.status} is {@code kicked} (the user
 *   blocked the bot): {@code UNSUBSCRIBED};</li>
 *   <li>anything else: no event.</li>
 * </ul>
 * Both have no provider message id, the update's {@code date} as time, and detail
 * {@code {"address": "<chat id>"}}. A verified body that is not an update with {@code update_id} cannot be
 * parsed.
 */
package dev.relay.adapters.telegram;
