package dev.relay.adapters.testkit.smtp;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The scripted server spoken to in raw SMTP over a loopback socket. */
@ExtendWith(VertxExtension.class)
class ScriptedSmtpServerTest {

  /** Sends {@code commands} in one write and answers the final line of each reply, until the server closes. */
  private static Future<List<String>> converse(Vertx vertx, ScriptedSmtpServer server, String commands) {
    return vertx.createNetClient().connect(server.port(), server.host()).compose(socket -> {
      Promise<List<String>> replies = Promise.promise();
      Buffer received = Buffer.buffer();
      socket.handler(received::appendBuffer);
      socket.closeHandler(closed -> {
        List<String> finals = new ArrayList<>();
        for (String line : received.toString(StandardCharsets.UTF_8).split("\r\n")) {
          if (line.length() >= 4 && line.charAt(3) == ' ') {
            finals.add(line);
          }
        }
        replies.complete(finals);
      });
      socket.write(commands);
      return replies.future();
    });
  }

  private static String plain(String user, String password) {
    return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("A session: AUTH is checked and required, and the message is kept dot-unstuffed with its envelope")
  void session(Vertx vertx, VertxTestContext ctx) {
    ScriptedSmtpServer.start(vertx, ScriptedSmtpServer.Options.plain().withAuth("u", "p"))
      .compose(server -> converse(vertx, server, "EHLO client.example\r\n"
        + "MAIL FROM:<a@b.example>\r\n"
        + "AUTH PLAIN " + plain("u", "wrong") + "\r\n"
        + "AUTH PLAIN " + plain("u", "p") + "\r\n"
        + "MAIL FROM:<a@b.example> SIZE=100\r\n"
        + "RCPT TO:<c@d.example>\r\n"
        + "DATA\r\n"
        + "Subject: hi\r\n\r\n..leading dot\r\nbody\r\n.\r\n"
        + "QUIT\r\n")
        .onComplete(ctx.succeeding(replies -> ctx.verify(() -> {
          assertThat(replies).extracting(r -> r.substring(0, 3))
            .containsExactly("220", "250", "530", "535", "235", "250", "250", "354", "250", "221");
          assertThat(server.messages()).singleElement().satisfies(m -> {
            assertThat(m.mailFrom()).isEqualTo("a@b.example");
            assertThat(m.recipients()).containsExactly("c@d.example");
            assertThat(m.data()).isEqualTo("Subject: hi\r\n\r\n.leading dot\r\nbody");
            assertThat(m.authenticatedAs()).isEqualTo("u");
            assertThat(m.tls()).isFalse();
          });
          assertThat(server.commands()).startsWith("EHLO client.example").contains("QUIT")
            .noneMatch(c -> c.contains("leading dot"));
          server.close().onComplete(ctx.succeedingThenComplete());
        }))));
  }

  @Test
  @DisplayName("A scripted reply replaces the normal one at its stage, in every session, until cleared")
  void scripted(Vertx vertx, VertxTestContext ctx) {
    String transaction = "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n";
    ScriptedSmtpServer.start(vertx, ScriptedSmtpServer.Options.plain()).compose(server -> {
      server.answer(ScriptedSmtpServer.Stage.RCPT, "550 5.1.1 No such user");
      return converse(vertx, server, transaction + "DATA\r\nQUIT\r\n").compose(refused -> {
        server.clearScript();
        return converse(vertx, server, transaction + "RSET\r\nQUIT\r\n").map(normal -> List.of(refused, normal));
      }).onComplete(ctx.succeeding(both -> ctx.verify(() -> {
        assertThat(both.get(0)).containsExactly("220 scripted.localhost ESMTP ready", "250 8BITMIME",
          "250 2.1.0 Sender OK", "550 5.1.1 No such user", "503 5.5.1 RCPT first", "221 2.0.0 Bye");
        assertThat(both.get(1).get(3)).isEqualTo("250 2.1.5 Recipient OK");
        assertThat(both.get(1).get(4)).isEqualTo("250 2.0.0 OK");
        assertThat(server.connectionCount()).isEqualTo(2);
        server.close().onComplete(ctx.succeedingThenComplete());
      })));
    });
  }

  @Test
  @DisplayName("answerAndClose answers at its stage and hangs up: a pipelined group's later commands are received,"
    + " recorded and left unanswered; PIPELINING is offered when started with it")
  void answerAndClose(Vertx vertx, VertxTestContext ctx) {
    ScriptedSmtpServer.start(vertx, ScriptedSmtpServer.Options.plain().withPipelining()).compose(server -> {
      server.answerAndClose(ScriptedSmtpServer.Stage.RCPT, "550 5.7.1 Rejected, goodbye");
      return converse(vertx, server, "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nQUIT\r\n")
        .onComplete(ctx.succeeding(replies -> ctx.verify(() -> {
          assertThat(replies).containsExactly("220 scripted.localhost ESMTP ready", "250 PIPELINING",
            "250 2.1.0 Sender OK", "550 5.7.1 Rejected, goodbye");
          assertThat(server.commands()).endsWith("RCPT TO:<c@d.example>", "DATA", "QUIT");
          server.close().onComplete(ctx.succeedingThenComplete());
        })));
    });
  }
}
