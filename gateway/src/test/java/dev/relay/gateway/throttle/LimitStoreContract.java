package dev.relay.gateway.throttle;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link LimitStore} answers, on the real clock: the Redis scripts and the in-process port of
 * them meet the same expectations. The rates are slow (one cell a second) so that the few milliseconds a
 * test takes do not change what it sees.
 */
abstract class LimitStoreContract {

  /** A store with no state yet, and keys no other test uses. */
  abstract LimitStore store();

  /** A key of this test run. */
  abstract String key(String name);

  static final long HOUR = 3_600_000L;
  static final long DAY = 24 * HOUR;

  static List<CapRule> rules(String text) {
    return CapRule.parseAll(text);
  }

  List<LimitStore.CapVerdict> count(LimitStore store, List<CapRule> rules, List<String> recipients,
                                    List<String> members) {
    List<LimitStore.CapEntry> entries = new ArrayList<>();
    for (int i = 0; i < recipients.size(); i++) {
      entries.add(new LimitStore.CapEntry(key("caps:{r:1:0}:" + recipients.get(i)), "{r:1:0}", members.get(i)));
    }
    return await(store.count(rules, entries));
  }

  LimitStore.CapVerdict one(LimitStore store, List<CapRule> rules, String member) {
    return count(store, rules, List.of("ayse"), List.of(member)).get(0);
  }

  @Test
  @DisplayName("a fresh bucket grants its burst at once, then nothing until the rate frees a cell, and says when")
  void burstThenRate() {
    LimitStore store = store();
    RateBuckets.Bucket bucket = RateBuckets.Bucket.fixed(key("rate:{a:slow}"), new Limit(1, 3));
    RateBuckets.Grant first = await(store.reserve(List.of(bucket), 5));
    assertThat(first.granted()).isEqualTo(3);
    assertThat(first.waitMs()).as("one interval until the next cell").isBetween(900L, 1000L);
    assertThat(first.binding()).isZero();
    assertThat(first.effectiveRate()).isEqualTo(1.0);
    RateBuckets.Grant second = await(store.reserve(List.of(bucket), 2));
    assertThat(second.granted()).isZero();
    assertThat(second.waitMs()).isBetween(800L, 1000L);
  }

  @Test
  @DisplayName("several buckets at once grant what the tightest allows, name it, and take from every one")
  void tightestBinds() {
    LimitStore store = store();
    RateBuckets.Bucket tenant = RateBuckets.Bucket.fixed(key("rate:{t:7}"), new Limit(10, 100));
    RateBuckets.Bucket campaign = RateBuckets.Bucket.fixed(key("rate:{t:7}:c:9"), new Limit(1, 2));
    RateBuckets.Grant both = await(store.reserve(List.of(tenant, campaign), 50));
    assertThat(both.granted()).isEqualTo(2);
    assertThat(both.binding()).isEqualTo(1);
    RateBuckets.Grant tenantAlone = await(store.reserve(List.of(tenant), 200));
    assertThat(tenantAlone.granted()).as("the tenant gave 2 of its 100").isBetween(98, 99);
  }

  @Test
  @DisplayName("a provider's throttling halves the effective rate once a second, never under the floor, and a "
    + "Retry-After holds the bucket")
  void slowDown() {
    LimitStore store = store();
    RateBuckets.Bucket bucket = new RateBuckets.Bucket(key("rate:{a:adaptive}"), new Limit(100, 10), 30, 5);
    assertThat(await(store.slow(bucket, 0))).isEqualTo(50.0);
    assertThat(await(store.slow(bucket, 0))).as("a second 429 in the same second is the same signal")
      .isBetween(50.0, 52.0);
    RateBuckets.Grant grant = await(store.reserve(List.of(bucket), 1));
    assertThat(grant.effectiveRate()).as("50/s, climbing 5/s each second, not halved again")
      .isBetween(50.0, 52.0);
    RateBuckets.Bucket held = new RateBuckets.Bucket(key("rate:{a:held}"), new Limit(100, 10), 30, 5);
    await(store.slow(held, 2_000));
    RateBuckets.Grant waiting = await(store.reserve(List.of(held), 5));
    assertThat(waiting.granted()).isZero();
    assertThat(waiting.waitMs()).isBetween(1_900L, 2_000L);
  }

  @Test
  @DisplayName("caps: under every rule a message is counted; at the smallest rule's limit the next is refused naming "
    + "that rule, with the wait until the oldest counted leaves its window")
  void capsAdmitThenRefuse() {
    LimitStore store = store();
    List<CapRule> rules = rules("5/1h,2/1d");
    assertThat(one(store, rules, "m1")).isEqualTo(new LimitStore.CapVerdict(0, 0));
    assertThat(one(store, rules, "m2")).isEqualTo(new LimitStore.CapVerdict(0, 0));
    LimitStore.CapVerdict refused = one(store, rules, "m3");
    assertThat(refused.rule()).as("the second rule, 2 a day").isEqualTo(2);
    assertThat(refused.waitMs()).isBetween(DAY - 5_000, DAY + 1);
    assertThat(one(store, rules, "m4").rule()).as("a refused message is not counted").isEqualTo(2);
  }

  @Test
  @DisplayName("caps: a message counted before is admitted again without counting twice; one taken off the count "
    + "makes room")
  void capsRetryCountsOnce() {
    LimitStore store = store();
    List<CapRule> rules = rules("2/1d");
    assertThat(one(store, rules, "m1").rule()).isZero();
    assertThat(one(store, rules, "m2").rule()).isZero();
    assertThat(one(store, rules, "m1").rule()).isZero();
    assertThat(one(store, rules, "m2").rule()).isZero();
    assertThat(one(store, rules, "m3").rule()).isEqualTo(1);
    await(store.uncount(key("caps:{r:1:0}:ayse"), "m2"));
    assertThat(one(store, rules, "m3").rule()).isZero();
  }

  @Test
  @DisplayName("caps: in one call each recipient is decided by its own count, and one named twice counts both in order")
  void capsManyInOneCall() {
    LimitStore store = store();
    List<LimitStore.CapVerdict> out = count(store, rules("1/1d"), List.of("ayse", "berk", "ayse"),
      List.of("a1", "b1", "a2"));
    assertThat(out.get(0).rule()).isZero();
    assertThat(out.get(1).rule()).isZero();
    assertThat(out.get(2).rule()).as("ayse's second message in the same call").isEqualTo(1);
    assertThat(out.get(2).waitMs()).isBetween(Duration.ofDays(1).toMillis() - 5_000, DAY + 1);
  }
}
