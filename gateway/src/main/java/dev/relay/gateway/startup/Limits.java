package dev.relay.gateway.startup;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.throttle.LimitStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.net.URI;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where this process keeps its rate limits and frequency caps, found once at start-up: the configured
 * Redis (shared by every instance), waited for while it refuses connections or loads its data
 * ({@code redis.startup-wait-seconds}); or, when nothing answers at an address nobody insisted on
 * ({@code redis.in-process}), this process's memory, which holds for a single instance only.
 */
public final class Limits {

  private static final Logger LOG = LoggerFactory.getLogger(Limits.class);

  private final Redis redis;
  private final LimitStore store;

  private Limits(Redis redis, LimitStore store) {
    this.redis = redis;
    this.store = store;
  }

  /** Finds where the limits live; the Redis client it answers with is the gateway's. */
  public static Future<Limits> open(Vertx vertx, RelayConfig config, Clock clock) {
    return Mode.of(config, Setting.REDIS_IN_PROCESS).compose(mode -> open(vertx, config, clock, mode));
  }

  private static Future<Limits> open(Vertx vertx, RelayConfig config, Clock clock, Mode mode) {
    boolean cluster = config.bool(Setting.REDIS_CLUSTER);
    String where = cluster ? "the Redis Cluster of redis.uri" : address(config.string(Setting.REDIS_URI));
    if (mode == Mode.ALWAYS) {
      LOG.info("Redis: not used, limits and caps kept in process (redis.in-process=always)");
      return Future.succeededFuture(inProcess(clock));
    }
    Optional<String> insisted = mode == Mode.NEVER ? Optional.of("redis.in-process=never")
      : config.given(Setting.REDIS_IN_PROCESS) ? Optional.empty()
      : cluster ? Optional.of("redis.cluster is on")
      : config.given(Setting.REDIS_URI) ? Optional.of("redis.uri is given, so Redis is insisted on")
      : Optional.empty();
    Redis redis = Redis.createClient(vertx, options(config));
    long timeoutMs = config.integer(Setting.THROTTLE_REDIS_TIMEOUT_MS);
    LimitStore store = LimitStore.redis(redis, cluster, timeoutMs);
    Limits shared = new Limits(redis, store);
    int waitSeconds = config.integer(Setting.REDIS_STARTUP_WAIT_SECONDS);
    if (insisted.isPresent() && waitSeconds == 0) {
      LOG.info("Redis: at {} ({}; not checked at start-up, redis.startup-wait-seconds=0)", where, insisted.get());
      return Future.succeededFuture(shared);
    }
    return ping(redis, timeoutMs).compose(first -> {
      if (first.refused() && insisted.isEmpty()) {
        redis.close();
        LOG.info("Redis: not used, limits and caps kept in process (nothing answered at {} and redis.in-process=auto);"
          + " they hold for this instance only", where);
        return Future.succeededFuture(inProcess(clock));
      }
      Future<Void> ready = first.ready() ? Future.succeededFuture()
        : StartupWait.until(vertx, "Redis at " + where, Setting.REDIS_STARTUP_WAIT_SECONDS.key(), waitSeconds * 1000L,
          () -> ping(redis, timeoutMs).map(p -> p.ready() ? StartupWait.Answer.<Void>ready(null)
            : StartupWait.Answer.<Void>notYet(p.reason())));
      return ready
        .map(v -> {
          LOG.info("Redis: at {} ({})", where, insisted.orElse("it answered, redis.in-process=auto"));
          return shared;
        })
        .recover(err -> {
          if (err instanceof StartupRefused) {
            // Intake needs no Redis: serve, and defer sends until it answers (as when it goes away later).
            LOG.warn("Redis: at {} ({}), but {}; serving anyway: intake accepts, sends wait until Redis answers",
              where, insisted.orElse("redis.in-process=auto"), err.getMessage());
            return Future.succeededFuture(shared);
          }
          redis.close();
          return Future.failedFuture(err);
        });
    });
  }

  private static Limits inProcess(Clock clock) {
    return new Limits(null, LimitStore.inProcess(clock));
  }

  private record Ping(boolean ready, boolean refused, String reason) {
  }

  private static Future<Ping> ping(Redis redis, long timeoutMs) {
    return redis.send(Request.cmd(Command.PING)).timeout(Math.max(timeoutMs, 1000), TimeUnit.MILLISECONDS)
      .map(reply -> new Ping(true, false, "answers"))
      .recover(err -> {
        for (Throwable cause = err; cause != null; cause = cause.getCause()) {
          if (cause instanceof ConnectException) {
            return Future.succeededFuture(new Ping(false, true, "connection refused"));
          }
        }
        String message = String.valueOf(err.getMessage());
        if (message.startsWith("NOAUTH") || message.startsWith("WRONGPASS") || message.startsWith("ERR AUTH")) {
          return Future.failedFuture(new IllegalStateException("Redis refused the credentials of redis.uri: " + message));
        }
        // LOADING (a restarted Redis reading its data), a timeout, a node of a cluster not up yet.
        return Future.succeededFuture(new Ping(false, false, message));
      });
  }

  /**
   * One Redis at {@code redis.uri}, or with {@code redis.cluster} a Redis Cluster found from the nodes it
   * lists. A cluster connection takes a pooled connection to every node, so the pool must hold at least
   * as many as the cluster has nodes (64 here), and requests wait for one rather than fail.
   */
  public static RedisOptions options(RelayConfig config) {
    RedisOptions options = new RedisOptions().setMaxPoolSize(4).setMaxWaitingHandlers(1024);
    if (!config.bool(Setting.REDIS_CLUSTER)) {
      return options.setConnectionString(config.string(Setting.REDIS_URI));
    }
    options.setType(RedisClientType.CLUSTER).setMaxPoolSize(64).setMaxPoolWaiting(1024);
    for (String node : config.string(Setting.REDIS_URI).split(",")) {
      if (!node.isBlank()) {
        options.addConnectionString(node.strip());
      }
    }
    return options;
  }

  /** The host and port of a Redis URI, without its password: safe to log. */
  static String address(String uri) {
    try {
      URI parsed = URI.create(uri.strip());
      return parsed.getHost() + ":" + (parsed.getPort() < 0 ? 6379 : parsed.getPort());
    } catch (IllegalArgumentException e) {
      return "redis.uri";
    }
  }

  /** The Redis client, or null when the limits are kept in process. */
  public Redis redis() {
    return redis;
  }

  /** Where the throttle keeps its state. */
  public LimitStore store() {
    return store;
  }

  public Future<Void> close() {
    if (redis != null) {
      redis.close();
    }
    return Future.succeededFuture();
  }
}
