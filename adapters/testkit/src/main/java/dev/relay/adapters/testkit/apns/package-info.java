/**
 * A fake of the Apple Push Notification service's provider API over HTTP/2, TLS and ALPN through OpenSSL
 * ({@link dev.relay.adapters.testkit.apns.ApnsFake}), and made-up token-signing keys for it
 * ({@link dev.relay.adapters.testkit.apns.TestSigningKey}): the far side of the {@code push-apns} adapter.
 */
package dev.relay.adapters.testkit.apns;
