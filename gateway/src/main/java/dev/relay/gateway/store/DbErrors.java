package dev.relay.gateway.store;

import io.vertx.pgclient.PgException;

import java.util.Set;

/** Tells a database that cannot be reached from a statement that failed on its own merits. */
public final class DbErrors {

  /** SQLSTATEs of a server that is shutting down, starting, overloaded or gone mid-statement. */
  private static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03", "53300", "53400");

  private DbErrors() {
  }

  /**
   * Whether a failure means the database is unavailable (connection refused, reset, timed out,
   * server shutting down) rather than that a statement was wrong.
   */
  public static boolean isUnavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException) {
        String state = ((PgException) t).getSqlState();
        return state != null && (state.startsWith("08") || UNAVAILABLE_STATES.contains(state));
      }
      if (t instanceof java.net.ConnectException
        || t instanceof java.io.IOException
        || t instanceof java.util.concurrent.TimeoutException
        || t instanceof io.vertx.sqlclient.ClosedConnectionException
        || t instanceof io.netty.channel.ConnectTimeoutException
        || t instanceof io.vertx.core.http.ConnectionPoolTooBusyException) {
        return true;
      }
      if (t instanceof io.vertx.core.VertxException && t.getMessage() != null
        && t.getMessage().toLowerCase(java.util.Locale.ROOT).contains("timeout")) {
        return true;
      }
    }
    return false;
  }
}
