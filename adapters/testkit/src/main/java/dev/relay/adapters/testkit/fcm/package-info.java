/**
 * A fake of Firebase Cloud Messaging's HTTP v1 API and Google's OAuth 2.0 token endpoint
 * ({@link dev.relay.adapters.testkit.fcm.FcmFake}), and made-up service accounts for it
 * ({@link dev.relay.adapters.testkit.fcm.TestServiceAccount}): the far side of the {@code push-fcm} adapter.
 */
package dev.relay.adapters.testkit.fcm;
