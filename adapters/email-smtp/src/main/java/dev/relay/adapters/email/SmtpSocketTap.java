package dev.relay.adapters.email;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.VertxWrapper;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SSLOptions;
import io.vertx.core.net.SocketAddress;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The Vert.x that an account's mail client is given: the same Vert.x, except that each socket the client opens
 * to the SMTP server follows the session, and when the server ends it after a refusal ({@code 4xx} or
 * {@code 5xx}) without answering the commands the client sent meanwhile, those commands get that refusal as
 * their answer, before the client learns that the connection closed.
 *
 * <p>Why: RFC 5321 (3.8) lets a server answer any command with {@code 421} and close the channel, and servers
 * also close right after a {@code 5xx} at EHLO or AUTH. The mail client then does not fail with that reply:
 * it falls back from a refused {@code EHLO} to {@code HELO}, and from one AUTH mechanism to the next, and with a
 * pipelined envelope it waits for the replies to the remaining commands; the closed socket answers instead, and
 * the mail fails as "socket was closed unexpected", so the reply code that should decide (retry, slow down, or
 * give up) is lost. With the refusal replayed, the client fails the mail with an {@code SMTPException} carrying
 * the server's own reply, whatever the stage and whether the connection is new or pooled. The same holds when
 * the server, after a refusal, stays silent until the client's idle timeout closes the connection: its last word
 * was the refusal. A connection that ends after a success reply, or after {@code QUIT}, is passed on untouched:
 * that is a failure without a reply.
 */
final class SmtpSocketTap extends VertxWrapper {

  private SmtpSocketTap(VertxInternal vertx) {
    super(vertx);
  }

  /** The Vert.x to build a mail client on. */
  static Vertx wrap(Vertx vertx) {
    return new SmtpSocketTap((VertxInternal) vertx);
  }

  @Override
  public NetClient createNetClient(NetClientOptions options) {
    return new Client(super.createNetClient(options));
  }

  /** A client whose sockets are {@link Session}s. */
  private record Client(NetClient client) implements NetClient {

    @Override
    public Future<NetSocket> connect(int port, String host) {
      return client.connect(port, host).map(Session::new);
    }

    @Override
    public Future<NetSocket> connect(int port, String host, String serverName) {
      return client.connect(port, host, serverName).map(Session::new);
    }

    @Override
    public Future<NetSocket> connect(SocketAddress remoteAddress) {
      return client.connect(remoteAddress).map(Session::new);
    }

    @Override
    public Future<NetSocket> connect(SocketAddress remoteAddress, String serverName) {
      return client.connect(remoteAddress, serverName).map(Session::new);
    }

    @Override
    public Future<NetSocket> connect(ConnectOptions connectOptions) {
      return client.connect(connectOptions).map(Session::new);
    }

    @Override
    public Future<Void> close() {
      return client.close();
    }

    @Override
    public Future<Void> shutdown() {
      return client.shutdown();
    }

    @Override
    public Future<Void> shutdown(long timeout, TimeUnit unit) {
      return client.shutdown(timeout, unit);
    }

    @Override
    public Future<Boolean> updateSSLOptions(ClientSSLOptions options, boolean force) {
      return client.updateSSLOptions(options, force);
    }

    @Override
    public boolean isMetricsEnabled() {
      return client.isMetricsEnabled();
    }
  }

  /**
   * One SMTP session: the socket, with the count of replies the client still waits for and the last reply when
   * it was a refusal. Every line the client sends outside the message data is a command that gets one reply
   * (RFC 5321, 4.2); the data, from a {@code 354} to the line holding only {@code .}, gets one reply at its end.
   * All of it runs on the socket's event loop.
   */
  private static final class Session implements NetSocket {

    private static final String CRLF = "\r\n";
    /** How much of a reply is kept: RFC 5321 (4.5.3.1.5) allows 512 octets a line; a server may send more lines. */
    private static final int KEPT = 4096;
    private static final String END_OF_DATA = "\r\n.\r\n";

