/**
 * The {@code email-smtp} channel adapter: email over SMTP through a pooled Vert.x mail client, and the
 * event webhooks of SendGrid and Mailgun when the account relays through one of them.
 *
 * <h2>Settings</h2>
 * <table>
 *   <caption>Account settings</caption>
 *   <tr><th>Setting</th><th>Required</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>{@code host}</td><td>yes</td><td></td><td>the SMTP server</td></tr>
 *   <tr><td>{@code port}</td><td>no</td><td>465 with {@code ssl}, else 587</td><td>its port</td></tr>
 *   <tr><td>{@code from}</td><td>yes</td><td></td><td>the default sender, {@code news@example.com} or
 *     {@code Name <news@example.com>}; also the envelope sender</td></tr>
 *   <tr><td>{@code username}, {@code password}</td><td>together</td><td>no AUTH</td><td>AUTH PLAIN or
 *     LOGIN; when set, a server that offers no AUTH fails the mail</td></tr>
 *   <tr><td>{@code starttls}</td><td>no</td><td>{@code required} ({@code disabled} with {@code ssl})</td>
 *     <td>{@code disabled}, {@code optional} or {@code required}: upgrade the connection with STARTTLS</td></tr>
 *   <tr><td>{@code ssl}</td><td>no</td><td>false</td><td>TLS from the first byte (SMTPS)</td></tr>
 *   <tr><td>{@code trust-all}</td><td>no</td><td>false</td><td>accept any server certificate and name: for
 *     tests only</td></tr>
 *   <tr><td>{@code max-connections}</td><td>no</td><td>8</td><td>the size of the connection pool, which bounds
 *     how many mails are on the wire at once</td></tr>
 *   <tr><td>{@code timeout-ms}</td><td>no</td><td>10000</td><td>the longest wait for a connection, a TLS
 *     handshake, or any reply of the server</td></tr>
 *   <tr><td>{@code message-id-domain}</td><td>no</td><td>the domain of {@code from}</td><td>the right side of
 *     every Message-ID, and the EHLO name</td></tr>
 *   <tr><td>{@code dkim-selector}, {@code dkim-domain}, {@code dkim-private-key}</td><td>together</td>
 *     <td>no signing</td><td>DKIM signing (rsa-sha256) as {@code d=<domain>; s=<selector>} with an RSA key in
 *     PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), given as the value or through {@code ${file:…}}</td></tr>
 *   <tr><td>{@code webhooks}</td><td>no</td><td>{@code none}</td><td>{@code sendgrid}, {@code mailgun} or
 *     {@code none}: which provider's event webhooks the account verifies</td></tr>
 *   <tr><td>{@code sendgrid-public-key}</td><td>with {@code sendgrid}</td><td></td><td>the Event Webhook's
 *     verification key as SendGrid shows it: base64 of the DER SubjectPublicKeyInfo (ECDSA P-256)</td></tr>
 *   <tr><td>{@code mailgun-signing-key}</td><td>with {@code mailgun}</td><td></td><td>the HTTP webhook
 *     signing key</td></tr>
 *   <tr><td>{@code webhook-tolerance-seconds}</td><td>no</td><td>300</td><td>how far a webhook's signed
 *     timestamp may be from now, either way</td></tr>
 * </table>
 * Errors name the account and the setting, never a value; the account's {@code toString()} shows no
 * password or key.
 *
 * <h2>Content fields</h2>
 * <ul>
 *   <li>{@code subject} (required): the Subject, encoded as RFC 2047 when not ASCII;</li>
 *   <li>{@code html} and {@code text} (at least one): the parts; with both, a {@code multipart/alternative}
 *   of {@code text/plain} then {@code text/html};</li>
 *   <li>{@code from} (optional): the sender instead of the account's {@code from};</li>
 *   <li>{@code reply_to} (optional): a mailbox for {@code Reply-To};</li>
 *   <li>{@code list_unsubscribe} (optional): an http(s) URL, sent as {@code List-Unsubscribe: <url>} and
 *   {@code List-Unsubscribe-Post: List-Unsubscribe=One-Click} (RFC 2369, RFC 8058).</li>
 * </ul>
 * The recipient is {@code OutboundMessage.address()}, a mailbox with a dot-atom local part. A missing field,
 * a field that is not a string, or an address that is not a mailbox is a permanent failure naming the field;
 * so is a CR or LF in the subject, sender, reply-to, unsubscribe URL or address (header injection is refused,
 * never cleaned up). Nothing is sent for such a message.
 *
 * <h2>Headers and ids</h2>
 * <ul>
 *   <li>{@code Message-ID: <key@message-id-domain>}, where {@code key} is the message's idempotency key
 *   ({@code relay-42}): the same on every attempt, so receivers and relays see a retry as the same mail. The
 *   provider id of an accepted message is this Message-ID without brackets, {@code relay-42@example.com}.</li>
 *   <li>{@code X-Relay-Message-Id: <Relay's message id>} on every mail.</li>
 *   <li>With {@code webhooks: sendgrid}: {@code X-SMTPAPI: {"unique_args":{"relay_message_id":"42",
 *   "relay_smtp_id":"relay-42@example.com"}}}, SendGrid's SMTP API header, whose arguments come back on every
 *   event of the message. With {@code webhooks: mailgun}: {@code X-Mailgun-Variables} with the same two
 *   values, which come back as {@code user-variables}.</li>
 *   <li>DKIM, when configured, signs From, Reply-To, Subject, Date, To, Cc, Message-ID, MIME-Version,
 *   Content-Type, List-Unsubscribe and List-Unsubscribe-Post (those present).</li>
 * </ul>
 *
 * <h2>Results</h2>
 * Each message of a batch is its own mail transaction; they are sent concurrently and the pool bounds how
 * many are on the wire.
 * <table>
 *   <caption>SMTP replies and failures</caption>
 *   <tr><th>What happened</th><th>Result</th></tr>
 *   <tr><td>{@code 250} after the data</td><td>accepted, with the Message-ID as provider id</td></tr>
 *   <tr><td>{@code 421}, {@code 451}, {@code 454}; any {@code 4xx} with enhanced status {@code 4.7.x}; any
 *     {@code 4xx} whose text says "rate", "too many" or "throttl…"</td><td>throttled (retryable, the account
 *     slows down)</td></tr>
 *   <tr><td>other {@code 4xx} ({@code 450 4.2.1} mailbox busy, {@code 452} storage, …)</td>
 *     <td>retryable</td></tr>
 *   <tr><td>{@code 5xx} ({@code 550 5.1.1} no such mailbox, {@code 552} too big, {@code 553},
 *     {@code 554} rejected, {@code 535} bad credentials, …)</td><td>permanent</td></tr>
 *   <tr><td>no reply: connection refused or reset, {@code timeout-ms} passed, TLS failed, STARTTLS
 *     required but not offered</td><td>retryable</td></tr>
 *   <tr><td>bad content, address or idempotency key (see above)</td><td>permanent, nothing sent</td></tr>
 * </table>
 * The reason of a refusal is {@code SMTP <code> <reply text>}, for instance
 * {@code SMTP 550 5.1.1 No such user}; of a failure without reply, {@code no answer from the SMTP server: …}.
 * At whatever stage the server refuses (greeting, EHLO, AUTH, MAIL, RCPT, DATA, end of data), the code decides,
 * on a new or a pooled connection; also when the server closes the connection after its refusal without
 * answering the commands the client sent meanwhile (the HELO after a refused EHLO, the next AUTH mechanism,
 * the rest of a pipelined envelope): those are taken as refused with the same reply.
 *
 * <h2>Webhooks</h2>
 * <p><b>SendGrid Event Webhook</b> ({@code webhooks: sendgrid}): the signature header
 * {@code X-Twilio-Email-Event-Webhook-Signature} (base64 DER ECDSA over SHA-256) must verify, with
 * {@code sendgrid-public-key}, over the bytes of {@code X-Twilio-Email-Event-Webhook-Timestamp} followed by
 * the raw body, and the timestamp must be within the tolerance; otherwise the call is rejected. The body is a
 * JSON array; each event becomes one {@code WebhookEvent} with {@code providerEventId = sg_event_id}:
 * {@code delivered} → DELIVERED; {@code bounce} → BOUNCED_HARD ({@code type: bounce}) or BOUNCED_SOFT
 * ({@code type: blocked}); {@code deferred} → BOUNCED_SOFT; {@code dropped} → FAILED; {@code spamreport} →
 * COMPLAINED; {@code open} → OPENED; {@code click} → CLICKED; {@code unsubscribe} and
 * {@code group_unsubscribe} → UNSUBSCRIBED; {@code processed} and {@code group_resubscribe} yield nothing.
 * The message is matched by, in order: the {@code relay_smtp_id} unique argument; else {@code smtp-id}
 * (brackets removed; SendGrid puts it on delivery events); else {@code sg_message_id} without its
 * {@code .filter…} suffix, which is SendGrid's own id and matches no Relay message (it only happens for mail
 * not sent through an account with {@code webhooks: sendgrid}). Details kept: event, type, reason, status,
 * response, attempt, useragent, url, ip, sg_machine_open, sg_message_id, relay_message_id (not the
 * recipient's address).
 *
 * <p><b>Mailgun</b> ({@code webhooks: mailgun}): the body's {@code signature.signature} must equal the hex
 * HMAC-SHA256, keyed by {@code mailgun-signing-key}, of {@code signature.timestamp} followed by
 * {@code signature.token} (compared in constant time), and the timestamp must be within the tolerance;
 * dropping a replayed token is left to the gateway's deduplication by event id. {@code event-data.event}:
 * {@code delivered} → DELIVERED; {@code failed} → BOUNCED_HARD ({@code severity: permanent}), BOUNCED_SOFT
 * ({@code temporary}) or FAILED (no severity); {@code rejected} → FAILED; {@code opened} → OPENED;
 * {@code clicked} → CLICKED; {@code complained} → COMPLAINED; {@code unsubscribed} → UNSUBSCRIBED; others
 * ({@code accepted}, {@code stored}) yield nothing. {@code providerEventId = event-data.id}; the message is
 * matched by the {@code relay_smtp_id} user variable, else {@code event-data.message.headers.message-id}
 * (brackets removed). Details kept: event, severity, reason, status, response, description, useragent, url,
 * ip, relay_message_id.
 *
 * <p>Both verifiers throw {@code WebhookRejectedException} for a missing, malformed or wrong signature and for
 * a stale timestamp, and {@code IllegalArgumentException} for a verified body they cannot read.
 */
package dev.relay.adapters.email;
