package dev.relay.gateway.dispatch;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The handoff's bound")
class HandoffTest {

  private Vertx vertx;
  private Handoff handoff;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    handoff = new Handoff(100, 1000, 60);
    handoff.open(vertx.getOrCreateContext(), (messages, deadline) -> { });
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private int reserveAll(int batch) {
    int taken = 0;
    while (handoff.tryReserve(batch, false)) {
      taken += batch;
    }
    return taken;
  }

  /** Ten seconds of sending 150 a second while holding messages, which it then finishes: the bound learnt. */
  private int learnPaceOf150() {
    assertThat(handoff.tryReserve(10, false)).isTrue();
    for (int i = 0; i < 10; i++) {
      handoff.paced(150);
    }
    handoff.done(10);
    int bound = handoff.handoffBound();
    assertThat(bound).isBetween(740, 750);
    return bound;
  }

  @Test
  @DisplayName("starts at dispatch.max-pending: a batch may cross it, the next one waits")
  void startsAtMaxPending() {
    assertThat(handoff.handoffBound()).isEqualTo(100);
    assertThat(reserveAll(60)).isEqualTo(120);
    assertThat(handoff.room()).isEqualTo(-20);
  }

  @Test
  @DisplayName("a transactional batch is handed over past the pace's bound, up to dispatch.handoff-max-pending")
  void transactionalPastThePace() {
    assertThat(reserveAll(60)).isEqualTo(120);
    assertThat(handoff.tryReserve(1, false)).isFalse();
    assertThat(handoff.tryReserve(1, true)).isTrue();
    int taken = 1;
    while (handoff.tryReserve(100, true)) {
      taken += 100;
    }
    assertThat(120 + taken).as("held once transactional handoffs stop").isBetween(1000, 1099);
  }

  @Test
  @DisplayName("follows the pace of sends, about five seconds of it, capped by dispatch.handoff-max-pending")
  void followsThePace() {
    assertThat(handoff.tryReserve(10, false)).isTrue();
    // The second in which these arrived began with the dispatcher holding nothing: it teaches nothing.
    handoff.paced(100);
    assertThat(handoff.handoffBound()).isEqualTo(100);
    handoff.paced(100);
    handoff.done(10);
    assertThat(handoff.handoffBound()).isEqualTo(250);
    assertThat(reserveAll(50)).isEqualTo(250);
    for (int i = 0; i < 10; i++) {
      handoff.paced(10_000);
    }
    handoff.done(250);
    assertThat(handoff.handoffBound()).isEqualTo(1000);
    assertThat(reserveAll(100)).isEqualTo(1000);
    // Claims still stop at dispatch.max-pending.
    assertThat(handoff.room()).isLessThanOrEqualTo(0);
  }

  @Test
  @DisplayName("falls back to dispatch.max-pending when sends stop while it holds messages (a slow or throttled provider)")
  void fallsBackWhenSendsStop() {
    assertThat(handoff.tryReserve(50, false)).isTrue();
    for (int i = 0; i < 10; i++) {
      handoff.paced(10_000);
    }
    assertThat(handoff.handoffBound()).isEqualTo(1000);
    for (int i = 0; i < 20; i++) {
      handoff.paced(0);
    }
    assertThat(handoff.handoffBound()).isEqualTo(100);
    handoff.paced(10);
    assertThat(handoff.handoffBound()).isEqualTo(100);
  }

  @Test
  @DisplayName("keeps its pace through idle seconds, so that the next campaign is handed over at it")
  void keepsThePaceWhileIdle() {
    int bound = learnPaceOf150();
    for (int i = 0; i < 30; i++) {
      handoff.paced(0);
    }
    assertThat(handoff.handoffBound()).isEqualTo(bound);
    assertThat(reserveAll(50)).isBetween(bound, bound + 49);
  }

  @Test
  @DisplayName("learns nothing from a second in which it held nothing at some moment: a burst's first second")
  void ignoresSecondsThatWereNotBusyThroughout() {
    int bound = learnPaceOf150();
    handoff.paced(0);
    // A burst arrives after an idle second; its first second sends little while it is stored.
    int burst = reserveAll(50);
    assertThat(burst).isBetween(bound, bound + 49);
    handoff.paced(5);
    assertThat(handoff.handoffBound()).isEqualTo(bound);
    // It runs out during a second, and the next batch arrives before the second ends.
    handoff.done(burst);
    assertThat(handoff.tryReserve(50, false)).isTrue();
    handoff.paced(5);
    assertThat(handoff.handoffBound()).isEqualTo(bound);
    // Held all through a second: the pace it sent at counts.
    handoff.paced(5);
    assertThat(handoff.handoffBound()).isLessThan(bound * 6 / 10);
  }

  @Test
  @DisplayName("takes nothing once closed")
  void closed() {
    handoff.close();
    assertThat(handoff.tryReserve(1, false)).isFalse();
  }
}
