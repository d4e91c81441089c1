/**
 * Provider fakes for tests, the demo and load tests. Each fake speaks its provider's real protocol
 * over a real socket on the loopback interface; the sandbox provider, the default account, lands
 * here with the dispatch issue.
 */
package dev.relay.adapters.testkit;