    private final NetSocket socket;
    private Handler<Buffer> handler;
    private Handler<Throwable> exceptionHandler;
    private Handler<Void> closeHandler;
    /** The replies the client waits for: the greeting, at first. */
    private int awaiting = 1;
    /** The lines of the reply being received, each ending with CRLF, as many as are kept. */
    private final StringBuilder reply = new StringBuilder();
    /** A line of the reply not yet complete in what arrived. */
    private final StringBuilder partial = new StringBuilder();
    /** The last complete reply, when it was a refusal; otherwise null. */
    private String refusal;
    /** Whether the client is sending the message data. */
    private boolean data;
    /** The last characters the client sent, so that the end of the data is seen across writes. */
    private String sent = CRLF;
    private boolean quit;

    Session(NetSocket socket) {
      this.socket = socket;
    }

    private void received(Buffer buffer) {
      follow(buffer.toString(StandardCharsets.UTF_8));
      if (handler != null) {
        handler.handle(buffer);
      }
    }

    /** Follows the server's replies in what arrived. */
    private void follow(String arrived) {
      int start = 0;
      for (int end = arrived.indexOf('\n'); end >= 0; end = arrived.indexOf('\n', start)) {
        keep(partial, arrived.substring(start, end));
        start = end + 1;
        String line = partial.toString().replaceFirst("\r$", "");
        partial.setLength(0);
        if (line.length() < 4 || line.charAt(3) != '-') {
          replied(reply.append(line).append(CRLF).toString());
          reply.setLength(0);
        } else if (reply.length() + line.length() < KEPT) {
          // Lines past the bound are left out whole, so that a replayed reply keeps its form.
          reply.append(line).append(CRLF);
        }
      }
      keep(partial, arrived.substring(start));
    }

    /** Appends as much of {@code text} as is kept. */
    private static void keep(StringBuilder kept, String text) {
      kept.append(text, 0, Math.min(text.length(), Math.max(0, KEPT - kept.length())));
    }

    private void replied(String whole) {
      awaiting = Math.max(0, awaiting - 1);
      char kind = whole.charAt(0);
      refusal = (kind == '4' || kind == '5') ? whole : null;
      if (whole.startsWith("354")) {
        data = true;
        sent = CRLF;
      }
    }

    /** Follows what the client sends: commands, or message data. */
    private void sending(String text) {
      if (data) {
        String tail = sent + text;
        sent = tail.substring(Math.max(0, tail.length() - END_OF_DATA.length()));
        if (sent.endsWith(END_OF_DATA)) {
          data = false;
          awaiting++;
        }
        return;
      }
      for (int end = text.indexOf(CRLF); end >= 0; end = text.indexOf(CRLF, end + CRLF.length())) {
        awaiting++;
      }
      String[] lines = text.split(CRLF);
      quit = lines.length > 0 && lines[lines.length - 1].trim().toUpperCase(Locale.ROOT).equals("QUIT");
    }

    /** The client's last characters of a buffer of message data, which may be large. */
    private void sending(Buffer buffer) {
      if (data && buffer.length() > END_OF_DATA.length()) {
        sending(buffer.getString(buffer.length() - END_OF_DATA.length(), buffer.length(), "UTF-8"));
      } else {
        sending(buffer.toString(StandardCharsets.UTF_8));
      }
    }

    /** Answers each command the server left unanswered with its last refusal; whether there were any. */
    private boolean replayRefusal() {
      if (refusal == null || awaiting == 0 || quit || handler == null) {
        return false;
      }
      int unanswered = awaiting;
      awaiting = 0;
      for (int i = 0; i < unanswered; i++) {
        handler.handle(Buffer.buffer(refusal));
      }
      return true;
    }

    private void closed(Void nothing) {
      replayRefusal();
      closeHandler.handle(null);
    }

