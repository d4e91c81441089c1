/**
 * The {@code social-whatsapp} adapter ({@link dev.relay.adapters.whatsapp.WhatsAppAdapter}, channel
 * {@code chat}): WhatsApp template messages through the WhatsApp Cloud API.
 *
 * <h2>Wire format</h2>
 * Each message is its own {@code POST {base-url}/{api-version}/{phone-number-id}/messages} with
 * {@code Authorization: Bearer <access-token>} and {@code Content-Type: application/json}, body the Cloud
 * API's template message
 * <pre>{@code
 * {"messaging_product":"whatsapp","recipient_type":"individual","to":"+905551112233","type":"template",
 *  "template":{"name":"order_shipped","language":{"code":"tr"},
 *              "components":[{"type":"body","parameters":[{"type":"text","text":"Ayşe"}]}]}}
 * }</pre>
 * A business may start a conversation only with an approved template; free-form text is allowed only
 * inside the 24-hour customer service window that a customer's own message opens, which Relay does not
 * track, hence templates only. The Cloud API answers {@code {"messages":[{"id":"wamid…"}]}}; the
 * {@code wamid} is the provider id, which the status webhooks name. The messages of a batch are posted
 * concurrently. The Cloud API has no idempotency key, so a resend after a crash may be delivered twice.
 *
 * <h2>Content</h2>
 * {@code whatsapp_template}: the Cloud API's {@code template} object, as the template's chat part
 * {@code whatsapp_template} renders it (see {@code templates/README.md}): {@code name} (required),
 * {@code language} ({@code {"code": …}} or a bare code; without it the message's locale, with {@code -}
 * written {@code _}), {@code components} (optional, objects with a {@code type}), passed on as they are.
 * A message without it (a chat part with only {@code text}), without a name or language, or without an
 * address, fails permanently, naming what is missing, without a call.
 *
 * <h2>Settings</h2>
 * <ul>
 *   <li>{@code access-token} (required, secret): a system user token with
 *   {@code whatsapp_business_messaging};</li>
 *   <li>{@code phone-number-id} (required): the sending business number's id (digits);</li>
 *   <li>{@code app-secret} (optional, secret): the Meta app's secret; without it the account takes no
 *   webhooks;</li>
 *   <li>{@code verify-token} (optional, secret; needs {@code app-secret}): the Verify Token entered in the
 *   Meta App Dashboard, which Meta's verification request must carry;</li>
 *   <li>{@code api-version} (default {@code v19.0});</li>
 *   <li>{@code base-url} (default {@code https://graph.facebook.com});</li>
 *   <li>{@code timeout-ms} (default 10000): the longest wait for a connection, and the longest silence while
 *   waiting for the answer;</li>
 *   <li>{@code max-connections} (default 16): the size of the keep-alive connection pool.</li>
 * </ul>
 *
 * <h2>Results</h2>
 * <table>
 *   <caption>The Cloud API's answers; {@code error.code} decides before the HTTP status</caption>
 *   <tr><th>Answer</th><th>Result</th></tr>
 *   <tr><td>2xx with {@code messages[0].id}</td><td>accepted, provider id the {@code wamid}</td></tr>
 *   <tr><td>2xx without it</td><td>retryable</td></tr>
 *   <tr><td>error code 4, 80007, 130429, 131056; HTTP 429</td><td>throttled ({@code Retry-After} when
 *   given)</td></tr>
 *   <tr><td>error code 1, 2, 131000, 131016; 5xx; no answer (refused, reset, timed out)</td>
 *   <td>retryable</td></tr>
 *   <tr><td>error code 190 (token expired or invalid); HTTP 401</td><td>permanent: credentials
 *   rejected</td></tr>
 *   <tr><td>error code 131026 (undeliverable), 132001 (template does not exist), 100 (invalid parameter),
 *   any other 3xx or 4xx</td><td>permanent: "WhatsApp error &lt;code&gt;: &lt;message&gt; (&lt;details&gt;)"
 *   </td></tr>
 * </table>
 *
 * <h2>Webhooks</h2>
 * Subscribing: Meta's verification request {@code GET …?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…}
 * is answered {@code 200 text/plain} with the challenge when the token is {@code verify-token} (compared in
 * constant time), {@code 403} otherwise; it needs no API key and is stored nowhere. Meta signs each call with {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app-secret, raw body)>}; a
 * missing or wrong signature is rejected. The scheme has no timestamp, and Meta retries undelivered
 * webhooks for up to seven days, so there is no replay window: repeats are dropped by the event id. The
 * payload is {@code {"object":"whatsapp_business_account","entry":[{"changes":[{"value":{…}}]}]}}, and every
 * value's
 * <ul>
 *   <li>{@code statuses[]}: {@code delivered} is {@code DELIVERED}, {@code read} is {@code READ},
 *   {@code failed} is {@code FAILED} (detail {@code error_code} and {@code error_title} from
 *   {@code errors[0]}), {@code sent} and others yield nothing; event id {@code <wamid>:<status>}, provider
 *   message id the {@code wamid}, time the status's {@code timestamp};</li>
 *   <li>{@code messages[]}: a text (or quick-reply button) reading STOP or "Stop promotions" (any case) is
 *   {@code UNSUBSCRIBED} with detail {@code {"address": "+<from>"}}, no provider message id, event id
 *   {@code <wamid>:stop}; other messages yield nothing.</li>
 * </ul>
 * One call may carry several events. A verified body that is not such a payload ({@code object} not
 * {@code whatsapp_business_account}, no {@code entry} array, an entry without {@code changes}, a change
 * without {@code field} and {@code value}) cannot be parsed: {@code 400 webhook-malformed}, stored nowhere.
 */
package dev.relay.adapters.whatsapp;
