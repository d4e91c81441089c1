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
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Clients posting batches to {@code POST /v1/batches}, in one of two ways. Closed loop ({@link #run}):
 * each client keeps exactly one request in flight and sends its next batch as soon as the answer to the
 * last one arrives. Open model ({@link #runAtRate}): batches are sent at a fixed rate whatever the
 * answers do, and each POST's latency counts from the moment it was due. All requests run on one event
 * loop, so a phase's counters need no synchronisation. With several gateways (ports), client {@code i}
 * (or arrival {@code i}) posts to port {@code i mod n}.
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
  private final List<Integer> ports;
  private final String authorization;
  private final BooleanSupplier gatewayAlive;
  private final int clients;
  private final boolean idempotencyKeys;

  /** {@code idempotencyKeys}: send {@code Idempotency-Key: bench-<batch number>} with each batch. */
  IntakeLoad(Vertx vertx, int port, String apiKey, int clients, boolean idempotencyKeys, BooleanSupplier gatewayAlive) {
    this(vertx, List.of(port), apiKey, clients, idempotencyKeys, gatewayAlive);
  }

  /**
   * Clients spread over several gateways on loopback {@code ports}; {@code clients} is also the most
   * connections open to each gateway (for {@link #runAtRate}, the most POSTs in flight to each; more wait).
   */
  IntakeLoad(Vertx vertx, List<Integer> ports, String apiKey, int clients, boolean idempotencyKeys,
             BooleanSupplier gatewayAlive) {
    this.vertx = vertx;
    this.ports = List.copyOf(ports);
    this.client = WebClient.create(vertx,
      new WebClientOptions()
        .setDefaultHost("127.0.0.1")
        .setDefaultPort(this.ports.get(0))
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
   * Sends batches at {@code batchesPerSecond}, evenly spaced, for {@code duration} (an open model: a batch
   * goes out when it is due, whether or not earlier ones were answered), until {@code source} has none
   * left. A batch due while {@code maxOutstanding} POSTs are unanswered is not sent and is counted as
   * {@link Phase#dropped}. Each POST's latency runs from the moment it was due, so a late send counts.
   * Completes when the last POST was answered.
   */
  Future<Phase> runAtRate(Supplier<Batch> source, double batchesPerSecond, Duration duration, int maxOutstanding) {
    Context context = vertx.getOrCreateContext();
    Promise<Phase> done = Promise.promise();
    context.runOnContext(v -> new OpenRun(source, batchesPerSecond, duration, maxOutstanding, done).start());
    return done.future();
  }

  /** Sends one batch to the gateway on {@code port}; {@code answered} gets the answer and the nanos since {@code due}. */
  private void post(int port, Batch batch, long due, BiConsumer<AsyncResult<HttpResponse<Buffer>>, Long> answered) {
    HttpRequest<Buffer> request = client.post(port, "127.0.0.1", "/v1/batches")
      .putHeader("Authorization", authorization)
      .putHeader("Content-Type", "application/json")
      .timeout(REQUEST_TIMEOUT_MS);
    if (idempotencyKeys) {
      request.putHeader("Idempotency-Key", "bench-" + batch.number());
    }
    request.sendBuffer(batch.body()).onComplete(answer -> answered.accept(answer, System.nanoTime() - due));
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
        next(ports.get(i % ports.size()));
      }
    }

    /** Sends this client's next batch to its gateway, or retires the client when the phase is over. */
    private void next(int port) {
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
      post(port, sent, System.nanoTime(), (answer, nanos) -> {
        phase.record(sent, answer, nanos);
        next(port);
      });
    }
  }

  /** One open-model phase as it runs: a timer sends every batch that is due, then sleeps until the next one. */
  private final class OpenRun {

    private final Supplier<Batch> source;
    private final long spacingNanos;
    private final Duration duration;
    private final int maxOutstanding;
    private final Promise<Phase> done;
    private final Phase phase = new Phase();
    private long deadline;
    private long arrivals;
    private int outstanding;
    private boolean scheduling = true;

    OpenRun(Supplier<Batch> source, double batchesPerSecond, Duration duration, int maxOutstanding, Promise<Phase> done) {
      this.source = source;
      this.spacingNanos = Math.max(1, Math.round(1e9 / batchesPerSecond));
      this.duration = duration;
      this.maxOutstanding = maxOutstanding;
      this.done = done;
    }

    void start() {
      phase.startNanos = System.nanoTime();
      deadline = phase.startNanos + duration.toNanos();
      tick();
    }

    private long due(long arrival) {
      return phase.startNanos + arrival * spacingNanos;
    }

    /** Sends every batch due by now, then waits for the next one (or for the last answers). */
    private void tick() {
      long now = System.nanoTime();
      if (phase.abortReason == null && !gatewayAlive.getAsBoolean()) {
        phase.abortReason = "the gateway process exited during the run";
      }
      while (scheduling && phase.abortReason == null && due(arrivals) <= now && due(arrivals) < deadline) {
        long dueNanos = due(arrivals);
        int port = ports.get((int) (arrivals % ports.size()));
        arrivals++;
        if (outstanding >= maxOutstanding) {
          phase.dropped++;
          continue;
        }
        Batch batch = source.get();
        if (batch == null) {
          phase.sourceExhausted = true;
          scheduling = false;
          break;
        }
        phase.scheduled.add(dueNanos, -1, 1);
        outstanding++;
        post(port, batch, dueNanos, (answer, nanos) -> {
          phase.record(batch, answer, nanos);
          outstanding--;
          finishIfDone();
        });
      }
      if (phase.abortReason != null || due(arrivals) >= deadline) {
        scheduling = false;
      }
      if (scheduling) {
        long waitNanos = due(arrivals) - System.nanoTime();
        vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)), id -> tick());
      } else {
        finishIfDone();
      }
    }

    private void finishIfDone() {
      if (!scheduling && outstanding == 0 && !done.future().isComplete()) {
        phase.endNanos = System.nanoTime();
        done.complete(phase);
      }
    }
  }

  /**
   * What one phase did: requests, accepted recipients, errors, and the latency of every POST; each POST
   * as it completed (its recipients accepted, 0 for an error), and in an open-model phase the batches as
   * they were due ({@code scheduled}, one item each) and those not sent because too many were unanswered.
   */
  static final class Phase {

    final Histogram latencyMicros = new Histogram(HIGHEST_LATENCY_US, 3);
    final Completions completions = new Completions();
    final Completions scheduled = new Completions();
    final List<Accepted> accepted = new ArrayList<>();
    final Map<String, Long> errorsByKind = new TreeMap<>();
    final List<String> errorSamples = new ArrayList<>();
    long requests;
    long recipientsAccepted;
    long recipientsRejected;
    long errors;
    long startNanos;
    long endNanos;
    long dropped;
    boolean sourceExhausted;
    String abortReason;

    private void record(Batch batch, AsyncResult<HttpResponse<Buffer>> answer, long nanos) {
      requests++;
      long micros = Math.min(HIGHEST_LATENCY_US, Math.max(1, nanos / 1_000));
      latencyMicros.recordValue(micros);
      long before = recipientsAccepted;
      interpret(batch, answer);
      completions.add(System.nanoTime(), micros, recipientsAccepted - before);
    }

    private void interpret(Batch batch, AsyncResult<HttpResponse<Buffer>> answer) {
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