    /**
     * A reset after a refusal is the server's closing seen from a command sent into it: the refusal answers,
     * and the client then learns of a close, as it would of an orderly one, not of the reset.
     */
    private void failed(Throwable failure) {
      if (replayRefusal()) {
        socket.close();
      } else {
        exceptionHandler.handle(failure);
      }
    }

    @Override
    public NetSocket handler(Handler<Buffer> handler) {
      // Set on the socket only now, as the client would have: what arrives before is the socket's to keep.
      this.handler = handler;
      socket.handler(handler == null ? null : this::received);
      return this;
    }

    @Override
    public NetSocket exceptionHandler(Handler<Throwable> handler) {
      this.exceptionHandler = handler;
      socket.exceptionHandler(handler == null ? null : this::failed);
      return this;
    }

    @Override
    public NetSocket closeHandler(Handler<Void> handler) {
      this.closeHandler = handler;
      socket.closeHandler(handler == null ? null : this::closed);
      return this;
    }

    @Override
    public Future<Void> write(Buffer buffer) {
      sending(buffer);
      return socket.write(buffer);
    }

    @Override
    public Future<Void> write(String text) {
      sending(text);
      return socket.write(text);
    }

    @Override
    public Future<Void> write(String text, String encoding) {
      sending(text);
      return socket.write(text, encoding);
    }

    @Override
    public NetSocket pause() {
      socket.pause();
      return this;
    }

    @Override
    public NetSocket resume() {
      socket.resume();
      return this;
    }

    @Override
    public NetSocket fetch(long amount) {
      socket.fetch(amount);
      return this;
    }

    @Override
    public NetSocket endHandler(Handler<Void> endHandler) {
      socket.endHandler(endHandler);
      return this;
    }

    @Override
    public NetSocket setWriteQueueMaxSize(int maxSize) {
      socket.setWriteQueueMaxSize(maxSize);
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return socket.writeQueueFull();
    }

    @Override
    public NetSocket drainHandler(Handler<Void> handler) {
      socket.drainHandler(handler);
      return this;
    }

    @Override
    public NetSocket shutdownHandler(Handler<Void> handler) {
      socket.shutdownHandler(handler);
      return this;
    }

    @Override
    public String writeHandlerID() {
      return socket.writeHandlerID();
    }

    @Override
    public Future<Void> sendFile(String filename, long offset, long length) {
      // The mail client writes command lines and message data, never a file: passed through, not tracked.
      return socket.sendFile(filename, offset, length);
    }

    @Override
    public SocketAddress remoteAddress() {
      return socket.remoteAddress();
    }

    @Override
    public SocketAddress remoteAddress(boolean real) {
      return socket.remoteAddress(real);
    }

    @Override
    public SocketAddress localAddress() {
      return socket.localAddress();
    }

    @Override
    public SocketAddress localAddress(boolean real) {
      return socket.localAddress(real);
    }

    @Override
    public Future<Void> end() {
      return socket.end();
    }

    @Override
    public Future<Void> close() {
      return socket.close();
    }

    @Override
    public Future<Void> upgradeToSsl() {
      return socket.upgradeToSsl();
    }

    @Override
    public Future<Void> upgradeToSsl(SSLOptions sslOptions, String serverName, Buffer upgrade) {
      return socket.upgradeToSsl(sslOptions, serverName, upgrade);
    }

    @Override
    public boolean isSsl() {
      return socket.isSsl();
    }

    @Override
    public SSLSession sslSession() {
      return socket.sslSession();
    }

    @Override
    public List<Certificate> peerCertificates() throws SSLPeerUnverifiedException {
      return socket.peerCertificates();
    }

    @Override
    public String indicatedServerName() {
      return socket.indicatedServerName();
    }

    @Override
    public String applicationLayerProtocol() {
      return socket.applicationLayerProtocol();
    }
  }
}
