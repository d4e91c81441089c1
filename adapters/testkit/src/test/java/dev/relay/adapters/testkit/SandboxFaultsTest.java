package dev.relay.adapters.testkit;

import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

import static dev.relay.adapters.testkit.TestMessages.emailAccount;
import static dev.relay.adapters.testkit.TestMessages.messages;
import static org.assertj.core.api.Assertions.assertThat;

/** Each fault, seen through the sandbox adapter as the dispatcher sees it. */
@ExtendWith(VertxExtension.class)
class SandboxFaultsTest {

  private SandboxServer sandbox;
  private ProviderAccount account;
  private ProviderAccount impatient;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    SandboxServer.start(vertx, "127.0.0.1", 0).onComplete(ctx.succeeding(s -> {
      sandbox = s;
      account = emailAccount(vertx, s);
      impatient = emailAccount(vertx, s.url(), new JsonObject().put("timeout-ms", 300));
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    Future.join(account.close(), impatient.close()).eventually(() -> sandbox.close())
      .onComplete(ctx.succeedingThenComplete());
  }

  /** Sends once without faults, so that a timing test measures the fault, not a cold start. */
  private Future<?> warmUp(ProviderAccount warmed) {
    return warmed.send(messages(1000, 1)).andThen(ar -> sandbox.reset());
  }

  @Test
  @DisplayName("A 5xx status makes every message of the batch retryable and nothing is accepted")
  void serverError(VertxTestContext ctx) {
    sandbox.inject(Fault.status(503));
    account.send(messages(1, 3)).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results).hasSize(3).allSatisfy(r -> {
        assertThat(r.isTransient()).isTrue();
        assertThat(r.isThrottled()).isFalse();
        assertThat(r.reason()).isEqualTo("sandbox answered 503");
      });
      assertThat(sandbox.receivedCount()).isZero();
      assertThat(sandbox.requestCount()).isEqualTo(1);
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A 4xx status other than 408 and 429 makes every message permanent")
  void clientError(VertxTestContext ctx) {
    sandbox.inject(Fault.status(403));
    account.send(messages(1, 2)).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results).allSatisfy(r -> {
        assertThat(r.isPermanent()).isTrue();
        assertThat(r.reason()).startsWith("sandbox answered 403");
      });
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A 408 is transient like a 5xx")
  void requestTimeoutStatus(VertxTestContext ctx) {
    sandbox.inject(Fault.status(408));
    account.send(messages(1, 1)).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results.get(0).isTransient()).isTrue();
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("Throttling makes every message throttled with the Retry-After the sandbox sent")
  void throttle(VertxTestContext ctx) {
    sandbox.inject(Fault.throttle(Duration.ofSeconds(2)));
    account.send(messages(1, 2)).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results).allSatisfy(r -> {
        assertThat(r.isTransient()).isTrue();
        assertThat(r.isThrottled()).isTrue();
        assertThat(r.retryAfter()).contains(Duration.ofSeconds(2));
      });
      assertThat(sandbox.receivedCount()).isZero();
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A sandbox that never answers fails the call once the account's timeout passes")
  void timeout(VertxTestContext ctx) {
    long[] started = new long[1];
    warmUp(impatient).compose(warm -> {
      sandbox.inject(Fault.timeout());
      started[0] = System.nanoTime();
      return impatient.send(messages(1, 2));
    }).onComplete(ctx.failing(err -> ctx.verify(() -> {
      assertThat(err).isInstanceOf(TimeoutException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - started[0])).isGreaterThanOrEqualTo(Duration.ofMillis(250));
      assertThat(sandbox.receivedCount()).isZero();
      // On a loaded machine the client's timeout can pass before the server has read the request.
      assertThat(sandbox.requestCount()).isLessThanOrEqualTo(1);
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A connection closed without an answer fails the call and accepts nothing")
  void reset(VertxTestContext ctx) {
    sandbox.inject(Fault.reset());
    account.send(messages(1, 2)).onComplete(ctx.failing(err -> ctx.verify(() -> {
      assertThat(err).isInstanceOf(HttpClosedException.class);
      assertThat(sandbox.receivedCount()).isZero();
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A slow sandbox accepts the messages after the delay")
  void slow(VertxTestContext ctx) {
    sandbox.inject(Fault.slow(Duration.ofMillis(150)));
    long started = System.nanoTime();
    account.send(messages(1, 2)).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results).allMatch(SendResult::isAccepted);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
      assertThat(sandbox.receivedCount()).isEqualTo(2);
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A sandbox slower than the client's timeout still accepts: the duplicate window of at-least-once")
  void slowerThanTimeout(Vertx vertx, VertxTestContext ctx) {
    warmUp(impatient).compose(warm -> {
      sandbox.inject(Fault.slow(Duration.ofMillis(500)));
      return impatient.send(messages(1, 1));
    }).onComplete(ctx.failing(err -> ctx.verify(() -> {
      assertThat(err).isInstanceOf(TimeoutException.class);
      vertx.timer(400).onComplete(ctx.succeeding(t -> ctx.verify(() -> {
        assertThat(sandbox.receivedCount()).isEqualTo(1);
        ctx.completeNow();
      })));
    })));
  }

  @Test
  @DisplayName("Closing the sandbox promptly ends the requests it was told never to answer")
  void closeEndsHungRequests(Vertx vertx, VertxTestContext ctx) {
    sandbox.inject(Fault.timeout());
    long started = System.nanoTime();
    Future<?> hung = account.send(messages(1, 1));
    vertx.timer(200)
      .compose(t -> {
        ctx.verify(() -> {
          assertThat(sandbox.requestCount()).as("the request is waiting at the sandbox").isEqualTo(1);
          assertThat(hung.isComplete()).isFalse();
        });
        return sandbox.close();
      })
      .compose(closed -> hung.transform(Future::succeededFuture))
      .onComplete(ctx.succeeding(ar -> ctx.verify(() -> {
        assertThat(ar.failed()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("well before the 10 s client timeout")
          .isLessThan(Duration.ofSeconds(3));
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A refused connection fails the call")
  void refused(Vertx vertx, VertxTestContext ctx) {
    sandbox.close().onComplete(ctx.succeeding(closed ->
      account.send(messages(1, 1)).onComplete(ctx.failing(err -> ctx.verify(() -> {
        // Refused, or reset when the connection raced the closing listener: either way no answer.
        assertThat(err).isInstanceOfAny(SocketException.class, HttpClosedException.class);
        ctx.completeNow();
      })))));
  }

  @Test
  @DisplayName("A fault with a share applies to about that share of requests")
  void share(VertxTestContext ctx) {
    sandbox.inject(Fault.status(503).share(0.5));
    List<Future<List<SendResult>>> sends = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      sends.add(account.send(messages(i, 1)));
    }
    Future.all(sends).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
      long failed = sends.stream().filter(f -> f.result().get(0).isTransient()).count();
      // Binomial(200, 0.5): 60..140 is more than five standard deviations either way.
      assertThat(failed).isBetween(60L, 140L);
      assertThat(sandbox.receivedCount()).isEqualTo(200 - (int) failed);
      assertThat(sandbox.requestCount()).isEqualTo(200);
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A fault with a period stops applying when the period ends")
  void period(Vertx vertx, VertxTestContext ctx) {
    sandbox.inject(Fault.status(500).forPeriod(Duration.ofMillis(200)));
    account.send(messages(1, 1))
      .compose(during -> vertx.timer(300).compose(t -> account.send(messages(2, 1)))
        .map(after -> List.of(during.get(0), after.get(0))))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isTransient()).isTrue();
        assertThat(results.get(1).isAccepted()).isTrue();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Of several faults the first that applies wins, and clearing removes them all")
  void severalFaults(VertxTestContext ctx) {
    sandbox.inject(Fault.throttle(Duration.ofSeconds(1)));
    sandbox.inject(Fault.status(503));
    account.send(messages(1, 1))
      .compose(first -> {
        sandbox.clearFaults();
        return account.send(messages(2, 1)).map(second -> List.of(first.get(0), second.get(0)));
      })
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isThrottled()).as("the first injected fault applies").isTrue();
        assertThat(results.get(1).isAccepted()).isTrue();
        ctx.completeNow();
      })));
  }
}
