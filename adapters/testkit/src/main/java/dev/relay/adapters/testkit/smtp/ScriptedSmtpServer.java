package dev.relay.adapters.testkit.smtp;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PfxOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.parsetools.RecordParser;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An SMTP server (RFC 5321) that can be told what to answer: at a chosen {@link Stage} of every
 * transaction it answers a scripted reply, such as {@code 550 5.1.1 No such user} after {@code RCPT TO},
 * or stays silent; a scripted {@code 421} is followed by closing the connection, as RFC 5321 (3.8) says a
 * server shutting down does. Otherwise it behaves like a small, strict mail server: {@code EHLO}/{@code HELO},
 * {@code STARTTLS} (when started with it, using GreenMail's built-in self-signed test certificate, so
 * clients must trust all), {@code AUTH PLAIN} (when started with credentials, which it checks, and then
 * requires before {@code MAIL}), {@code MAIL FROM}, {@code RCPT TO}, {@code DATA} with dot-unstuffing,
 * {@code RSET}, {@code NOOP} and {@code QUIT}. It advertises {@code ENHANCEDSTATUSCODES} and answers
 * with enhanced codes, and offers {@code PIPELINING} only when started with it (it always reads commands one
 * after the other, so a pipelined group is answered in order). Once it has decided to close a connection, it
 * answers nothing more on it.
 *
 * <p>It records every command line it received (credentials as sent) and every message it accepted,
 * with whether the session was under TLS and who had authenticated. It listens on the loopback
 * interface; all of its work happens on its event loop.
 */
public final class ScriptedSmtpServer {

  /** Where in a session a scripted reply replaces the normal one. */
  public enum Stage {
    /** The server's greeting on connect; a {@code 4xx}/{@code 5xx} greeting is followed by closing. */
    GREETING,
    /** The answer to {@code EHLO} or {@code HELO}. */
    EHLO,
    /** The answer to the credentials of {@code AUTH}. */
    AUTH,
    /** The answer to {@code MAIL FROM}. */
    MAIL,
    /** The answer to {@code RCPT TO}. */
    RCPT,
    /** The answer to {@code DATA}, instead of {@code 354}. */
    DATA,
    /** The answer after the message's final {@code .}; a scripted answer means the message is not kept. */
    END_OF_DATA
  }

  /**
   * How the server starts.
   *
   * @param username when not null, {@code AUTH PLAIN} is offered and required, and must give this user
   * @param password the password that goes with {@code username}
   * @param startTls whether {@code STARTTLS} is offered
   * @param pipelining whether {@code PIPELINING} is offered
   */
  public record Options(String username, String password, boolean startTls, boolean pipelining) {

    /** No TLS, no authentication, no pipelining. */
    public static Options plain() {
      return new Options(null, null, false, false);
    }

    /** These options, with {@code AUTH PLAIN} offered and required for {@code username} and {@code password}. */
    public Options withAuth(String username, String password) {
      return new Options(Objects.requireNonNull(username, "username"), Objects.requireNonNull(password, "password"),
        startTls, pipelining);
    }

    /** These options, with {@code STARTTLS} offered. */
    public Options withStartTls() {
      return new Options(username, password, true, pipelining);
    }

    /** These options, with {@code PIPELINING} (RFC 2920) offered. */
    public Options withPipelining() {
      return new Options(username, password, startTls, true);
    }

    @Override
    public String toString() {
      return "options (auth " + (username != null) + ", starttls " + startTls + ", pipelining " + pipelining + ")";
    }
  }

  /**
   * One message the server accepted.
   *
   * @param mailFrom        the reverse path of {@code MAIL FROM}
   * @param recipients      the forward paths of the accepted {@code RCPT TO}s
   * @param data            the message as sent after {@code DATA}, dot-unstuffed, lines joined by CRLF
   * @param tls             whether the session was under TLS
   * @param authenticatedAs the user that authenticated, or null
   */
  public record Received(String mailFrom, List<String> recipients, String data, boolean tls, String authenticatedAs) {
  }

