package dev.relay.loadtests;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The baseline of the e2e benchmark: a bare Vert.x {@link HttpClientAgent} posting messages straight
 * to the sink in the sandbox protocol, {@code POST /v1/messages} with {@code {"messages":[...]}}, a
 * fixed number of requests in flight, each the next group of messages. It builds and reads the bodies
 * as the gateway's sandbox adapter does (a {@link JsonObject} per message encoded per request, the
 * answer's {@code results} decoded and checked), and does nothing else: no database, no queue.
 */
final class SinkBaseline implements AutoCloseable {

  /**
   * What a run did; {@code accepted} counts the messages the sink answered {@code accepted} for, and
   * {@code completions} holds each request as it was answered, with its accepted messages.
   */
  static final class Result {
    final Histogram latencyMicros = new Histogram(HIGHEST_LATENCY_US, 3);
    final Completions completions = new Completions();
    final List<String> errorSamples = new ArrayList<>();
    long requests;
    long messages;
    long accepted;
    long errors;
    long startNanos;
    long endNanos;

    double seconds() {
      return (endNanos - startNanos) / 1e9;
    }

    private void error(String sample) {
      errors++;
      if (errorSamples.size() < ERROR_SAMPLES && !errorSamples.contains(sample)) {
        errorSamples.add(sample);
      }
    }
  }

  private static final int REQUEST_TIMEOUT_MS = 10_000;
  private static final long HIGHEST_LATENCY_US = TimeUnit.MINUTES.toMicros(10);
  private static final int ERROR_SAMPLES = 5;
  private static final int ERROR_BODY_CHARS = 300;

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final String endpoint;
  private final int concurrency;

  /** {@code sinkUrl}: the sandbox's base URL; {@code concurrency}: requests in flight, one connection each. */
  SinkBaseline(Vertx vertx, String sinkUrl, int concurrency) {
    this.vertx = vertx;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
      new PoolOptions().setHttp1MaxSize(concurrency));
    this.endpoint = sinkUrl + "/v1/messages";
    this.concurrency = concurrency;
  }

  /**
   * Sends every group of {@code requests} as one request, {@code concurrency} at a time, in order, and
   * completes when the last answer arrived. Timed from the first request's start to the last answer.
   */
  Future<Result> run(List<List<JsonObject>> requests) {
    Context context = vertx.getOrCreateContext();
    Promise<Result> done = Promise.promise();
    context.runOnContext(v -> new Run(requests, done).start());
    return done.future();
  }

  @Override
  public void close() {
    client.close().await();
  }

  private final class Run {
    private final List<List<JsonObject>> requests;
    private final Promise<Result> done;
    private final Result result = new Result();
    private int next;
    private int running;

    Run(List<List<JsonObject>> requests, Promise<Result> done) {
      this.requests = requests;
      this.done = done;
    }

    void start() {
      result.startNanos = System.nanoTime();
      running = concurrency;
      for (int i = 0; i < concurrency; i++) {
        send();
      }
    }

    private void send() {
      if (next >= requests.size()) {
        if (--running == 0) {
          result.endNanos = System.nanoTime();
          done.complete(result);
        }
        return;
      }
      List<JsonObject> messages = requests.get(next++);
      long started = System.nanoTime();
      Buffer body = new JsonObject().put("messages", new JsonArray(new ArrayList<>(messages))).toBuffer();
      RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setAbsoluteURI(endpoint)
        .setConnectTimeout(REQUEST_TIMEOUT_MS)
        .setIdleTimeout(REQUEST_TIMEOUT_MS)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.ACCEPT, "application/json");
      client.request(options)
        .compose(request -> request.send(body)
          .compose(response -> response.body().map(answer -> new Answer(response.statusCode(), answer))))
        .onComplete(answer -> {
          record(messages.size(), answer, System.nanoTime() - started);
          send();
        });
    }

    private void record(int count, AsyncResult<Answer> answer, long nanos) {
      result.requests++;
      result.messages += count;
      long micros = Math.min(HIGHEST_LATENCY_US, Math.max(1, nanos / 1_000));
      result.latencyMicros.recordValue(micros);
      long before = result.accepted;
      interpret(count, answer);
      result.completions.add(System.nanoTime(), micros, result.accepted - before);
    }

    private void interpret(int count, AsyncResult<Answer> answer) {
      if (answer.failed()) {
        result.error(answer.cause().getClass().getSimpleName() + ": " + answer.cause().getMessage());
        return;
      }
      Answer a = answer.result();
      if (a.status() != 200) {
        String text = a.body().toString();
        result.error("HTTP " + a.status() + ": "
          + (text.length() > ERROR_BODY_CHARS ? text.substring(0, ERROR_BODY_CHARS) + "..." : text));
        return;
      }
      JsonArray results;
      try {
        results = a.body().toJsonObject().getJsonArray("results");
      } catch (RuntimeException e) {
        result.error("unreadable answer: " + e.getMessage());
        return;
      }
      if (results == null || results.size() != count) {
        result.error("answer with " + (results == null ? "no" : results.size()) + " results for " + count + " messages");
        return;
      }
      for (int i = 0; i < count; i++) {
        JsonObject r = results.getJsonObject(i);
        if ("accepted".equals(r.getString("status")) && r.getString("id") != null) {
          result.accepted++;
        } else {
          result.error("not accepted: " + r.encode());
        }
      }
    }
  }

  private record Answer(int status, Buffer body) {
  }
}
