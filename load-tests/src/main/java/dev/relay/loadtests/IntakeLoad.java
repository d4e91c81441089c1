package dev.relay.loadtests;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Closed-loop clients posting batches to {@code POST /v1/batches}: each client keeps exactly one
 * request in flight and sends its next batch as soon as the answer to the last one arrives. All
 * clients run on one event loop, so a phase's counters need no synchronisation.
 */
final class IntakeLoad implements AutoCloseable {

  /** A batch ready to send: its number (which fixes its recipients) and its request body. */
  record Batch(long number, Buffer body) {
  }

  /** A batch the gateway stored: its number and the id the gateway gave it. */
  record Accepted(long number, UUID batchId) {
  }

  private static final long REQUEST_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(2);
  private static final long HIGHEST_LATENCY_US = TimeUnit.MINUTES.toMicros(10);
  /** Distinct error answers kept to show in the report. */
  private static final int ERROR_SAMPLES = 5;
  private static final int ERROR_BODY_CHARS = 300;

  private final Vertx vertx;
  private final WebClient client;
  private final String authorization;
  private final BooleanSupplier gatewayAlive;
  private final int clients;
  private final boolean idempotencyKeys;

  /** {@code idempotencyKeys}: send {@code Idempotency-Key: bench-<batch number>} with each batch. */
  IntakeLoad(Vertx vertx, int port, String apiKey, int clients, boolean idempotencyKeys, BooleanSupplier gatewayAlive) {
    this.vertx = vertx;
    this.client = WebClient.create(vertx,
      new WebClientOptions()
        .setDefaultHost("127.0.0.1")
        .setDefaultPort(port)
        .setKeepAlive(true)
        .setTcpNoDelay(true)
        .setUserAgent("relay-bench"),
      new PoolOptions().setHttp1MaxSize(clients));
    this.authorization = "Bearer " + apiKey;
    this.gatewayAlive = gatewayAlive;
    this.clients = clients;
    this.idempotencyKeys = idempotencyKeys;
  }

  /**
   * Runs the clients until {@code duration} has passed (no request starts after it; those in flight
   * are awaited and counted) or {@code source} has no batch left. Completes with what happened.
   */
  Future<Phase> run(Supplier<Batch> source, Duration duration) {
    Context context = vertx.getOrCreateContext();
    Promise<Phase> done = Promise.promise();
    context.runOnContext(v -> new Run(source, duration, done).start());
    return done.future();
  }

  /**
   * The next {@code count} batches (numbers taken from {@code nextBatch}), all made now, before the phase
   * that sends them starts; each is let go once sent. The supplier gives null when they are used up.
   */
  static Supplier<Batch> pregenerated(Recipients recipients, AtomicLong nextBatch, int count) {
    Batch[] pool = new Batch[count];
    for (int i = 0; i < count; i++) {
      long number = nextBatch.getAndIncrement();
      pool[i] = new Batch(number, Buffer.buffer(recipients.requestBody(number)));
    }
    AtomicInteger taken = new AtomicInteger();
    return () -> {
      int i = taken.getAndIncrement();
      if (i >= pool.length) {
        return null;
      }
      Batch batch = pool[i];
      pool[i] = null;
      return batch;
    };
  }

  @Override
  public void close() {
    client.close();
  }

  /** One phase (warm-up or measurement) as it runs, then its outcome. */
  private final class Run {

    private final Supplier<Batch> source;
    private final Duration duration;
    private final Promise<Phase> done;
    private final Phase phase = new Phase();
    private long deadline;
    private int running;

    Run(Supplier<Batch> source, Duration duration, Promise<Phase> done) {
      this.source = source;
      this.duration = duration;
      this.done = done;
    }

    void start() {
      phase.startNanos = System.nanoTime();
      deadline = phase.startNanos + duration.toNanos();
      running = clients;
      for (int i = 0; i < clients; i++) {
        next();
      }
    }

    /** Sends this client's next batch, or retires the client when the phase is over. */
    private void next() {
      Batch batch = null;
      if (phase.abortReason == null && !gatewayAlive.getAsBoolean()) {
        phase.abortReason = "the gateway process exited during the run";
      }
      if (phase.abortReason == null && System.nanoTime() < deadline) {
        batch = source.get();
        phase.sourceExhausted |= batch == null;
      }
      if (batch == null) {
        if (--running == 0) {
          phase.endNanos = System.nanoTime();
          done.complete(phase);
        }
        return;
      }
      Batch sent = batch;
      long started = System.nanoTime();
      HttpRequest<Buffer> request = client.post("/v1/batches")
        .putHeader("Authorization", authorization)
        .putHeader("Content-Type", "application/json")
        .timeout(REQUEST_TIMEOUT_MS);
      if (idempotencyKeys) {
        request.putHeader("Idempotency-Key", "bench-" + sent.number());
      }
      request.sendBuffer(sent.body())
        .onComplete(answer -> {
          phase.record(sent, answer, System.nanoTime() - started);
          next();
        });
    }
  }

  /** What one phase did: requests, accepted recipients, errors, and the latency of every POST. */
  static final class Phase {

    final Histogram latencyMicros = new Histogram(HIGHEST_LATENCY_US, 3);
    final List<Accepted> accepted = new ArrayList<>();
    final Map<String, Long> errorsByKind = new TreeMap<>();
    final List<String> errorSamples = new ArrayList<>();
    long requests;
    long recipientsAccepted;
    long recipientsRejected;
    long errors;
    long startNanos;
    long endNanos;
    boolean sourceExhausted;
    String abortReason;

    private void record(Batch batch, AsyncResult<HttpResponse<Buffer>> answer, long nanos) {
      requests++;
      latencyMicros.recordValue(Math.min(HIGHEST_LATENCY_US, Math.max(1, nanos / 1_000)));
      if (answer.failed()) {
        error(answer.cause().getClass().getSimpleName(), String.valueOf(answer.cause().getMessage()));
        return;
      }
      HttpResponse<Buffer> response = answer.result();
      if (response.statusCode() != 202) {
        String body = response.bodyAsString() == null ? "" : response.bodyAsString();
        error("HTTP " + response.statusCode(),
          body.length() > ERROR_BODY_CHARS ? body.substring(0, ERROR_BODY_CHARS) + "..." : body);
        return;
      }
      JsonObject body = response.bodyAsJsonObject();
      recipientsAccepted += body.getInteger("accepted");
      recipientsRejected += body.getJsonArray("rejected").size();
      accepted.add(new Accepted(batch.number(), UUID.fromString(body.getString("batch_id"))));
    }

    private void error(String kind, String detail) {
      errors++;
      errorsByKind.merge(kind, 1L, Long::sum);
      String sample = kind + ": " + detail;
      if (errorSamples.size() < ERROR_SAMPLES && !errorSamples.contains(sample)) {
        errorSamples.add(sample);
      }
    }

    double elapsedSeconds() {
      return (endNanos - startNanos) / 1e9;
    }
  }
}
