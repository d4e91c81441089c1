package dev.relay.gateway.startup;

import dev.relay.gateway.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A PostgreSQL address that goes through what a real server does while it comes up: first nothing
 * listens (connection refused); then the postmaster answers every startup packet with the ErrorResponse
 * it sends while the database system is starting up (severity FATAL, SQLSTATE 57P03, as in PostgreSQL's
 * ProcessStartupPacket), declining SSL with 'N' first as a server without SSL does; then every connection
 * is forwarded to the real PostgreSQL of the tests.
 */
final class StartingPostgres implements AutoCloseable {

  private static final int SSL_REQUEST = 80877103;

  private final Vertx vertx;
  private final int port;
  private final AtomicInteger startingUpAnswers = new AtomicInteger();
  private volatile boolean forwarding;
  private NetServer server;

  private StartingPostgres(Vertx vertx, int port) {
    this.vertx = vertx;
    this.port = port;
  }

  /** An address where nothing listens yet. */
  static StartingPostgres refusing(Vertx vertx) throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return new StartingPostgres(vertx, socket.getLocalPort());
    }
  }

  int port() {
    return port;
  }

  /** How many connections were told the database system is starting up. */
  int startingUpAnswers() {
    return startingUpAnswers.get();
  }

  /** Starts listening, answering "the database system is starting up". */
  Future<Void> listenStartingUp() {
    server = vertx.createNetServer().connectHandler(this::connected);
    return server.listen(port, "127.0.0.1").mapEmpty();
  }

  /** From now on, connections reach the real PostgreSQL. */
  void forward() {
    forwarding = true;
  }

  private void connected(NetSocket socket) {
    if (forwarding) {
      socket.pause();
      vertx.createNetClient().connect(TestDatabase.PORT, TestDatabase.HOST).onSuccess(upstream -> {
        socket.pipeTo(upstream);
        upstream.pipeTo(socket);
        socket.resume();
      }).onFailure(err -> socket.close());
      return;
    }
    Buffer[] pending = {Buffer.buffer()};
    socket.handler(data -> {
      pending[0].appendBuffer(data);
      while (pending[0].length() >= 8) {
        int length = pending[0].getInt(0);
        if (pending[0].length() < length) {
          return;
        }
        int code = pending[0].getInt(4);
        pending[0] = pending[0].getBuffer(length, pending[0].length());
        if (code == SSL_REQUEST) {
          socket.write(Buffer.buffer("N"));
          continue;
        }
        startingUpAnswers.incrementAndGet();
        socket.end(errorResponse("FATAL", "57P03", "the database system is starting up"));
        return;
      }
    });
  }

  /** An ErrorResponse message: 'E', its length, then (field type, C string) pairs and a closing zero byte. */
  private static Buffer errorResponse(String severity, String code, String message) {
    Buffer fields = Buffer.buffer();
    field(fields, 'S', severity);
    field(fields, 'V', severity);
    field(fields, 'C', code);
    field(fields, 'M', message);
    fields.appendByte((byte) 0);
    return Buffer.buffer().appendByte((byte) 'E').appendInt(4 + fields.length()).appendBuffer(fields);
  }

  private static void field(Buffer fields, char type, String value) {
    fields.appendByte((byte) type).appendBytes(value.getBytes(StandardCharsets.UTF_8)).appendByte((byte) 0);
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
