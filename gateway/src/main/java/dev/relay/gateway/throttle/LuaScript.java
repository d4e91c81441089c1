package dev.relay.gateway.throttle;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisCluster;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Lua script of the class path run on Redis by its SHA-1 ({@code EVALSHA}), loaded again
 * ({@code SCRIPT LOAD}) when Redis does not know it (a restart, a fail-over), every call bounded by a
 * timeout so that an unreachable Redis fails fast. On a Redis Cluster every call runs on the node of
 * its keys' slot, the script is loaded on every master, and the calls of one {@link #runAll} share
 * one connection to the cluster instead of one batch, which the cluster client keeps to one slot.
 */
final class LuaScript {

  /** One call's keys and arguments. */
  record Call(List<String> keys, List<String> args) {
  }

  private final String source;
  private final String sha;
  private final Redis redis;
  private final boolean cluster;
  private final long timeoutMs;

  private LuaScript(String source, Redis redis, boolean cluster, long timeoutMs) {
    this.source = source;
    this.sha = sha1(source);
    this.redis = redis;
    this.cluster = cluster;
    this.timeoutMs = timeoutMs;
  }

  /** @param cluster whether {@code redis} is a Redis Cluster client */
  static LuaScript load(String resource, Redis redis, boolean cluster, long timeoutMs) {
    try (InputStream in = LuaScript.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the Lua script " + resource + " is not on the class path");
      }
      return new LuaScript(new String(in.readAllBytes(), StandardCharsets.UTF_8), redis, cluster, timeoutMs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs the script once. */
  Future<Response> run(Call call) {
    return redis.send(evalsha(call)).timeout(timeoutMs, TimeUnit.MILLISECONDS)
      .recover(err -> unknownScript(err)
        ? load().compose(v -> redis.send(evalsha(call)).timeout(timeoutMs, TimeUnit.MILLISECONDS))
        : Future.failedFuture(err));
  }

  /** Runs the script once per call, pipelined in one batch: one round trip for all of them. */
  Future<List<Response>> runAll(List<Call> calls) {
    if (calls.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Request> requests = new ArrayList<>(calls.size());
    calls.forEach(c -> requests.add(evalsha(c)));
    return batch(requests).timeout(timeoutMs, TimeUnit.MILLISECONDS)
      .recover(err -> unknownScript(err)
        ? load().compose(v -> batch(requests).timeout(timeoutMs, TimeUnit.MILLISECONDS))
        : Future.failedFuture(err));
  }

  /** The requests pipelined: in one batch on one Redis; on a cluster, each to its slot's node over one connection. */
  private Future<List<Response>> batch(List<Request> requests) {
    if (!cluster) {
      return redis.batch(requests);
    }
    return redis.connect().compose(connection -> {
      List<Future<Response>> answers = new ArrayList<>(requests.size());
      requests.forEach(r -> answers.add(connection.send(r)));
      return Future.join(answers)
        .map(all -> all.<Response>list())
        .andThen(done -> connection.close());
    });
  }

  private Future<Void> load() {
    Request load = Request.cmd(Command.SCRIPT).arg("LOAD").arg(source);
    Future<?> loaded = cluster ? RedisCluster.create(redis).onAllMasterNodes(load) : redis.send(load);
    return loaded.timeout(timeoutMs, TimeUnit.MILLISECONDS).mapEmpty();
  }

  private Request evalsha(Call call) {
    Request request = Request.cmd(Command.EVALSHA).arg(sha).arg(call.keys().size());
    call.keys().forEach(request::arg);
    call.args().forEach(request::arg);
    return request;
  }

  private static boolean unknownScript(Throwable err) {
    return err.getMessage() != null && err.getMessage().contains("NOSCRIPT");
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
