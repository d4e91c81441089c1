package dev.relay.gateway.throttle;

import dev.relay.adapters.testkit.push.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The in-process limits: the contract the Redis scripts meet, on the real clock, and on a clock the test
 * moves what takes hours or days in Redis: windows that pass, a throttled rate that climbs back, keys
 * that expire when idle.
 */
@DisplayName("Limits in process: the LimitStore contract, and what time does to them")
class InProcessLimitStoreTest extends LimitStoreContract {

  @Override
  LimitStore store() {
    return LimitStore.inProcess(Clock.systemUTC());
  }

  @Override
  String key(String name) {
    return "relay:test:" + name;
  }

  @Test
  @DisplayName("caps: a message counted more than the longest window ago no longer counts, and its retry counts anew")
  void windowsPass() {
    ManualClock clock = ManualClock.startingNow();
    LimitStore store = LimitStore.inProcess(clock);
    List<CapRule> rules = rules("2/1d");
    assertThat(one(store, rules, "m1").rule()).isZero();
    clock.advance(Duration.ofHours(12));
    assertThat(one(store, rules, "m2").rule()).isZero();
    LimitStore.CapVerdict full = one(store, rules, "m3");
    assertThat(full.rule()).isEqualTo(1);
    assertThat(full.waitMs()).as("until m1 is a day old").isEqualTo(Duration.ofHours(12).toMillis() + 1);
    clock.advance(Duration.ofHours(12).plusMillis(1));
    assertThat(one(store, rules, "m3").rule()).as("m1 left the window").isZero();
    assertThat(one(store, rules, "m4").rule()).isEqualTo(1);
    clock.advance(Duration.ofDays(2));
    assertThat(one(store, rules, "m1").rule()).as("m1's own entry is stale: it counts again").isZero();
    assertThat(one(store, rules, "m5").rule()).isZero();
    assertThat(one(store, rules, "m6").rule()).isEqualTo(1);
  }

  @Test
  @DisplayName("a throttled rate climbs back by the recovery each second until it is the configured rate again")
  void rateRecovers() {
    ManualClock clock = ManualClock.startingNow();
    LimitStore store = LimitStore.inProcess(clock);
    RateBuckets.Bucket bucket = new RateBuckets.Bucket("relay:test:rate:{a:x}", new Limit(100, 10), 10, 5);
    assertThat(await(store.slow(bucket, 0))).isEqualTo(50.0);
    clock.advance(Duration.ofSeconds(1));
    assertThat(await(store.slow(bucket, 0))).as("55/s halved a second later").isEqualTo(27.5);
    clock.advance(Duration.ofSeconds(1));
    assertThat(await(store.slow(bucket, 0))).as("32.5/s halved").isEqualTo(16.25);
    clock.advance(Duration.ofSeconds(1));
    assertThat(await(store.slow(bucket, 0))).as("21.25/s halved").isEqualTo(10.625);
    clock.advance(Duration.ofSeconds(1));
    assertThat(await(store.slow(bucket, 0))).as("15.625/s halved is under the floor").isEqualTo(10.0);
    clock.advance(Duration.ofSeconds(10));
    assertThat(await(store.reserve(List.of(bucket), 1)).effectiveRate()).isEqualTo(60.0);
    clock.advance(Duration.ofSeconds(60));
    assertThat(await(store.reserve(List.of(bucket), 1)).effectiveRate()).isEqualTo(100.0);
  }

  @Test
  @DisplayName("the rate frees one cell per interval, and a bucket idle for an hour starts afresh with its burst")
  void cellsAndIdleExpiry() {
    ManualClock clock = ManualClock.startingNow();
    LimitStore store = LimitStore.inProcess(clock);
    RateBuckets.Bucket bucket = RateBuckets.Bucket.fixed("relay:test:rate:{a:y}", new Limit(10, 5));
    assertThat(await(store.reserve(List.of(bucket), 20)).granted()).isEqualTo(5);
    RateBuckets.Grant none = await(store.reserve(List.of(bucket), 20));
    assertThat(none.granted()).isZero();
    assertThat(none.waitMs()).isEqualTo(100);
    clock.advance(Duration.ofMillis(350));
    assertThat(await(store.reserve(List.of(bucket), 20)).granted()).isEqualTo(3);
    clock.advance(Duration.ofSeconds(10));
    assertThat(await(store.reserve(List.of(bucket), 20)).granted()).as("a full burst, no more").isEqualTo(5);
    RateBuckets.Bucket adaptive = new RateBuckets.Bucket("relay:test:rate:{a:z}", new Limit(100, 10), 10, 0.0001);
    await(store.slow(adaptive, 0));
    clock.advance(Duration.ofMinutes(59));
    assertThat(await(store.reserve(List.of(adaptive), 1)).effectiveRate()).as("still cut").isLessThan(51.0);
    clock.advance(Duration.ofMinutes(61));
    assertThat(await(store.reserve(List.of(adaptive), 1)).effectiveRate()).as("an hour idle: forgotten")
      .isEqualTo(100.0);
  }
}
