package dev.relay.gateway.testing;

import dev.relay.gateway.store.Database;
import dev.relay.gateway.store.DispatchStore;
import io.vertx.sqlclient.Pool;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.relay.gateway.testing.TestGateway.await;

/**
 * Sends scripted without a provider: the messages are leased as a claim leaves them and then recorded 'sent' by the
 * dispatcher's own statement (dispatch-record), so that their row (state, sent_at, channel) and the campaign's
 * counters hold exactly what a real send leaves. A test that needs a send at a chosen time moves sent_at after.
 */
public final class ScriptedSends {

  private ScriptedSends() {
  }

  /**
   * Records the messages that {@code where} (a condition on messages) selects as sent on {@code channel};
   * how many it sent (each of them: fails otherwise).
   */
  public static int sent(TestGateway gateway, String channel, String where) {
    List<Long> ids = new ArrayList<>();
    List<Integer> attempts = new ArrayList<>();
    try (Connection c = gateway.database().connect(); Statement s = c.createStatement();
         ResultSet rows = s.executeQuery("WITH claimed AS (UPDATE messages SET state = 'sending',"
           + " attempt = attempt + 1, lease_until = now() + interval '1 minute', updated_at = now() WHERE " + where
           + " RETURNING id, attempt), dequeued AS (DELETE FROM message_queue q USING claimed c"
           + " WHERE q.message_id = c.id) SELECT id, attempt FROM claimed ORDER BY id")) {
      while (rows.next()) {
        ids.add(rows.getLong(1));
        attempts.add(rows.getInt(2));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(where, e);
    }
    int n = ids.size();
    String[] providerIds = new String[n];
    for (int i = 0; i < n; i++) {
      providerIds[i] = "scripted-" + ids.get(i);
    }
    Short[] channelIndexes = new Short[n];
    Arrays.fill(channelIndexes, (short) 0);
    Boolean[] refunds = new Boolean[n];
    Arrays.fill(refunds, false);
    Pool pool = Database.pool(gateway.vertx(), gateway.config());
    try {
      int applied = await(new DispatchStore(pool, "scripted").record(ids.toArray(Long[]::new),
        attempts.toArray(Integer[]::new), filled(n, "sent"), new Long[n], channelIndexes, filled(n, channel),
        filled(n, "scripted-" + channel), providerIds, new String[n], filled(n, "sent"), refunds, new String[n]));
      if (applied != n) {
        throw new IllegalStateException("recorded " + applied + " of " + n + " scripted sends (" + where + ")");
      }
      return n;
    } finally {
      await(pool.close());
    }
  }

  private static String[] filled(int n, String value) {
    String[] values = new String[n];
    Arrays.fill(values, value);
    return values;
  }
}
