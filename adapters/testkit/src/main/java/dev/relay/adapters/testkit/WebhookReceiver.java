package dev.relay.adapters.testkit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake webhook endpoint, as a customer of the {@code webhook-http} adapter would run one: it takes
 * {@code POST} on {@link #url()}, verifies the Standard Webhooks signature with its secret, and records
 * what it verified.
 *
 * <p>Verification: {@code webhook-id}, {@code webhook-timestamp} and {@code webhook-signature} must be
 * present, the timestamp within five minutes of now (either way), and one of the space-separated
 * {@code v1,<base64>} signatures must equal the HMAC-SHA256 of {@code {id}.{timestamp}.{body}} under the
 * base64 part of the {@code whsec_} secret (compared in constant time). A call that fails is answered
 * {@code 401} with the reason and not recorded; a verified body that is not a JSON object is answered
 * {@code 400}. A verified call is answered {@code 200 {"id":"rcv_<n>"}}, unless an injected {@link Fault}
 * says otherwise.
 */
public final class WebhookReceiver {

  /**
   * One verified call and what the receiver answered.
   *
   * @param id         its {@code webhook-id}
   * @param timestamp  its {@code webhook-timestamp}
   * @param body       its body, parsed
   * @param status     the status the receiver answered: 200, or a {@link Fault}'s status
   * @param receivedAt when the receiver answered
   */
  public record Delivery(String id, Instant timestamp, JsonObject body, int status, Instant receivedAt) {

    /** Whether the receiver took it (answered 2xx). */
    public boolean accepted() {
      return status >= 200 && status < 300;
    }
  }

  /** The path the receiver listens on. */
  public static final String PATH = "/webhook";

  private final Vertx vertx;
  private final String host;
  private final WebhookSignatureCheck check;
  private final FaultRules faults = new FaultRules();
  private final List<Delivery> deliveries = new ArrayList<>();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private HttpServer server;

  private WebhookReceiver(Vertx vertx, String host, WebhookSignatureCheck check) {
    this.vertx = vertx;
    this.host = host;
    this.check = check;
  }

  /**
   * Starts a receiver on {@code host} and {@code port} (0 picks a free port) that verifies with
   * {@code secret}, a {@code whsec_<base64>} string. Fails when the secret is malformed or the port taken.
   */
  public static Future<WebhookReceiver> start(Vertx vertx, String host, int port, String secret) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(host, "host");
    WebhookReceiver receiver;
    try {
      receiver = new WebhookReceiver(vertx, host, new WebhookSignatureCheck(secret));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return vertx.createHttpServer()
      .requestHandler(receiver::handle)
      .listen(port, host)
      .map(server -> {
        receiver.server = server;
        return receiver;
      });
  }

  /** The URL to post webhooks to, such as {@code http://127.0.0.1:41234/webhook}: an account's {@code url}. */
  public String url() {
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port() + PATH;
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  /** Stops listening and closes every connection. */
  public Future<Void> close() {
    return server.close();
  }

  /** Every verified call that was answered, in order, with the status answered: a snapshot. */
  public synchronized List<Delivery> deliveries() {
    return List.copyOf(deliveries);
  }

  /** How many POST requests reached {@link #PATH}, whatever became of them. */
  public long requestCount() {
    return requests.get();
  }

  /** How many requests failed verification and were answered 401. */
  public long rejectedCount() {
    return rejected.get();
  }

  /** Adds a fault rule, applied to verified calls; see {@link SandboxServer#inject(Fault)}. */
  public void inject(Fault fault) {
    faults.inject(Objects.requireNonNull(fault, "fault"));
  }

  /** Removes every fault rule. */
  public void clearFaults() {
    faults.clear();
  }

  /** Forgets deliveries, counters and faults. */
  public void reset() {
    faults.clear();
    synchronized (this) {
      deliveries.clear();
    }
    requests.set(0);
    rejected.set(0);
  }

  @Override
  public String toString() {
    return "webhook receiver at " + url();
  }

  private void handle(HttpServerRequest request) {
    if (!PATH.equals(request.path())) {
      FaultRules.error(request, 404, "webhooks are received at " + PATH);
      return;
    }
    if (!HttpMethod.POST.equals(request.method())) {
      request.response().putHeader(HttpHeaders.ALLOW, "POST");
      FaultRules.error(request, 405, "webhooks are posted");
      return;
    }
    requests.incrementAndGet();
    // A body that never completes means the sender went away: there is no one left to answer.
    request.body().onSuccess(body -> receive(request, body));
  }

  private void receive(HttpServerRequest request, Buffer body) {
    String id = request.getHeader("webhook-id");
    String timestamp = request.getHeader("webhook-timestamp");
    String reason = check.verify(id, timestamp, request.getHeader("webhook-signature"), body, Instant.now());
    if (reason != null) {
      rejected.incrementAndGet();
      FaultRules.error(request, 401, reason);
      return;
    }
    JsonObject json;
    try {
      json = SandboxHandler.object(body);
    } catch (IllegalArgumentException e) {
      FaultRules.error(request, 400, e.getMessage());
      return;
    }
    Instant sentAt = Instant.ofEpochSecond(Long.parseLong(timestamp.trim()));
    Fault fault = faults.pick();
    if (fault == null) {
      accept(request, id, sentAt, json);
      return;
    }
    if (fault.kind() == Fault.Kind.STATUS || fault.kind() == Fault.Kind.THROTTLE) {
      record(new Delivery(id, sentAt, json, fault.httpStatus(), Instant.now()));
    }
    FaultRules.apply(vertx, request, fault, () -> accept(request, id, sentAt, json));
  }

  private void accept(HttpServerRequest request, String id, Instant sentAt, JsonObject json) {
    record(new Delivery(id, sentAt, json, 200, Instant.now()));
    FaultRules.json(request, 200, new JsonObject().put("id", "rcv_" + answered.incrementAndGet()));
  }

  private synchronized void record(Delivery delivery) {
    deliveries.add(delivery);
  }
}
