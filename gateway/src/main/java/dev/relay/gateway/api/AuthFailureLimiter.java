package dev.relay.gateway.api;

import io.vertx.core.http.HttpServerRequest;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Counts failed API-key checks per client address in fixed windows, so that a client guessing keys
 * is answered 429 without a check (and without a database lookup) once it passed the limit. Shared by
 * every API event loop of the process; bounded in memory: past {@link #MAX_ADDRESSES} addresses,
 * expired windows are dropped first and, if that is not enough, the oldest half of the table.
 */
public final class AuthFailureLimiter {

  static final int MAX_ADDRESSES = 100_000;

  private record Window(long startNanos, AtomicInteger failures) {
  }

  private final int limit;
  private final long windowNanos;
  private final ClientAddress clients;
  private final LongSupplier clock;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  /**
   * @param limit   failures per window and address; 0 turns the limiter off
   * @param clients how a request's client address is found (the direct peer, or behind trusted proxies the one they
   *                forwarded: otherwise every client behind a load balancer would share one window)
   */
  public AuthFailureLimiter(int limit, int windowSeconds, ClientAddress clients) {
    this(limit, windowSeconds, clients, System::nanoTime);
  }

  AuthFailureLimiter(int limit, int windowSeconds, ClientAddress clients, LongSupplier clock) {
    this.limit = limit;
    this.windowNanos = TimeUnit.SECONDS.toNanos(windowSeconds);
    this.clients = clients;
    this.clock = clock;
  }

  /** The address a request's failures are counted under. */
  public String address(HttpServerRequest request) {
    String address = clients.of(request);
    return address == null ? "unknown" : address;
  }

  /** The window's length in seconds (the Retry-After of a refused request). */
  public long windowSeconds() {
    return TimeUnit.NANOSECONDS.toSeconds(windowNanos);
  }

  /** Whether the address used up its failures in the current window. */
  public boolean refuses(String address) {
    if (limit <= 0) {
      return false;
    }
    Window window = windows.get(address);
    return window != null && clock.getAsLong() - window.startNanos() < windowNanos
      && window.failures().get() >= limit;
  }

  /** Counts a failed check of the address. */
  public void failed(String address) {
    if (limit <= 0) {
      return;
    }
    long now = clock.getAsLong();
    windows.compute(address, (a, window) -> {
      if (window == null || now - window.startNanos() >= windowNanos) {
        return new Window(now, new AtomicInteger(1));
      }
      window.failures().incrementAndGet();
      return window;
    });
    if (windows.size() > MAX_ADDRESSES) {
      trim(now);
    }
  }

  private void trim(long now) {
    windows.values().removeIf(window -> now - window.startNanos() >= windowNanos);
    if (windows.size() > MAX_ADDRESSES) {
      long[] starts = windows.values().stream().mapToLong(Window::startNanos).sorted().toArray();
      long median = starts[starts.length / 2];
      windows.values().removeIf(window -> window.startNanos() <= median);
    }
  }

  int tracked() {
    return windows.size();
  }
}
