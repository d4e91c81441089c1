/**
 * The generic {@code webhook-http} channel adapter, and the reference implementation for every other
 * adapter.
 *
 * <h2>Wire format</h2>
 * Each message is its own {@code POST} to the account's {@code url} with {@code Content-Type:
 * application/json}, a body of the form
 * <pre>{@code
 * {"type":"message.send","timestamp":"2026-01-19T00:13:51.123Z",
 *  "data":{"message_id":42,"idempotency_key":"relay-42","attempt":1,"tenant":"acme","campaign":"welcome",
 *          "recipient_id":"u-1","address":"u-1","locale":"tr-TR","content":{...}}}
 * }</pre>
 * and the three headers of the Standard Webhooks specification (https://www.standardwebhooks.com/):
 * <ul>
 *   <li>{@code webhook-id}: the message's idempotency key, the same for every attempt, so that the
 *   endpoint can drop repeats;</li>
 *   <li>{@code webhook-timestamp}: when this attempt was made, in Unix seconds;</li>
 *   <li>{@code webhook-signature}: {@code v1,} and the base64 of the HMAC-SHA256 of
 *   {@code {webhook-id}.{webhook-timestamp}.{body}}, keyed by the base64-decoded part of the secret.</li>
 * </ul>
 * The messages of a batch are posted concurrently.
 *
 * <h2>Settings</h2>
 * <ul>
 *   <li>{@code url} (required): an absolute http or https URL;</li>
 *   <li>{@code secret} (required): {@code whsec_} followed by the base64 of at least 24 random bytes;</li>
 *   <li>{@code timeout-ms} (default 10000): the longest wait for a connection, and the longest silence
 *   while waiting for the answer;</li>
 *   <li>{@code max-connections} (default 16): the size of the keep-alive connection pool.</li>
 * </ul>
 *
 * <h2>Results</h2>
 * <ul>
 *   <li>{@code 2xx}: accepted, with the {@code id} of a JSON object body as the provider id, or else the
 *   {@code webhook-id};</li>
 *   <li>{@code 429}, {@code 502}, {@code 504}: throttled (retryable, and the account slows down), with the
 *   {@code Retry-After};</li>
 *   <li>{@code 408}, {@code 409}, {@code 425}, other {@code 5xx}: retryable, with the {@code Retry-After};</li>
 *   <li>{@code 410}, {@code 3xx} (redirects are not followed), other {@code 4xx}: permanent, with
 *   {@code "endpoint answered <status>"};</li>
 *   <li>no answer (refused, reset, timed out): retryable, for that message alone.</li>
 * </ul>
 */
package dev.relay.adapters.webhookhttp;
