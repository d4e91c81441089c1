package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.HashMap;
import java.util.Map;

/** The engagement history send-time optimization reads: human opens and clicks per local hour. */
public final class SendTimeStore {

  private final Pool pool;
  /** The zones PostgreSQL knows, read once; Java knows zones it may not (and reads offsets another way). */
  private Future<String[]> zoneNames;

  public SendTimeStore(Pool pool) {
    this.pool = pool;
  }

  private synchronized Future<String[]> zoneNames() {
    if (zoneNames == null) {
      zoneNames = pool.query(Queries.sql("time-zone-names")).execute()
        .map(rows -> rows.iterator().next().getArrayOfStrings("names"));
      zoneNames.onFailure(e -> forgetZoneNames());
    }
    return zoneNames;
  }

  private synchronized void forgetZoneNames() {
    zoneNames = null;
  }

  /**
   * A recipient's human opens and clicks per local hour of {@code zone}.
   *
   * @param events  how many there are
   * @param hours   the local hours that have any (0 to 23)
   * @param weights each of those hours' recency-weighted sum
   */
  public record History(String zone, int events, int[] hours, double[] weights) {
  }

  /**
   * The history of each of these recipients of a tenant that has any, by recipient id, read in the zone
   * given at the same index (null: the zone of the recipient's newest message that has one, else UTC).
   */
  public Future<Map<String, History>> recipientHours(long tenantId, String[] recipientIds, String[] zones,
                                                     int halfLifeDays, int historyDays) {
    return zoneNames().compose(known -> pool.preparedQuery(Queries.sql("send-time-recipient-hours"))
      .execute(Tuple.of(tenantId, recipientIds, zones, halfLifeDays, historyDays, known)))
      .map(rows -> {
        Map<String, History> histories = new HashMap<>(rows.size() * 2);
        for (Row row : rows) {
          Integer[] hours = row.getArrayOfIntegers("hours");
          Double[] weights = row.getArrayOfDoubles("weights");
          int[] h = new int[hours.length];
          double[] w = new double[weights.length];
          for (int i = 0; i < h.length; i++) {
            h[i] = hours[i];
            w[i] = weights[i];
          }
          histories.put(row.getString("recipient_id"),
            new History(row.getString("zone"), row.getInteger("events"), h, w));
        }
        return histories;
      });
  }

  /**
   * The tenant's human opens and clicks of the last {@code days} days (at most {@code sample} of them) per
   * local hour of their message's zone: 24 counts.
   */
  public Future<double[]> populationHours(long tenantId, int days, int sample) {
    return zoneNames().compose(known -> pool.preparedQuery(Queries.sql("send-time-population-hours"))
      .execute(Tuple.of(tenantId, days, sample, known)))
      .map(rows -> {
        double[] histogram = new double[24];
        for (Row row : rows) {
          histogram[row.getInteger("hour")] += row.getDouble("weight");
        }
        return histogram;
      });
  }
}
