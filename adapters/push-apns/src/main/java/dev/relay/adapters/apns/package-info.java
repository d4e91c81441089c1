/**
 * The {@code push-apns} adapter: mobile push ({@code push} channel) through the Apple Push Notification
 * service's provider API.
 *
 * <h2>Wire format</h2>
 * HTTP/2 only, over TLS, negotiated with ALPN ({@code h2}) on netty-tcnative's OpenSSL (BoringSSL); opening
 * an account fails when OpenSSL with ALPN cannot be loaded. Each message is its own stream:
 * {@code POST {base-url}/3/device/{address}} with the headers
 * <ul>
 *   <li>{@code authorization: bearer <provider token>};</li>
 *   <li>{@code apns-topic}: the {@code topic} setting (the app's bundle id);</li>
 *   <li>{@code apns-push-type}: content {@code push_type}, {@code alert} by default;</li>
 *   <li>{@code apns-id}: {@code UUID.nameUUIDFromBytes(idempotency key)}, the same on every attempt;</li>
 *   <li>{@code apns-collapse-id}: content {@code collapse_key}, when set;</li>
 *   <li>{@code apns-priority}: content {@code priority} (10, 5 or 1), when set; 5 for background pushes;</li>
 *   <li>{@code apns-expiration}: content {@code expiration} (Unix seconds; 0 = deliver now or never), when set;</li>
 * </ul>
 * and the body {@code {"aps":{"alert":{"title":…,"body":…}}, …data}} ({@code "content-available":1} in
 * {@code aps} for a background push). A {@code 200} is accepted with the answer's {@code apns-id}.
 *
 * <h2>Provider token</h2>
 * An ES256 JWT (header {@code alg} ES256, {@code kid} the key id; claims {@code iss} the team id,
 * {@code iat}), signed with the {@code .p8} key through vertx-auth-jwt, whose signature is the raw 64-byte
 * R||S that JWS and Apple require (not DER). It is reused for 30 minutes, and never replaced sooner than 20
 * minutes after it was made (Apple answers {@code TooManyProviderTokenUpdates} otherwise), not even when
 * APNs answers {@code 403 ExpiredProviderToken}: that answer makes the token be replaced at the first send
 * once it is 20 minutes old.
 *
 * <h2>Settings</h2>
 * <ul>
 *   <li>{@code team-id} (required): the Apple developer team id;</li>
 *   <li>{@code key-id} (required): the id of the token-signing key;</li>
 *   <li>{@code private-key} (required): the key, PKCS#8 PEM as in the {@code .p8} file, usually
 *   {@code ${file:/path/AuthKey_XXXX.p8}};</li>
 *   <li>{@code topic} (required): the app's bundle id;</li>
 *   <li>{@code base-url} (default {@code https://api.push.apple.com}; the development environment is
 *   {@code https://api.sandbox.push.apple.com}): must be https;</li>
 *   <li>{@code ca-cert} (optional): PEM certificates to trust instead of the JVM's trust store, for a test
 *   server or a TLS-inspecting proxy; the server's host name is always verified;</li>
 *   <li>{@code timeout-ms} (default 10000): the longest wait for a connection, and the longest silence while
 *   waiting for an answer;</li>
 *   <li>{@code max-connections} (default 1): HTTP/2 connections to open at most; each carries many streams.</li>
 * </ul>
 *
 * <h2>Content fields</h2>
 * {@code title}, {@code body} (strings): the alert, one of them required for an {@code alert} push;
 * {@code data} (object): custom keys beside {@code aps} (which it must not contain); {@code collapse_key}
 * (string, at most 64 bytes); {@code push_type} (string: alert, background, location, voip, complication,
 * fileprovider, mdm, liveactivity, pushtotalk, widgets, controls); {@code priority} (10, 5 or 1);
 * {@code expiration} (Unix seconds). A field missing or malformed is a permanent failure naming it. The
 * address is the hexadecimal device token; anything else is a permanent {@code invalid-token:} failure
 * without a request.
 *
 * <h2>Results</h2>
 * <table>
 *   <caption>APNs answers and results</caption>
 *   <tr><th>APNs answer</th><th>Result</th></tr>
 *   <tr><td>{@code 200}</td><td>accepted, id = the answer's {@code apns-id}</td></tr>
 *   <tr><td>{@code 410} ({@code Unregistered}, {@code ExpiredToken})</td><td>permanent,
 *   {@code invalid-token: APNs 410 Unregistered (invalid since <ms>)}</td></tr>
 *   <tr><td>{@code 400 BadDeviceToken}, {@code 400 DeviceTokenNotForTopic}</td><td>permanent,
 *   {@code invalid-token: APNs 400 …}</td></tr>
 *   <tr><td>other {@code 400}, {@code 404}, {@code 405}, {@code 413 PayloadTooLarge}, other {@code 4xx}</td>
 *   <td>permanent, {@code APNs <status> <reason>}</td></tr>
 *   <tr><td>{@code 403 ExpiredProviderToken}</td><td>retryable; the token is replaced once 20 minutes old</td></tr>
 *   <tr><td>{@code 403 InvalidProviderToken}, other {@code 403}</td><td>permanent,
 *   {@code credentials rejected: APNs 403 …} (every message of the batch gets it)</td></tr>
 *   <tr><td>{@code 429 TooManyRequests}, {@code 429 TooManyProviderTokenUpdates}</td><td>throttled</td></tr>
 *   <tr><td>{@code 500}, {@code 503}, other {@code 5xx}</td><td>retryable</td></tr>
 *   <tr><td>no answer: refused, reset, timed out, TLS handshake failed</td><td>retryable, for that message
 *   alone</td></tr>
 * </table>
 * The {@value dev.relay.adapters.apns.ApnsAdapter#INVALID_TOKEN_PREFIX} prefix, shared with
 * {@code push-fcm}, tells the gateway to mark the recipient's token invalid.
 *
 * <h2>Webhooks</h2>
 * None: APNs reports nothing back to a provider server, so {@code webhooks()} is empty.
 */
package dev.relay.adapters.apns;
