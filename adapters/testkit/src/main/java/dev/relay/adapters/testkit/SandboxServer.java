package dev.relay.adapters.testkit;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sandbox provider: a fake that accepts messages of every channel over HTTP/1.1 and JSON on a real
 * socket, records what arrived, and misbehaves on request. It is the gateway's default provider (so that
 * a newcomer sees messages delivered without any provider account), the sink of the end-to-end benchmark,
 * and the witness of tests that prove each message arrives exactly once.
 *
 * <h2>Protocol</h2>
 * <ul>
 *   <li>{@code POST /v1/messages} with {@code {"messages":[{"idempotency_key":"relay-42","attempt":1,
 *   "channel":"email","to":"ayse@example.com","tenant":"acme","campaign":"welcome","recipient_id":"u-1",
 *   "locale":"tr-TR","content":{...}}]}} answers {@code 200 {"results":[{"status":"accepted","id":"sbx_…"},
 *   {"status":"rejected","permanent":true,"reason":"…"}]}}, one result per message in order.
 *   A message whose {@code to} starts with {@code reject} (any case), or is a phone number {@code +1555000}
 *   followed by digits, or is missing, is rejected permanently and is not a receipt. A repeated
 *   idempotency key is recorded again (a duplicate) and answered with the provider id it got the first
 *   time. A body that is not JSON, has no non-empty {@code messages} array, or has a message without an
 *   {@code idempotency_key} is answered {@code 400 {"error":"…"}}.</li>
 *   <li>{@code GET /v1/messages} answers {@code {"count":N,"unique":U,"duplicates":D,"messages":[…]}} with
 *   the last 100 receipts ({@code ?last=N} for more), for a person with curl.</li>
 *   <li>{@code POST /_sandbox/faults} with a fault's JSON form ({@link Fault#fromJson(JsonObject)}) injects
 *   it, {@code DELETE /_sandbox/faults} clears them, {@code GET /_sandbox/faults} lists the active ones, and
 *   {@code POST /_sandbox/reset} does what {@link #reset()} does: for tests that drive a sandbox in another
 *   process.</li>
 * </ul>
 *
 * <p>The server runs on its own event loops (one verticle instance per core, at most four) so that it does
 * not compete with the event loop of whoever started it. The receipt log is shared by them and
 * thread-safe. It keeps every receipt until {@link #reset()}: call it between runs of a long benchmark.
 */
public final class SandboxServer {

  /**
   * One message the sandbox received and accepted.
   *
   * @param idempotencyKey the message's idempotency key; the same for every attempt of a message
   * @param attempt        the attempt number the client sent
   * @param channel        the channel's wire name, such as {@code email}
   * @param address        the recipient's address ({@code to})
   * @param tenant         the tenant, as sent
   * @param campaign       the campaign, as sent
   * @param recipientId    the recipient's id, as sent
   * @param locale         the locale, as sent, or null
   * @param content        the content as received (shared, do not modify)
   * @param providerId     the id the sandbox answered; the same for every duplicate of a key
   * @param receivedAt     when the sandbox accepted it
   */
  public record Receipt(String idempotencyKey, int attempt, String channel, String address, String tenant,
                        String campaign, String recipientId, String locale, JsonObject content, String providerId,
                        Instant receivedAt) {
  }

  private static final int MAX_INSTANCES = 4;
  private static final AtomicInteger RANDOM_PORT_KEYS = new AtomicInteger();

  private final Vertx vertx;
  private final SandboxHandler handler;
  private final String host;
  private final int port;
  private final String deployment;

  private SandboxServer(Vertx vertx, SandboxHandler handler, String host, int port, String deployment) {
    this.vertx = vertx;
    this.handler = handler;
    this.host = host;
    this.port = port;
    this.deployment = deployment;
  }

  /**
   * Starts a sandbox listening on {@code host} and {@code port}; port 0 picks a free port. The future fails
   * when the port is taken or out of range.
   */
  public static Future<SandboxServer> start(Vertx vertx, String host, int port) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      return Future.failedFuture(new IllegalArgumentException("port must be from 0 to 65535, not " + port));
    }
    SandboxHandler handler = new SandboxHandler(vertx);
    int instances = Math.max(1, Math.min(MAX_INSTANCES, Runtime.getRuntime().availableProcessors()));
    // Vert.x gives every listener on port 0 a port of its own, but lets the listeners on one negative port
    // share one free port: each sandbox takes a negative port no other sandbox of this process uses.
    int listenOn = port == 0 ? -RANDOM_PORT_KEYS.incrementAndGet() : port;
    AtomicInteger bound = new AtomicInteger();
    return vertx.deployVerticle(() -> new Endpoint(handler, host, listenOn, bound),
        new DeploymentOptions().setInstances(instances))
      .map(id -> new SandboxServer(vertx, handler, host, bound.get(), id));
  }

  /** The base URL, such as {@code http://127.0.0.1:41234}: the {@code url} setting of a sandbox account. */
  public String url() {
    String shown = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + shown + ":" + port;
  }

  /** The port it listens on. */
  public int port() {
    return port;
  }

  /** Stops listening and closes every connection, answered or not. */
  public Future<Void> close() {
    return vertx.undeploy(deployment);
  }

  /** Every message received and accepted, in arrival order, duplicates included: a snapshot. */
  public List<Receipt> receipts() {
    return handler.log().receipts();
  }

  /** How many messages were accepted, duplicates included: {@code receipts().size()}. */
  public int receivedCount() {
    return handler.log().receivedCount();
  }

  /** How many distinct idempotency keys were accepted. */
  public int uniqueCount() {
    return handler.log().uniqueCount();
  }

  /** How many accepted messages repeated a key accepted before: {@code receivedCount() - uniqueCount()}. */
  public int duplicateCount() {
    return handler.log().duplicateCount();
  }

  /** How many requests reached {@code /v1/messages}, faulted ones included. */
  public long requestCount() {
    return handler.requestCount();
  }

  /** Adds a fault rule. Several may be active; per request, the first one that applies is carried out. */
  public void inject(Fault fault) {
    handler.faults().inject(Objects.requireNonNull(fault, "fault"));
  }

  /** Removes every fault rule. */
  public void clearFaults() {
    handler.faults().clear();
  }

  /** Forgets receipts, counters and faults. */
  public void reset() {
    handler.reset();
  }

  @Override
  public String toString() {
    return "sandbox at " + url();
  }

  /** One listener; several share the port, each on its own event loop. */
  private static final class Endpoint extends VerticleBase {
    private final SandboxHandler handler;
    private final String host;
    private final int port;
    private final AtomicInteger bound;

    Endpoint(SandboxHandler handler, String host, int port, AtomicInteger bound) {
      this.handler = handler;
      this.host = host;
      this.port = port;
      this.bound = bound;
    }

    @Override
    public Future<?> start() {
      return vertx.createHttpServer()
        .requestHandler(handler)
        .listen(port, host)
        .onSuccess(server -> bound.set(server.actualPort()));
    }
  }
}
