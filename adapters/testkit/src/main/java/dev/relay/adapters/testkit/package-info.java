/**
 * Provider fakes for tests, the demo and load tests. Each fake speaks its provider's protocol over a
 * real socket on the loopback interface and can be told to misbehave with a {@link
 * dev.relay.adapters.testkit.Fault}.
 *
 * <ul>
 *   <li>{@link dev.relay.adapters.testkit.SandboxServer}: the sandbox provider, the gateway's default
 *   account for every channel, reached through the {@code sandbox-*} adapters
 *   ({@link dev.relay.adapters.testkit.SandboxAdapter});</li>
 *   <li>{@link dev.relay.adapters.testkit.WebhookReceiver}: an endpoint that verifies Standard Webhooks
 *   signatures, the far side of the {@code webhook-http} adapter.</li>
 * </ul>
 */
package dev.relay.adapters.testkit;
