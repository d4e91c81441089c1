/**
 * The {@code social-slack} adapter ({@link dev.relay.adapters.slack.SlackAdapter}, channel {@code chat}):
 * messages to Slack channels and users through the Web API.
 *
 * <h2>Wire format</h2>
 * Each message is its own {@code POST {base-url}/api/chat.postMessage} with
 * {@code Authorization: Bearer <bot-token>} and {@code Content-Type: application/json; charset=utf-8},
 * body {@code {"channel": <address>, "text": <text>}}. The address is a channel id ({@code C…}), a user id
 * ({@code U…}, which Slack delivers as a direct message from the bot) or a conversation id. Slack answers
 * {@code {"ok":true,"channel":"C…","ts":"1700000000.000100",…}}; the provider id is {@code channel:ts},
 * which identifies the message in Slack. The messages of a batch are posted concurrently. Slack has no
 * idempotency key, so a resend after a crash may be posted twice.
 *
 * <h2>Content</h2>
 * {@code text} (required, not blank): the message, in Slack's mrkdwn. A message without it, or without an
 * address, fails permanently without a call.
 *
 * <h2>Settings</h2>
 * <ul>
 *   <li>{@code bot-token} (required, secret): the bot user OAuth token ({@code xoxb-…}), with the
 *   {@code chat:write} scope;</li>
 *   <li>{@code signing-secret} (optional, secret): the app's signing secret; without it the account takes
 *   no webhooks;</li>
 *   <li>{@code base-url} (default {@code https://slack.com});</li>
 *   <li>{@code timeout-ms} (default 10000): the longest wait for a connection, and the longest silence while
 *   waiting for the answer;</li>
 *   <li>{@code max-connections} (default 16): the size of the keep-alive connection pool.</li>
 * </ul>
 *
 * <h2>Results</h2>
 * <table>
 *   <caption>Slack's answers</caption>
 *   <tr><th>Answer</th><th>Result</th></tr>
 *   <tr><td>200 {@code ok:true}</td><td>accepted, provider id {@code channel:ts}</td></tr>
 *   <tr><td>HTTP 429, or error {@code ratelimited}</td><td>throttled, with {@code Retry-After}</td></tr>
 *   <tr><td>5xx; errors {@code internal_error}, {@code fatal_error}, {@code service_unavailable},
 *   {@code request_timeout}; no answer (refused, reset, timed out); 2xx that is not Slack's JSON</td>
 *   <td>retryable</td></tr>
 *   <tr><td>errors {@code invalid_auth}, {@code not_authed}, {@code token_revoked},
 *   {@code account_inactive}</td><td>permanent: credentials rejected</td></tr>
 *   <tr><td>any other error ({@code channel_not_found}, {@code not_in_channel}, {@code is_archived},
 *   {@code msg_too_long}, {@code no_text}, {@code restricted_action}, …)</td><td>permanent:
 *   "Slack error &lt;error&gt;"</td></tr>
 *   <tr><td>other 3xx and 4xx</td><td>permanent</td></tr>
 * </table>
 *
 * <h2>Webhooks</h2>
 * Slack's Events API calls carry {@code X-Slack-Request-Timestamp} and
 * {@code X-Slack-Signature: v0=<hex HMAC-SHA256(signing-secret, "v0:" + timestamp + ":" + raw body)>};
 * a missing or wrong signature, or a timestamp more than five minutes from now, is rejected. A verified
 * {@code url_verification} (sent when the Request URL is saved in the app's Event Subscriptions) is
 * answered {@code 200 text/plain} with its {@code challenge} and stored nowhere. Slack reports nothing
 * about the delivery or reading of a posted message, so a verified {@code event_callback} or
 * {@code app_rate_limited} yields <em>no</em> event: messages in channels and mentions are not about
 * messages Relay sent. A verified body that is not an Events API payload (not a JSON object, no
 * {@code type} or another one, an {@code event_callback} without {@code event} or {@code event_id}) cannot
 * be parsed: {@code 400 webhook-malformed}, stored nowhere.
 */
package dev.relay.adapters.slack;
