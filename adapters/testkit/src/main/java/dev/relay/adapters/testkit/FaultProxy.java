package dev.relay.adapters.testkit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback that forwards to one target and misbehaves on demand, for drills between
 * the gateway and a provider: added latency per chunk, a hang (connections accepted, bytes swallowed,
 * nothing answered), resets (a connection is closed with a TCP RST as soon as the client sends, before
 * anything reaches the target, so the target never sees a request it cannot answer), and a bandwidth
 * limit in each direction. The mode applies to every chunk from the moment it is set; {@link #heal()}
 * returns to plain forwarding.
 */
public final class FaultProxy {

  /** How the proxy treats traffic now. */
  public sealed interface Mode permits Pass, Latency, Hang, Reset, Slow {
  }

  /** Plain forwarding. */
  public record Pass() implements Mode {
  }

  /** Every chunk, both ways, is held for {@code millis} before it is forwarded. */
  public record Latency(long millis) implements Mode {
  }

  /** Connections are accepted and read, nothing is forwarded or answered. */
  public record Hang() implements Mode {
  }

  /** A connection that sends anything is reset at once (RST), before its bytes reach the target. */
  public record Reset() implements Mode {
  }

  /** Each direction forwards at most {@code bytesPerSecond}. */
  public record Slow(int bytesPerSecond) implements Mode {
  }

  private final Vertx vertx;
  private final String targetHost;
  private final int targetPort;
  private final NetClient client;
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private volatile Mode mode = new Pass();
  private NetServer server;

  private FaultProxy(Vertx vertx, String targetHost, int targetPort) {
    this.vertx = vertx;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5000));
  }

  /** Starts a proxy on 127.0.0.1 (a free port) in front of {@code targetHost:targetPort}. */
  public static Future<FaultProxy> start(Vertx vertx, String targetHost, int targetPort) {
    FaultProxy proxy = new FaultProxy(Objects.requireNonNull(vertx), Objects.requireNonNull(targetHost), targetPort);
    // SO_LINGER 0: closing a socket sends RST instead of FIN, for the reset mode.
    proxy.server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0).setSoLinger(0))
      .connectHandler(proxy::accept);
    return proxy.server.listen().map(s -> proxy);
  }

  /** The port clients connect to. */
  public int port() {
    return server.actualPort();
  }

  /** Changes the behaviour for all traffic from now on. */
  public void set(Mode newMode) {
    mode = Objects.requireNonNull(newMode);
    if (newMode instanceof Reset) {
      open.forEach(socket -> {
        resets.incrementAndGet();
        socket.close();
      });
    }
  }

  /** Plain forwarding again. */
  public void heal() {
    set(new Pass());
  }

  public Mode mode() {
    return mode;
  }

  /** Connections accepted so far. */
  public long connections() {
    return connections.get();
  }

  /** Connections reset so far. */
  public long resets() {
    return resets.get();
  }

  public Future<Void> close() {
    return server.close().compose(v -> client.close());
  }

  private void accept(NetSocket downstream) {
    connections.incrementAndGet();
    open.add(downstream);
    downstream.closeHandler(v -> open.remove(downstream));
    if (mode instanceof Reset) {
      resets.incrementAndGet();
      downstream.close();
      return;
    }
    downstream.pause();
    client.connect(targetPort, targetHost).onComplete(ar -> {
      if (ar.failed()) {
        downstream.close();
        return;
      }
      NetSocket upstream = ar.result();
      pipe(downstream, upstream, true);
      pipe(upstream, downstream, false);
      downstream.closeHandler(v -> {
        open.remove(downstream);
        upstream.close();
      });
      upstream.closeHandler(v -> downstream.close());
      downstream.resume();
    });
  }

  /** Forwards {@code from} to {@code to} chunk by chunk, in order, as the mode of each chunk's arrival says. */
  private void pipe(NetSocket from, NetSocket to, boolean fromClient) {
    from.handler(chunk -> {
      Mode now = mode;
      if (now instanceof Hang) {
        return;
      }
      if (now instanceof Reset) {
        resets.incrementAndGet();
        (fromClient ? from : to).close();
        return;
      }
      long delay = 0;
      if (now instanceof Latency latency) {
        delay = latency.millis();
      } else if (now instanceof Slow slow) {
        delay = Math.max(1, chunk.length() * 1000L / Math.max(1, slow.bytesPerSecond()));
      }
      if (delay == 0) {
        to.write(chunk);
        return;
      }
      // Held in order: pause the source while this chunk waits, then forward and resume.
      from.pause();
      Buffer held = chunk;
      vertx.setTimer(delay, id -> {
        if (!(mode instanceof Hang)) {
          to.write(held);
        }
        from.resume();
      });
    });
  }
}
