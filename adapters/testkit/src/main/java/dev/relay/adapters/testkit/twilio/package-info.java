/**
 * A fake of the Twilio Messages API, the far side of the {@code sms-twilio} adapter:
 * {@link dev.relay.adapters.testkit.twilio.TwilioFake}, which also signs status callbacks as Twilio does.
 */
package dev.relay.adapters.testkit.twilio;
