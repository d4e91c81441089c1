package dev.relay.adapters.fcm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The device tokens of one account that FCM called invalid, so that a repeat send to one fails at once
 * instead of costing a request. Bounded: past {@value #CAPACITY} tokens the longest-known is forgotten (a
 * send to it then asks FCM again, which is merely slower). Thread-safe.
 */
final class InvalidTokens {

  static final int CAPACITY = 100_000;

  private final Map<String, String> reasons = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > CAPACITY;
    }
  };

  /** Remembers that {@code token} is invalid, for {@code reason}. */
  synchronized void add(String token, String reason) {
    reasons.put(token, reason);
  }

  /** Why {@code token} is known to be invalid, or null when it is not. */
  synchronized String reason(String token) {
    return reasons.get(token);
  }
}
