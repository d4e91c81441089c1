package dev.relay.gateway.store;

/** A tenant: the owner of API keys, campaigns and everything sent under them. */
public record Tenant(long id, String name) {
}
