package dev.relay.gateway.sendtime;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.intake.SendTimeRequest;
import dev.relay.gateway.store.SendSchedule;
import dev.relay.gateway.store.SendTimeStore;
import dev.relay.gateway.throttle.QuietHours;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

/**
 * Send-time optimization at intake: for each recipient of a batch, the local hour its human opens and
 * clicks cluster at (recent ones weighted more; machine events never read), and from it the message's due
 * time inside the batch's window and outside quiet hours. A recipient with fewer than
 * {@code send-time.min-events} human events falls back to the batch's default hour, else the population's
 * best hour, else the window's start. The history of the whole batch is read in one statement (and the
 * population's in a second, only when needed), before the batch's insert transaction.
 */
public final class SendTimeOptimizer {

  /** The settings of send-time optimization. */
  public record Options(int minEvents, int halfLifeDays, int historyDays, int populationDays, int populationSample,
                        int spreadMinutes, Optional<QuietHours> quietHours) {

    /** Reads them; a setting out of range stops start-up with a message that names it. */
    public static Options from(RelayConfig config) {
      Options options = new Options(config.integer(Setting.SEND_TIME_MIN_EVENTS),
        config.integer(Setting.SEND_TIME_HALF_LIFE_DAYS), config.integer(Setting.SEND_TIME_HISTORY_DAYS),
        config.integer(Setting.SEND_TIME_POPULATION_DAYS), config.integer(Setting.SEND_TIME_POPULATION_SAMPLE),
        config.integer(Setting.SEND_TIME_SPREAD_MINUTES), parseQuietHours(config));
      positive(Setting.SEND_TIME_MIN_EVENTS, options.minEvents);
      positive(Setting.SEND_TIME_HALF_LIFE_DAYS, options.halfLifeDays);
      positive(Setting.SEND_TIME_HISTORY_DAYS, options.historyDays);
      positive(Setting.SEND_TIME_POPULATION_DAYS, options.populationDays);
      positive(Setting.SEND_TIME_POPULATION_SAMPLE, options.populationSample);
      if (options.spreadMinutes < 1 || options.spreadMinutes > 60) {
        throw new ConfigException(Setting.SEND_TIME_SPREAD_MINUTES.key() + " must be 1 to 60, not "
          + options.spreadMinutes);
      }
      return options;
    }

    private static Optional<QuietHours> parseQuietHours(RelayConfig config) {
      try {
        return QuietHours.parse(config.string(Setting.THROTTLE_QUIET_HOURS));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(e.getMessage());
      }
    }

    private static void positive(Setting setting, int value) {
      if (value < 1) {
        throw new ConfigException(setting.key() + " must be at least 1, not " + value);
      }
    }
  }

  private final SendTimeStore store;
  private final Options options;

  public SendTimeOptimizer(SendTimeStore store, Options options) {
    this.store = store;
    this.options = options;
  }

  /**
   * The due time of each of these recipients (validated batch recipients, in order) in the window of
   * {@code request.withinHours()} hours from {@code start}; messages expire {@code ttlSeconds} after theirs.
   */
  public Future<SendSchedule> plan(long tenantId, SendTimeRequest request, JsonArray recipients, Instant start,
                                   int ttlSeconds) {
    int count = recipients.size();
    String[] ids = new String[count];
    String[] zones = new String[count];
    for (int i = 0; i < count; i++) {
      JsonObject recipient = recipients.getJsonObject(i);
      ids[i] = recipient.getString("id");
      zones[i] = recipient.getString("time_zone");
    }
    return store.recipientHours(tenantId, ids, zones, options.halfLifeDays(), options.historyDays())
      .compose(histories -> fallbackHour(tenantId, request, ids, histories)
        .map(fallback -> schedule(request, ids, zones, histories, fallback, start, ttlSeconds)));
  }

  private boolean enough(SendTimeStore.History history) {
    return history != null && history.events() >= options.minEvents();
  }

  /** The hour of recipients without enough history: the batch's, else the population's (-1: none), read only when needed. */
  private Future<Integer> fallbackHour(long tenantId, SendTimeRequest request, String[] ids,
                                       Map<String, SendTimeStore.History> histories) {
    if (request.defaultHour() != null) {
      return Future.succeededFuture(request.defaultHour());
    }
    for (String id : ids) {
      if (!enough(histories.get(id))) {
        return store.populationHours(tenantId, options.populationDays(), options.populationSample())
          .map(ReadingHours::best);
      }
    }
    return Future.succeededFuture(-1);
  }

  private SendSchedule schedule(SendTimeRequest request, String[] ids, String[] zones,
                                Map<String, SendTimeStore.History> histories, int fallbackHour, Instant start,
                                int ttlSeconds) {
    SendWindow window = new SendWindow(start, start.plus(Duration.ofHours(request.withinHours())),
      options.quietHours(), options.spreadMinutes());
    OffsetDateTime[] due = new OffsetDateTime[ids.length];
    int optimized = 0;
    Instant latest = start;
    for (int i = 0; i < ids.length; i++) {
      ZoneId quietZone = QuietHours.zoneOf(zones[i]);
      SendTimeStore.History history = histories.get(ids[i]);
      int hour = -1;
      ZoneId zone = quietZone;
      if (enough(history)) {
        hour = ReadingHours.best(ReadingHours.histogram(history.hours(), history.weights()));
        zone = QuietHours.zoneOf(history.zone());
      }
      if (hour >= 0) {
        optimized++;
      } else {
        hour = fallbackHour;
      }
      Instant at = hour >= 0 ? window.due(ids[i], hour, zone, quietZone) : start;
      if (at.isAfter(latest)) {
        latest = at;
      }
      due[i] = OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
    }
    return new SendSchedule(due, request.withinHours(), optimized, ids.length - optimized,
      OffsetDateTime.ofInstant(latest.plusSeconds(ttlSeconds), ZoneOffset.UTC));
  }
}
