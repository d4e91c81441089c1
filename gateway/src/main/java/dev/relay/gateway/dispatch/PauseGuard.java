package dev.relay.gateway.dispatch;

import java.util.HashMap;
import java.util.Map;

/**
 * Watches each campaign's recent outcomes in this process and says when its permanent failures pass
 * the threshold, so that a campaign with a bad list pauses itself instead of burning it. Touched only
 * from the dispatcher's event loop.
 */
final class PauseGuard {

  private final int window;
  private final int failurePercent;
  private final Map<Long, Ring> rings = new HashMap<>();

  PauseGuard(int window, int failurePercent) {
    this.window = Math.max(1, window);
    this.failurePercent = failurePercent;
  }

  /** Records an outcome; true when this one takes the campaign over the threshold. */
  boolean record(long campaignId, boolean permanentFailure) {
    Ring ring = rings.computeIfAbsent(campaignId, id -> new Ring(window));
    ring.add(permanentFailure);
    if (ring.size < window || ring.failures * 100L <= (long) failurePercent * window) {
      return false;
    }
    rings.remove(campaignId);
    return true;
  }


  private static final class Ring {
    private final boolean[] slots;
    private int next;
    private int size;
    private int failures;

    Ring(int capacity) {
      slots = new boolean[capacity];
    }

    void add(boolean failure) {
      if (size == slots.length && slots[next]) {
        failures--;
      }
      slots[next] = failure;
      if (failure) {
        failures++;
      }
      next = (next + 1) % slots.length;
      size = Math.min(size + 1, slots.length);
    }
  }
}
