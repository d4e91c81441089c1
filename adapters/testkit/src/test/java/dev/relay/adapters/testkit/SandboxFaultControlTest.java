package dev.relay.adapters.testkit;

import dev.relay.adapters.spi.ProviderAccount;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static dev.relay.adapters.testkit.SandboxServerTest.call;
import static dev.relay.adapters.testkit.TestMessages.emailAccount;
import static dev.relay.adapters.testkit.TestMessages.messages;
import static org.assertj.core.api.Assertions.assertThat;

/** The fault controls over HTTP, for tests that drive a sandbox in another process. */
@ExtendWith(VertxExtension.class)
class SandboxFaultControlTest {

  private SandboxServer sandbox;
  private HttpClientAgent http;
  private ProviderAccount account;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    http = vertx.createHttpClient();
    SandboxServer.start(vertx, "127.0.0.1", 0).onComplete(ctx.succeeding(s -> {
      sandbox = s;
      account = emailAccount(vertx, s);
      ctx.completeNow();
    }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    sandbox.close().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("POST /_sandbox/faults injects a fault, GET lists it and DELETE clears it")
  void injectListClear(VertxTestContext ctx) {
    String faults = sandbox.url() + "/_sandbox/faults";
    call(http, HttpMethod.POST, faults, "{\"kind\":\"throttle\",\"retry_after_seconds\":2,\"share\":1.0}")
      .compose(created -> {
        ctx.verify(() -> assertThat(created.status()).isEqualTo(201));
        return account.send(messages(1, 1));
      })
      .compose(throttled -> {
        ctx.verify(() -> {
          assertThat(throttled.get(0).isThrottled()).isTrue();
          assertThat(throttled.get(0).retryAfter()).contains(Duration.ofSeconds(2));
        });
        return call(http, HttpMethod.GET, faults, null);
      })
      .compose(listed -> {
        ctx.verify(() -> assertThat(listed.json().getJsonArray("active").getJsonObject(0).getString("kind"))
          .isEqualTo("throttle"));
        return call(http, HttpMethod.DELETE, faults, null);
      })
      .compose(deleted -> {
        ctx.verify(() -> assertThat(deleted.status()).isEqualTo(204));
        return account.send(messages(2, 1));
      })
      .onComplete(ctx.succeeding(after -> ctx.verify(() -> {
        assertThat(after.get(0).isAccepted()).isTrue();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A fault injected over HTTP with a period and a status acts like one injected in process")
  void statusWithPeriod(Vertx vertx, VertxTestContext ctx) {
    call(http, HttpMethod.POST, sandbox.url() + "/_sandbox/faults", "{\"kind\":\"status\",\"status\":503,\"seconds\":1}")
      .compose(created -> account.send(messages(1, 1)))
      .compose(during -> vertx.timer(1100).compose(t -> account.send(messages(2, 1)))
        .map(after -> new boolean[] {during.get(0).isTransient(), after.get(0).isAccepted()}))
      .onComplete(ctx.succeeding(seen -> ctx.verify(() -> {
        assertThat(seen).containsExactly(true, true);
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A bad fault is answered 400 naming the problem, and nothing is injected")
  void badFault(VertxTestContext ctx) {
    call(http, HttpMethod.POST, sandbox.url() + "/_sandbox/faults", "{\"kind\":\"status\"}")
      .compose(bad -> {
        ctx.verify(() -> {
          assertThat(bad.status()).isEqualTo(400);
          assertThat(bad.json().getString("error")).contains("'status'");
        });
        return call(http, HttpMethod.POST, sandbox.url() + "/_sandbox/faults", "not json");
      })
      .onComplete(ctx.succeeding(notJson -> ctx.verify(() -> {
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(sandbox.receivedCount()).isZero();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("POST /_sandbox/reset forgets receipts, counters and faults")
  void resetOverHttp(VertxTestContext ctx) {
    account.send(messages(1, 2))
      .compose(sent -> {
        sandbox.inject(Fault.status(500));
        return call(http, HttpMethod.POST, sandbox.url() + "/_sandbox/reset", null);
      })
      .compose(reply -> {
        ctx.verify(() -> {
          assertThat(reply.status()).isEqualTo(204);
          assertThat(sandbox.receivedCount()).isZero();
          assertThat(sandbox.uniqueCount()).isZero();
          assertThat(sandbox.requestCount()).isZero();
        });
        return call(http, HttpMethod.GET, sandbox.url() + "/_sandbox/faults", null);
      })
      .onComplete(ctx.succeeding(listed -> ctx.verify(() -> {
        assertThat(listed.json().getJsonArray("active")).isEmpty();
        ctx.completeNow();
      })));
  }
}
