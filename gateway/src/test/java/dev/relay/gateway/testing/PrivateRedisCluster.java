package dev.relay.gateway.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Redis Cluster of the test's own: three masters, no replicas, redis-server processes on free
 * loopback ports, joined with {@code redis-cli --cluster create}. Nothing is kept on disk but the nodes'
 * cluster files under {@code target/}.
 */
public final class PrivateRedisCluster implements AutoCloseable {

  private final List<Process> nodes = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  private PrivateRedisCluster() {
  }

  /** Starts three nodes, creates the cluster and waits until every node says its state is ok. */
  public static PrivateRedisCluster start() throws IOException, InterruptedException {
    PrivateRedisCluster cluster = new PrivateRedisCluster();
    try {
      cluster.create();
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private void create() throws IOException, InterruptedException {
    String server = System.getProperty("relay.redis-server", "/usr/bin/redis-server");
    String cli = System.getProperty("relay.redis-cli", "/usr/bin/redis-cli");
    Path dir = Files.createDirectories(Path.of("target", "redis-cluster-" + System.nanoTime()).toAbsolutePath());
    for (int i = 0; i < 3; i++) {
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      ports.add(port);
      nodes.add(new ProcessBuilder(server, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf", "--save", "",
        "--appendonly", "no", "--dir", dir.toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("node-" + port + ".log").toFile())
        .start());
      awaitListening(port);
    }
    List<String> command = new ArrayList<>(List.of(cli, "--cluster", "create"));
    ports.forEach(p -> command.add("127.0.0.1:" + p));
    command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    Path log = dir.resolve("create.log");
    Process create = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!create.waitFor(30, TimeUnit.SECONDS) || create.exitValue() != 0) {
      create.destroyForcibly();
      throw new IllegalStateException("redis-cli --cluster create failed; see " + log);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (int port : ports) {
      while (!clusterStateOk(cli, port)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the cluster's state was not ok within 30 s; see " + dir);
        }
        Thread.sleep(100);
      }
    }
  }

  private static void awaitListening(int port) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        new Socket("127.0.0.1", port).close();
        return;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw notYet;
        }
        Thread.sleep(20);
      }
    }
  }

  private static boolean clusterStateOk(String cli, int port) throws IOException, InterruptedException {
    Process info = new ProcessBuilder(cli, "-h", "127.0.0.1", "-p", Integer.toString(port), "cluster", "info")
      .redirectErrorStream(true).start();
    String text = new String(info.getInputStream().readAllBytes());
    info.waitFor(10, TimeUnit.SECONDS);
    return text.contains("cluster_state:ok");
  }

  /** Every node's connection string, comma-separated, as {@code redis.uri} takes them with {@code redis.cluster}. */
  public String uris() {
    return ports.stream().map(p -> "redis://127.0.0.1:" + p).collect(Collectors.joining(","));
  }

  /** Every node's connection string. */
  public List<String> uriList() {
    return ports.stream().map(p -> "redis://127.0.0.1:" + p).toList();
  }

  @Override
  public void close() {
    for (Process node : nodes) {
      try {
        node.destroyForcibly().waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while stopping the Redis cluster", e);
      }
    }
    nodes.clear();
    ports.clear();
  }
}