  /** The password of GreenMail's test key store ({@code greenmail.p12} on its class path). */
  private static final String KEY_STORE = "greenmail.p12";
  private static final String KEY_STORE_PASSWORD = "changeit";
  private static final String LOOPBACK = "127.0.0.1";
  private static final int MAX_LINE = 1024 * 1024;

  private final Options options;
  private final ServerSSLOptions ssl;
  private final Map<Stage, Scripted> script = new EnumMap<>(Stage.class);
  private final List<String> commands = new ArrayList<>();
  private final List<Received> messages = new ArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private NetServer server;

  private ScriptedSmtpServer(Options options, ServerSSLOptions ssl) {
    this.options = options;
    this.ssl = ssl;
  }

  /** Starts a server on a free loopback port. */
  public static Future<ScriptedSmtpServer> start(Vertx vertx, Options options) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(options, "options");
    Future<ServerSSLOptions> ssl = options.startTls()
      ? vertx.fileSystem().readFile(KEY_STORE).map(store -> new ServerSSLOptions()
        .setKeyCertOptions(new PfxOptions().setValue(store).setPassword(KEY_STORE_PASSWORD)))
      : Future.succeededFuture();
    return ssl.compose(sslOptions -> {
      ScriptedSmtpServer smtp = new ScriptedSmtpServer(options, sslOptions);
      return vertx.createNetServer(new NetServerOptions().setHost(LOOPBACK).setPort(0))
        .connectHandler(socket -> smtp.new Session(socket).begin())
        .listen()
        .map(server -> {
          smtp.server = server;
          return smtp;
        });
    });
  }

  /** The address it listens on: {@code 127.0.0.1}. */
  public String host() {
    return LOOPBACK;
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  /**
   * From now on, answers {@code reply} at {@code stage}, in every session, until {@link #clearScript()}.
   *
   * @param reply a whole reply line: a three-digit code, a space and text, such as
   *              {@code 452 4.3.1 Insufficient system storage}
   */
  public synchronized void answer(Stage stage, String reply) {
    Objects.requireNonNull(stage, "stage");
    if (reply == null || !reply.matches("[2-5][0-9][0-9] .*")) {
      throw new IllegalArgumentException("a reply is a three-digit code, a space and text");
    }
    script.put(stage, new Scripted(reply, reply.startsWith("421")));
  }

  /**
   * From now on, answers {@code reply} at {@code stage} and then closes the connection, in every session, until
   * {@link #clearScript()}: a server that hangs up after a refusal without waiting for {@code QUIT}.
   *
   * @param reply a whole reply line, as for {@link #answer(Stage, String)}
   */
  public synchronized void answerAndClose(Stage stage, String reply) {
    answer(stage, reply);
    script.put(stage, new Scripted(reply, true));
  }

  /** From now on, answers nothing at {@code stage} (the client has to time out), until {@link #clearScript()}. */
  public synchronized void stall(Stage stage) {
    script.put(Objects.requireNonNull(stage, "stage"), new Scripted(null, false));
  }

  /** Back to normal answers at every stage. */
  public synchronized void clearScript() {
    script.clear();
  }

  /** Every command line received so far, in order, without its CRLF (message data excluded): a snapshot. */
  public synchronized List<String> commands() {
    return List.copyOf(commands);
  }

  /** Every message accepted so far, in order: a snapshot. */
  public synchronized List<Received> messages() {
    return List.copyOf(messages);
  }

  /** How many connections were opened to the server so far. */
  public int connectionCount() {
    return connections.get();
  }

  /** Stops listening and closes every connection. */
  public Future<Void> close() {
    return server.close();
  }

  @Override
  public String toString() {
    return "scripted SMTP server at " + LOOPBACK + ":" + port() + " with " + options;
  }

  /** What is scripted for a stage, or null when it answers normally. */
  private synchronized Scripted scripted(Stage stage) {
    return script.get(stage);
  }

  /** A scripted answer: {@code reply}, or silence when it is null; then closing the connection, or not. */
  private record Scripted(String reply, boolean close) {
  }

  private synchronized void record(String command) {
    commands.add(command);
  }

  private synchronized void record(Received message) {
    messages.add(message);
  }

  /** The state of one connection. */
  private final class Session {

    private final NetSocket socket;
    private boolean tls;
    private String authenticatedAs;
    private boolean awaitingPlainCredentials;
    private String mailFrom;
    private final List<String> recipients = new ArrayList<>();
    private StringBuilder data;
    private boolean closing;

    Session(NetSocket socket) {
      this.socket = socket;
    }

    void begin() {
      connections.incrementAndGet();
      RecordParser lines = RecordParser.newDelimited("\r\n", this::line).maxRecordSize(MAX_LINE);
      socket.handler(lines);
      // A client writing QUIT into a connection the server closed (after a 421) resets it: nothing to do.
      socket.exceptionHandler(failure -> socket.close());
      Scripted greeting = scripted(Stage.GREETING);
      if (greeting == null) {
        reply("220 scripted.localhost ESMTP ready");
      } else if (greeting.reply() != null) {
        closing = greeting.close() || greeting.reply().charAt(0) >= '4';
        reply(greeting.reply()).onComplete(written -> {
          if (closing) {
            socket.close();
          }
        });
      }
    }

    private void line(Buffer buffer) {
      String line = buffer.toString(StandardCharsets.UTF_8);
      if (closing) {
        // Received (a pipelined group arrives whole), recorded, and left unanswered.
        if (data == null) {
          record(line);
        }
        return;
      }
      if (data != null) {
        dataLine(line);
        return;
      }
      record(line);
      if (awaitingPlainCredentials) {
        awaitingPlainCredentials = false;
        credentials(line.trim());
        return;
      }
      String verb = (line.contains(" ") ? line.substring(0, line.indexOf(' ')) : line).toUpperCase(Locale.ROOT);
      String argument = line.contains(" ") ? line.substring(line.indexOf(' ') + 1).trim() : "";
      switch (verb) {
        case "EHLO" -> scriptedOr(Stage.EHLO, this::ehlo);
        case "HELO" -> scriptedOr(Stage.EHLO, () -> reply("250 scripted.localhost"));
        case "STARTTLS" -> startTls();
        case "AUTH" -> auth(argument);
        case "MAIL" -> mail(argument);
        case "RCPT" -> rcpt(argument);
        case "DATA" -> data();
        case "RSET" -> {
          resetTransaction();
          reply("250 2.0.0 OK");
        }
        case "NOOP" -> reply("250 2.0.0 OK");
        case "QUIT" -> reply("221 2.0.0 Bye").onComplete(done -> socket.close());
        default -> reply("500 5.5.2 Command not recognized");
      }
    }

    private void ehlo() {
      resetTransaction();
      List<String> extensions = new ArrayList<>(List.of("scripted.localhost", "ENHANCEDSTATUSCODES", "8BITMIME"));
      if (options.pipelining()) {
        extensions.add("PIPELINING");
      }
      if (options.startTls() && !tls) {
        extensions.add("STARTTLS");
      }
      if (options.username() != null) {
        extensions.add("AUTH PLAIN");
      }
      StringBuilder answer = new StringBuilder();
      for (int i = 0; i < extensions.size(); i++) {
        answer.append("250").append(i == extensions.size() - 1 ? ' ' : '-').append(extensions.get(i));
        if (i < extensions.size() - 1) {
          answer.append("\r\n");
        }
      }
      reply(answer.toString());
    }

    private void startTls() {
      if (!options.startTls() || tls) {
        reply("502 5.5.1 STARTTLS not offered");
        return;
      }
      // Vert.x writes the reply once the TLS handler is in place, so the client's handshake cannot
      // arrive before it.
      socket.upgradeToSsl(ssl, Buffer.buffer("220 2.0.0 Ready to start TLS\r\n")).onSuccess(done -> {
        tls = true;
        authenticatedAs = null;
        resetTransaction();
      }).onFailure(failed -> socket.close());
    }

    private void auth(String argument) {
      String[] parts = argument.split(" ", 2);
      if (options.username() == null || !"PLAIN".equalsIgnoreCase(parts[0])) {
        reply("504 5.5.4 Unrecognized authentication type");
      } else if (authenticatedAs != null) {
        reply("503 5.5.1 Already authenticated");
      } else if (parts.length == 2) {
        credentials(parts[1].trim());
      } else {
        awaitingPlainCredentials = true;
        reply("334 ");
      }
    }

    private void credentials(String encoded) {
      scriptedOr(Stage.AUTH, () -> {
        String[] fields;
        try {
          fields = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8).split("\0", -1);
        } catch (IllegalArgumentException e) {
          reply("501 5.5.2 Cannot decode credentials");
          return;
        }
        if (fields.length == 3 && fields[1].equals(options.username()) && fields[2].equals(options.password())) {
          authenticatedAs = fields[1];
          reply("235 2.7.0 Authentication successful");
        } else {
          reply("535 5.7.8 Authentication credentials invalid");
        }
      });
    }

    private void mail(String argument) {
      String path = path(argument, "FROM:");
      if (path == null) {
        reply("501 5.5.4 Syntax: MAIL FROM:<address>");
      } else if (options.username() != null && authenticatedAs == null) {
        reply("530 5.7.0 Authentication required");
      } else if (mailFrom != null) {
        reply("503 5.5.1 Sender already given");
      } else {
        scriptedOr(Stage.MAIL, () -> {
          mailFrom = path;
          reply("250 2.1.0 Sender OK");
        });
      }
    }

    private void rcpt(String argument) {
      String path = path(argument, "TO:");
      if (path == null) {
        reply("501 5.5.4 Syntax: RCPT TO:<address>");
      } else if (mailFrom == null) {
        reply("503 5.5.1 MAIL first");
      } else {
        scriptedOr(Stage.RCPT, () -> {
          recipients.add(path);
          reply("250 2.1.5 Recipient OK");
        });
      }
    }

    private void data() {
      if (recipients.isEmpty()) {
        reply("503 5.5.1 RCPT first");
        return;
      }
      scriptedOr(Stage.DATA, () -> {
        data = new StringBuilder();
        reply("354 Start mail input; end with <CRLF>.<CRLF>");
      });
    }

    private void dataLine(String line) {
      if (!line.equals(".")) {
        if (data.length() > 0) {
          data.append("\r\n");
        }
        data.append(line.startsWith("..") ? line.substring(1) : line);
        return;
      }
      String message = data.toString();
      data = null;
      scriptedOr(Stage.END_OF_DATA, () -> {
        record(new Received(mailFrom, List.copyOf(recipients), message, tls, authenticatedAs));
        reply("250 2.0.0 Message accepted");
      });
      resetTransaction();
    }

    private void resetTransaction() {
      mailFrom = null;
      recipients.clear();
      data = null;
    }

    /** Answers the scripted reply of {@code stage}, nothing when it stalls, or else runs {@code normal}. */
    private void scriptedOr(Stage stage, Runnable normal) {
      Scripted scripted = scripted(stage);
      if (scripted == null) {
        normal.run();
      } else if (scripted.reply() != null) {
        // RFC 5321, 3.8: a 421 says the server is closing the transmission channel, and it does.
        closing = scripted.close();
        reply(scripted.reply()).onComplete(written -> {
          if (closing) {
            socket.close();
          }
        });
      }
    }

    private Future<Void> reply(String reply) {
      return socket.write(reply + "\r\n");
    }
  }

  /** The address in {@code FROM:<a@b> ...} or {@code TO:<a@b>}, or null when the argument has another form. */
  static String path(String argument, String keyword) {
    if (!argument.regionMatches(true, 0, keyword, 0, keyword.length())) {
      return null;
    }
    String rest = argument.substring(keyword.length()).trim();
    int end = rest.indexOf('>');
    if (!rest.startsWith("<") || end < 0) {
      return null;
    }
    return rest.substring(1, end);
  }
}
