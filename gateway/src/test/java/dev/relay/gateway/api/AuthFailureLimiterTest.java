package dev.relay.gateway.api;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The failed-key limiter")
class AuthFailureLimiterTest {

  private final AtomicLong now = new AtomicLong();

  @Test
  @DisplayName("refuses an address after the limit within the window, and forgets it when the window ends")
  void windowPerAddress() {
    AuthFailureLimiter limiter = new AuthFailureLimiter(3, 60, ClientAddress.direct(), now::get);
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.refuses("10.0.0.1")).isFalse();
      limiter.failed("10.0.0.1");
    }
    assertThat(limiter.refuses("10.0.0.1")).isTrue();
    assertThat(limiter.refuses("10.0.0.2")).isFalse();
    now.addAndGet(TimeUnit.SECONDS.toNanos(60));
    assertThat(limiter.refuses("10.0.0.1")).isFalse();
    limiter.failed("10.0.0.1");
    assertThat(limiter.refuses("10.0.0.1")).isFalse();
  }

  @Test
  @DisplayName("a limit of 0 never refuses and tracks nothing")
  void off() {
    AuthFailureLimiter limiter = new AuthFailureLimiter(0, 60, ClientAddress.direct(), now::get);
    for (int i = 0; i < 100; i++) {
      limiter.failed("10.0.0.1");
    }
    assertThat(limiter.refuses("10.0.0.1")).isFalse();
    assertThat(limiter.tracked()).isZero();
  }

  @Test
  @DisplayName("the table stays bounded under a flood of distinct addresses")
  void bounded() {
    AuthFailureLimiter limiter = new AuthFailureLimiter(3, 60, ClientAddress.direct(), now::get);
    for (int i = 0; i < AuthFailureLimiter.MAX_ADDRESSES + 5_000; i++) {
      now.incrementAndGet();
      limiter.failed("addr-" + i);
    }
    assertThat(limiter.tracked()).isLessThanOrEqualTo(AuthFailureLimiter.MAX_ADDRESSES);
  }
}
