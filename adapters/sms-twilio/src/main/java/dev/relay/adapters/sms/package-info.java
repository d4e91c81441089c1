/**
 * The {@code sms-twilio} adapter ({@link dev.relay.adapters.sms.TwilioSmsAdapter}, channel {@code sms}):
 * SMS through the Twilio Messages API.
 *
 * <h2>Wire format</h2>
 * Each message is its own {@code POST {base-url}/2010-04-01/Accounts/{account-sid}/Messages.json} with HTTP
 * Basic authentication ({@code account-sid}:{@code auth-token}) and an
 * {@code application/x-www-form-urlencoded} (UTF-8) body: {@code To} (the message's address, an E.164
 * number), {@code MessagingServiceSid} and/or {@code From} (as configured), {@code Body} and, when
 * configured, {@code StatusCallback}. Twilio answers {@code 201} with the Message resource; its
 * {@code sid} ({@code SM…}) is the provider id. The messages of a batch are posted concurrently. Twilio's
 * Messages API has no idempotency key, so a resend after a crash may be delivered twice.
 *
 * <h2>Content</h2>
 * {@code text} (required, non-empty): the SMS body, sent as is. A message without it, or without an
 * address, fails permanently without a call. Twilio splits long texts and counts the segments itself;
 * {@link dev.relay.adapters.sms.SmsSegments#count(String)} computes the same count (GSM-7 or UCS-2) for the
 * gateway to report with the sent event, since {@link dev.relay.adapters.spi.SendResult} has no field for it.
 *
 * <h2>Settings</h2>
 * <ul>
 *   <li>{@code account-sid} (required): {@code AC} and 32 hex digits;</li>
 *   <li>{@code auth-token} (required, secret): the API password and the key of callback signatures;</li>
 *   <li>{@code from} and/or {@code messaging-service-sid} ({@code MG…}): at least one is required;</li>
 *   <li>{@code status-callback-url} (optional): the public URL of this account's webhook
 *   ({@code https://relay.example.com/v1/webhooks/sms-twilio/<account>}), sent as {@code StatusCallback};</li>
 *   <li>{@code base-url} (default {@code https://api.twilio.com});</li>
 *   <li>{@code timeout-ms} (default 10000): the longest wait for a connection, and the longest silence while
 *   waiting for the answer;</li>
 *   <li>{@code max-connections} (default 16): the size of the keep-alive connection pool.</li>
 * </ul>
 *
 * <h2>Results</h2>
 * <table>
 *   <caption>Twilio's answers</caption>
 *   <tr><th>Answer</th><th>Result</th></tr>
 *   <tr><td>2xx with a {@code sid}</td><td>accepted, provider id = the sid</td></tr>
 *   <tr><td>2xx without a {@code sid}</td><td>retryable</td></tr>
 *   <tr><td>429</td><td>throttled, with {@code Retry-After} when given</td></tr>
 *   <tr><td>5xx; no answer (refused, reset, timed out)</td><td>retryable ({@code Retry-After} when given)</td></tr>
 *   <tr><td>401</td><td>permanent: "credentials rejected"</td></tr>
 *   <tr><td>4xx with error {@code code} 21211 (invalid To), 21408 (no permission for the region), 21610
 *   (recipient replied STOP), 21614 (not a mobile number)</td><td>permanent: "Twilio error &lt;code&gt;:
 *   &lt;message&gt;"</td></tr>
 *   <tr><td>other 4xx (such as 21617, body too long)</td><td>permanent, with Twilio's code and message</td></tr>
 *   <tr><td>3xx</td><td>permanent (redirects are not followed: check {@code base-url})</td></tr>
 * </table>
 *
 * <h2>Webhooks</h2>
 * Twilio posts form parameters to the status callback URL (and, when the number's incoming-message webhook
 * points at the same URL, recipients' replies), signed with {@code X-Twilio-Signature}: the base64 of the
 * HMAC-SHA1, keyed by the auth token, of the full URL followed by each parameter's name and value in order
 * of names. The signature is checked against {@link dev.relay.adapters.spi.WebhookRequest#url()}, which must
 * be the URL exactly as Twilio called it (an explicit default port may differ). A missing or wrong
 * signature is rejected. Twilio's scheme has no timestamp, so there is no replay window: replays are
 * dropped by the event id.
 * <ul>
 *   <li>{@code MessageStatus=delivered}: {@code DELIVERED};</li>
 *   <li>{@code undelivered} or {@code failed}: {@code BOUNCED_HARD} when {@code ErrorCode} is 30003
 *   (unreachable), 30005 (unknown destination) or 30006 (landline or unreachable carrier), {@code FAILED}
 *   otherwise;</li>
 *   <li>other statuses ({@code queued}, {@code sent}, …): no event;</li>
 *   <li>an incoming message with {@code OptOutType=STOP}, or whose {@code Body} is STOP, STOPALL,
 *   UNSUBSCRIBE, CANCEL, END or QUIT (any case): {@code UNSUBSCRIBED} with detail
 *   {@code {"address": From}} and no provider message id; other replies: no event.</li>
 * </ul>
 * The event id is {@code MessageSid:MessageStatus} ({@code MessageSid:stop} for an opt-out), since Twilio
 * sends none; the time is when the callback was received, since Twilio sends none either. Detail of a
 * status event: {@code status} and, when given, {@code error_code}.
 */
package dev.relay.adapters.sms;
