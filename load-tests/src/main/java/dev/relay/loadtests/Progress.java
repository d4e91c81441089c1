package dev.relay.loadtests;

import java.util.Locale;

/** Progress lines on standard error, each with the seconds since the run started: {@code [bench   12.3s] ...}. */
final class Progress {

  private final long startNanos = System.nanoTime();

  void say(String format, Object... args) {
    System.err.printf(Locale.ROOT, "[bench %6.1fs] %s%n", (System.nanoTime() - startNanos) / 1e9,
      String.format(Locale.ROOT, format, args));
  }
}
