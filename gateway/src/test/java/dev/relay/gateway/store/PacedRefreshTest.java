package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("A refresh paced by its own cost")
class PacedRefreshTest {

  private Vertx vertx;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  @DisplayName("waits the period after a quick read, fifty times a slow read's duration after a slow one, at most a minute")
  void delays() {
    assertThat(PacedRefresh.nextDelay(1000, 0)).isEqualTo(1000);
    assertThat(PacedRefresh.nextDelay(1000, 19)).isEqualTo(1000);
    assertThat(PacedRefresh.nextDelay(1000, 170)).isEqualTo(8500);
    assertThat(PacedRefresh.nextDelay(1000, 10_000)).isEqualTo(60_000);
    assertThat(PacedRefresh.nextDelay(120_000, 10_000)).isEqualTo(120_000);
  }

  @Test
  @DisplayName("reads every period while reads are quick, and stops when told")
  void quickReads() throws Exception {
    AtomicInteger reads = new AtomicInteger();
    PacedRefresh refresh = PacedRefresh.start(vertx, 50, () -> {
      reads.incrementAndGet();
      return Future.succeededFuture();
    });
    Thread.sleep(600);
    refresh.stop();
    int seen = reads.get();
    assertThat(seen).isBetween(6, 13);
    Thread.sleep(200);
    assertThat(reads.get()).isEqualTo(seen);
  }

  @Test
  @DisplayName("after a read that took 40 ms, waits about 2 s before the next, though its period is 50 ms")
  void slowReads() throws Exception {
    AtomicInteger reads = new AtomicInteger();
    PacedRefresh refresh = PacedRefresh.start(vertx, 50, () -> {
      reads.incrementAndGet();
      return vertx.timer(40).mapEmpty();
    });
    Thread.sleep(1000);
    assertThat(reads.get()).isEqualTo(1);
    refresh.stop();
  }

  @Test
  @DisplayName("retries a failed read after the period")
  void failedReads() throws Exception {
    AtomicInteger reads = new AtomicInteger();
    PacedRefresh refresh = PacedRefresh.start(vertx, 50, () -> {
      reads.incrementAndGet();
      return vertx.timer(40).compose(v -> Future.failedFuture("database unavailable"));
    });
    Thread.sleep(600);
    refresh.stop();
    assertThat(reads.get()).isBetween(4, 7);
  }
}
