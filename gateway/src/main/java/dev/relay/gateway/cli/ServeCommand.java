package dev.relay.gateway.cli;

import dev.relay.gateway.RelayServer;
import dev.relay.gateway.config.RelayConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import picocli.CommandLine.Command;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code relay serve}: migrates the schema and serves until the process is told to stop. */
@Command(name = "serve", description = "Start the gateway (the default command).")
public final class ServeCommand implements Task {

  private static final long STOP_GRACE_SECONDS = 30;

  @Override
  public boolean runsGateway() {
    return true;
  }

  @Override
  public Future<Integer> run(Vertx vertx, RelayConfig config) {
    Promise<Integer> stopped = Promise.promise();
    return RelayServer.start(vertx, config).compose(server -> {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        CountDownLatch done = new CountDownLatch(1);
        server.stop().onComplete(ar -> {
          stopped.tryComplete(0);
          done.countDown();
        });
        try {
          done.await(STOP_GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "relay-shutdown"));
      return stopped.future();
    });
  }
}
