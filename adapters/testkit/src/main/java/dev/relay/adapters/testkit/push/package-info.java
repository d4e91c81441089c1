/**
 * What the push fakes ({@link dev.relay.adapters.testkit.fcm.FcmFake},
 * {@link dev.relay.adapters.testkit.apns.ApnsFake}) share: a {@link dev.relay.adapters.testkit.push.ManualClock}
 * that a test moves to age tokens without waiting.
 */
package dev.relay.adapters.testkit.push;
