/**
 * The {@code push-fcm} adapter: mobile push ({@code push} channel) through Firebase Cloud Messaging's HTTP v1
 * API.
 *
 * <h2>Wire format</h2>
 * Each message is its own {@code POST {base-url}/v1/projects/{project-id}/messages:send} (the v1 API has no
 * batch call; the messages of a batch are sent concurrently) with {@code Authorization: Bearer <access
 * token>} and a body
 * <pre>{@code
 * {"message":{"token":"<address>","notification":{"title":"…","body":"…"},"data":{"k":"v"},
 *             "android":{"collapse_key":"…"}}}
 * }</pre>
 * FCM answers {@code 200 {"name":"projects/p/messages/0:…"}}; the name is the provider id.
 *
 * <h2>Access token</h2>
 * The account's service account signs an RS256 JWT ({@code iss} its {@code client_email}, {@code scope}
 * {@code https://www.googleapis.com/auth/firebase.messaging}, {@code aud} its {@code token_uri}, {@code iat},
 * {@code exp} an hour later, {@code kid} its {@code private_key_id}) with vertx-auth-jwt, and exchanges it
 * at {@code token_uri} ({@code grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>}, RFC
 * 7523) for an access token. The token is reused until five minutes before its {@code expires_in} runs out
 * (half its life, for tokens shorter than ten minutes); one exchange runs at a time and every send that
 * needs a token meanwhile waits for it. When FCM answers {@code 401} (other than
 * {@code THIRD_PARTY_AUTH_ERROR}) the token is dropped, a new one fetched and the message sent once more.
 * If a refresh fails while the old token has not yet expired, the old one is used.
 *
 * <h2>Settings</h2>
 * <ul>
 *   <li>{@code service-account} (required): the service account's JSON key file as text, usually
 *   {@code ${file:/path/key.json}}; fields {@code client_email} and {@code private_key} (PKCS#8 PEM) are
 *   required, {@code token_uri} defaults to {@code https://oauth2.googleapis.com/token},
 *   {@code private_key_id} becomes the JWT's {@code kid};</li>
 *   <li>{@code project-id} (default: the key file's {@code project_id}): the Firebase project;</li>
 *   <li>{@code base-url} (default {@code https://fcm.googleapis.com});</li>
 *   <li>{@code timeout-ms} (default 10000): the longest wait for a connection, and the longest silence
 *   while waiting for an answer, of FCM and of the token endpoint;</li>
 *   <li>{@code max-connections} (default 16): the size of the keep-alive connection pool.</li>
 * </ul>
 *
 * <h2>Content fields</h2>
 * {@code title} (string), {@code body} (string): the notification; {@code data} (object): FCM's data
 * payload, whose values are sent as strings (numbers and booleans as their text, objects and arrays as
 * their JSON); {@code collapse_key} (string): {@code android.collapse_key}. At least one of {@code title},
 * {@code body} or a non-empty {@code data} is required; a field of the wrong type, or none of them, is a
 * permanent failure naming the field. The address is the FCM registration token.
 *
 * <h2>Results</h2>
 * By FCM's error code (the {@code errorCode} of the {@code google.firebase.fcm.v1.FcmError} detail, or the
 * error's {@code status}, or the HTTP status):
 * <table>
 *   <caption>FCM answers and results</caption>
 *   <tr><th>FCM answer</th><th>Result</th></tr>
 *   <tr><td>{@code 200}</td><td>accepted, id = {@code name}</td></tr>
 *   <tr><td>{@code UNREGISTERED} (404)</td><td>permanent, {@code invalid-token: FCM UNREGISTERED (404): …};
 *   the token is remembered</td></tr>
 *   <tr><td>{@code INVALID_ARGUMENT} (400) about {@code message.token}, or naming no field</td><td>permanent,
 *   {@code invalid-token: FCM INVALID_ARGUMENT (400): …}; the token is remembered</td></tr>
 *   <tr><td>{@code INVALID_ARGUMENT} (400) naming another field (such as a reserved {@code data} key)</td>
 *   <td>permanent, {@code FCM INVALID_ARGUMENT (400): …}</td></tr>
 *   <tr><td>{@code SENDER_ID_MISMATCH} (403), {@code THIRD_PARTY_AUTH_ERROR} (401)</td><td>permanent</td></tr>
 *   <tr><td>{@code QUOTA_EXCEEDED}, any other {@code 429}</td><td>throttled, with {@code Retry-After}</td></tr>
 *   <tr><td>{@code UNAVAILABLE} (503), {@code INTERNAL} (500), any other {@code 5xx}, {@code 408}</td>
 *   <td>retryable, with {@code Retry-After}</td></tr>
 *   <tr><td>other {@code 401} ({@code UNAUTHENTICATED}: our access token)</td><td>token refreshed and the
 *   message sent again once; a second {@code 401}: retryable</td></tr>
 *   <tr><td>other {@code 403} ({@code PERMISSION_DENIED})</td><td>permanent, {@code credentials rejected: …}</td></tr>
 *   <tr><td>other {@code 4xx}</td><td>permanent</td></tr>
 *   <tr><td>no answer (refused, reset, timed out)</td><td>retryable, for that message alone</td></tr>
 *   <tr><td>token endpoint {@code 4xx} (such as {@code invalid_grant})</td><td>permanent,
 *   {@code credentials rejected: token endpoint answered 400 invalid_grant (…)}</td></tr>
 *   <tr><td>token endpoint {@code 429}</td><td>throttled</td></tr>
 *   <tr><td>token endpoint {@code 5xx}, {@code 408}, or no answer</td><td>retryable</td></tr>
 *   <tr><td>a device token remembered as invalid</td><td>permanent at once, with the remembered reason, no
 *   request</td></tr>
 * </table>
 * The {@value dev.relay.adapters.fcm.FcmAdapter#INVALID_TOKEN_PREFIX} prefix tells the gateway to mark the
 * recipient's token invalid. Each account remembers up to 100,000 invalid tokens, in memory.
 *
 * <h2>Webhooks</h2>
 * None: FCM reports no deliveries to a server (delivery data is only in the Firebase console and BigQuery
 * export), so {@code webhooks()} is empty.
 */
package dev.relay.adapters.fcm;
