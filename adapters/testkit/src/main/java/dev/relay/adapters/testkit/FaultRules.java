package dev.relay.adapters.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The faults injected into one fake, and how a fault is carried out on a request. Thread-safe: faults are
 * injected from test threads while requests are served on event loops.
 */
final class FaultRules {

  private static final long NO_DEADLINE = 0;

  private record Active(Fault fault, long deadlineNanos) {
    boolean expired(long nowNanos) {
      return deadlineNanos != NO_DEADLINE && nowNanos - deadlineNanos >= 0;
    }
  }

  private final CopyOnWriteArrayList<Active> rules = new CopyOnWriteArrayList<>();

  void inject(Fault fault) {
    long deadline = fault.period().map(p -> (System.nanoTime() + p.toNanos()) | 1L).orElse(NO_DEADLINE);
    rules.add(new Active(fault, deadline));
  }

  void clear() {
    rules.clear();
  }

  /** The faults still active, in the order they were injected. */
  List<Fault> active() {
    long now = System.nanoTime();
    List<Fault> active = new ArrayList<>();
    for (Active rule : rules) {
      if (!rule.expired(now)) {
        active.add(rule.fault());
      }
    }
    return active;
  }

  /** The first active fault whose share draws this request, or null when the request is to be served normally. */
  Fault pick() {
    if (rules.isEmpty()) {
      return null;
    }
    long now = System.nanoTime();
    for (Active rule : rules) {
      if (rule.expired(now)) {
        rules.remove(rule);
      } else if (rule.fault().probability() >= 1.0
        || ThreadLocalRandom.current().nextDouble() < rule.fault().probability()) {
        return rule.fault();
      }
    }
    return null;
  }

  /**
   * Carries out {@code fault} on a request whose body has been read: answers it with the fault's status,
   * abandons it, closes its connection, or runs {@code serve} after the fault's delay.
   */
  static void apply(Vertx vertx, HttpServerRequest request, Fault fault, Runnable serve) {
    switch (fault.kind()) {
      case STATUS:
        error(request, fault.httpStatus(), "fault injected: answering " + fault.httpStatus());
        break;
      case THROTTLE:
        request.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(fault.retryAfterSeconds()));
        error(request, 429, "fault injected: throttled");
        break;
      case TIMEOUT:
        // Never answered: the client's timeout ends it, or closing the server does.
        break;
      case RESET:
        request.connection().close();
        break;
      case SLOW:
        vertx.setTimer(Math.max(1, fault.delay().toMillis()), id -> serve.run());
        break;
      default:
        throw new IllegalStateException("unknown fault kind " + fault.kind());
    }
  }

  /** Answers with a JSON body. */
  static void json(HttpServerRequest request, int status, JsonObject body) {
    request.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .end(body.toBuffer());
  }

  /** Answers with {@code {"error": message}}. */
  static void error(HttpServerRequest request, int status, String message) {
    json(request, status, new JsonObject().put("error", message));
  }
}
