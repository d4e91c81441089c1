package dev.relay.gateway.dispatch;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.Adapter;
import dev.relay.adapters.spi.Channel;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Secrets;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.throttle.Limit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The provider accounts this process sends through, opened once at start-up, grouped by channel in
 * failover order (the order of the config file).
 */
public final class Accounts {

  /** One opened account and its own limits: calls in flight, and its rate limit (null: none). */
  public record Entry(String name, Channel channel, ProviderAccount account, int maxInFlight, Limit limit) {
  }

  private final Map<String, Entry> byName;
  private final Map<Channel, List<Entry>> byChannel;

  private Accounts(Map<String, Entry> byName) {
    this.byName = byName;
    this.byChannel = new EnumMap<>(Channel.class);
    byName.values().forEach(e -> byChannel.computeIfAbsent(e.channel(), c -> new ArrayList<>()).add(e));
  }

  /**
   * Opens every account of the {@code accounts:} list, or the given defaults when the list is empty.
   * An account that names an unknown adapter, or a duplicate account name, stops start-up with a
   * message that names it. Blocking: call off the event loop.
   */
  public static Accounts open(Vertx vertx, RelayConfig config, Map<String, Adapter> adapters, JsonArray defaults) {
    JsonArray configured = config.accounts();
    JsonArray list = configured.isEmpty() ? defaults : configured;
    Map<String, Entry> byName = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      Object item = list.getValue(i);
      if (!(item instanceof JsonObject)) {
        throw new ConfigException("accounts[" + i + "] must be an object with name, adapter and settings");
      }
      JsonObject account = (JsonObject) item;
      String name = account.getString("name");
      String adapterName = account.getString("adapter");
      if (name == null || adapterName == null) {
        throw new ConfigException("accounts[" + i + "] needs a name and an adapter");
      }
      if (!seen.add(name)) {
        throw new ConfigException("account name '" + name + "' is used twice");
      }
      Adapter adapter = adapters.get(adapterName);
      if (adapter == null) {
        throw new ConfigException("account '" + name + "' names adapter '" + adapterName
          + "', which is not on the class path (known adapters: " + String.join(", ", adapters.keySet()) + ")");
      }
      int maxInFlight = account.getInteger("max-in-flight", config.integer(Setting.DISPATCH_MAX_IN_FLIGHT));
      Limit limit = limit(name, account);
      JsonObject settings = Secrets.resolve(name, account.getJsonObject("settings", new JsonObject()), System.getenv());
      ProviderAccount opened = adapter.open(vertx, new AccountSettings(name, adapterName, settings));
      byName.put(name, new Entry(name, adapter.channel(), opened, Math.max(1, maxInFlight), limit));
    }
    return new Accounts(byName);
  }

  /** The account's {@code rate} (messages per second) and {@code burst} (default: one second's worth), if it has one. */
  private static Limit limit(String name, JsonObject account) {
    Object rate = account.getValue("rate");
    Object burst = account.getValue("burst");
    if (rate == null) {
      if (burst != null) {
        throw new ConfigException("account '" + name + "' has a burst but no rate");
      }
      return null;
    }
    if (!(rate instanceof Number) || !(((Number) rate).doubleValue() > 0)) {
      throw new ConfigException("account '" + name + "': rate must be a positive number of messages per second, not "
        + rate);
    }
    if (burst != null && (!(burst instanceof Integer) || (Integer) burst < 1)) {
      throw new ConfigException("account '" + name + "': burst must be a whole number of messages, at least 1, not "
        + burst);
    }
    double perSecond = ((Number) rate).doubleValue();
    return burst == null ? Limit.of(perSecond) : new Limit(perSecond, (Integer) burst);
  }

  /** The accounts of a channel in failover order; empty when the channel has none. */
  public List<Entry> forChannel(Channel channel) {
    return byChannel.getOrDefault(channel, List.of());
  }

  /** Every account. */
  public List<Entry> all() {
    return List.copyOf(byName.values());
  }

  /** Closes every account. */
  public Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    byName.values().forEach(e -> closing.add(e.account().close()));
    return Future.join(closing).mapEmpty();
  }
}
