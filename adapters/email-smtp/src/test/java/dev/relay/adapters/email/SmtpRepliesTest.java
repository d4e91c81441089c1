package dev.relay.adapters.email;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.testkit.smtp.ScriptedSmtpServer;
import dev.relay.adapters.testkit.smtp.ScriptedSmtpServer.Stage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static dev.relay.adapters.email.EmailSmtpDeliveryTest.content;
import static dev.relay.adapters.email.EmailSmtpDeliveryTest.message;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * How each class of SMTP reply maps to a result, and the STARTTLS upgrade, against a scripted SMTP server
 * over real sockets on loopback.
 */
@ExtendWith(VertxExtension.class)
class SmtpRepliesTest {

  static final String USER = "relay";
  static final String PASSWORD = "pa55-w0rd";

  private ScriptedSmtpServer server;
  private final List<ProviderAccount> accounts = new ArrayList<>();

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    ScriptedSmtpServer.start(vertx, ScriptedSmtpServer.Options.plain().withAuth(USER, PASSWORD).withStartTls())
      .onComplete(ctx.succeeding(started -> {
        server = started;
        ctx.completeNow();
      }));
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    Future.all(accounts.stream().map(ProviderAccount::close).toList())
      .eventually(() -> server.close())
      .onComplete(ctx.succeedingThenComplete());
  }

  private ProviderAccount open(Vertx vertx, JsonObject overrides) {
    JsonObject settings = new JsonObject()
      .put("host", server.host())
      .put("port", server.port())
      .put("from", "news@relay.example")
      .put("username", USER)
      .put("password", PASSWORD)
      .put("starttls", "required")
      .put("trust-all", true)
      .put("timeout-ms", 3000)
      .mergeIn(overrides);
    ProviderAccount account = new EmailSmtpAdapter().open(vertx, new AccountSettings("scripted", "email-smtp",
      settings));
    accounts.add(account);
    return account;
  }

  private static List<OutboundMessage> one() {
    return List.of(message(42, 1, "ada@customer.example", content()));
  }

  @Test
  @DisplayName("With STARTTLS required, the session is upgraded before AUTH PLAIN gives the account's credentials")
  void startTls(Vertx vertx, VertxTestContext ctx) {
    open(vertx, new JsonObject()).send(one()).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results.get(0).isAccepted()).as("%s", results.get(0)).isTrue();
      assertThat(server.messages()).singleElement().satisfies(received -> {
        assertThat(received.tls()).isTrue();
        assertThat(received.authenticatedAs()).isEqualTo(USER);
        assertThat(received.mailFrom()).isEqualTo("news@relay.example");
        assertThat(received.recipients()).containsExactly("ada@customer.example");
        assertThat(received.data()).contains("Message-ID: <relay-42@relay.example>")
          .contains("X-Relay-Message-Id: 42");
      });
      List<String> commands = server.commands();
      int startTls = commands.indexOf("STARTTLS");
      int auth = indexOfPrefix(commands, "AUTH PLAIN");
      assertThat(startTls).isNotNegative();
      assertThat(auth).isGreaterThan(startTls);
      String credentials = commands.get(auth).substring("AUTH PLAIN".length()).trim();
      if (credentials.isEmpty()) {
        credentials = commands.get(auth + 1);
      }
      assertThat(new String(Base64.getDecoder().decode(credentials), StandardCharsets.UTF_8))
        .isEqualTo("\0" + USER + "\0" + PASSWORD);
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("With STARTTLS required and a server that does not offer it, nothing is sent and no credentials cross")
  void startTlsMissing(Vertx vertx, VertxTestContext ctx) {
    ScriptedSmtpServer.start(vertx, ScriptedSmtpServer.Options.plain().withAuth(USER, PASSWORD))
      .compose(plain -> open(vertx, new JsonObject().put("port", plain.port())).send(one())
        .eventually(() -> plain.close())
        .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
          assertThat(results.get(0).isTransient()).as("%s", results.get(0)).isTrue();
          assertThat(plain.messages()).isEmpty();
          assertThat(plain.commands()).noneMatch(command -> command.startsWith("AUTH"));
          ctx.completeNow();
        }))));
  }

  @ParameterizedTest(name = "{1} at {0} is {2}")
  @CsvSource(delimiter = '|', textBlock = """
    GREETING     | 421 4.3.2 Service not available, closing channel | throttled
    GREETING     | 554 5.3.2 No SMTP service here                   | permanent
    EHLO         | 550 5.7.1 Client host rejected                   | permanent
    MAIL         | 421 4.7.0 Too many connections, try later        | throttled
    RCPT         | 451 4.3.0 Temporary local problem                | throttled
    MAIL         | 454 4.7.0 Temporary authentication failure       | throttled
    RCPT         | 450 4.7.1 Client host blocked for now            | throttled
    RCPT         | 450 4.2.0 Sending rate exceeded for this domain  | throttled
    RCPT         | 450 4.2.1 Mailbox busy                           | retryable
    DATA         | 452 4.3.1 Insufficient system storage            | retryable
    END_OF_DATA  | 452 4.2.2 Mailbox full                           | retryable
    RCPT         | 550 5.1.1 No such user here                      | permanent
    END_OF_DATA  | 552 5.3.4 Message size exceeds fixed limit       | permanent
    END_OF_DATA  | 554 5.7.1 Message rejected as spam               | permanent
    MAIL         | 553 5.1.8 Sender address rejected                | permanent
    AUTH         | 535 5.7.8 Authentication credentials invalid     | permanent
    """)
  @DisplayName("Each class of SMTP reply maps to its result, with the reply as the reason")
  void replies(Stage stage, String reply, String expected, Vertx vertx, VertxTestContext ctx) {
    server.answer(stage, reply);
    open(vertx, new JsonObject()).send(one()).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      SendResult result = results.get(0);
      assertThat(result.reason()).isEqualTo("SMTP " + reply);
      switch (expected) {
        case "throttled" -> assertThat(result.isThrottled()).as("%s", result).isTrue();
        case "retryable" -> {
          assertThat(result.isTransient()).as("%s", result).isTrue();
          assertThat(result.isThrottled()).as("%s", result).isFalse();
        }
        default -> assertThat(result.isPermanent()).as("%s", result).isTrue();
      }
      assertThat(result.isTransient()).isEqualTo(!expected.equals("permanent"));
      assertThat(server.messages()).isEmpty();
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A 421 to EHLO, after which the server closes, is recorded with its code and throttles the account")
  void ehlo421(Vertx vertx, VertxTestContext ctx) {
    // The mail client answers any EHLO refusal with HELO (RFC 5321, 3.2), here into the closed connection:
    // the 421 must still be what the message is failed with, not the closing.
    server.answer(Stage.EHLO, "421 4.7.0 Too busy, closing transmission channel");
    open(vertx, new JsonObject()).send(one()).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      SendResult result = results.get(0);
      assertThat(result.reason()).isEqualTo("SMTP 421 4.7.0 Too busy, closing transmission channel");
      assertThat(result.isThrottled()).as("%s", result).isTrue();
      assertThat(result.isTransient()).as("%s", result).isTrue();
      assertThat(server.messages()).isEmpty();
      ctx.completeNow();
    })));
  }

  /** How the server is scripted at a stage: its reply only, its reply and then closing, or silence. */
  enum Then { REPLY, CLOSE, STALL }

  private static void script(ScriptedSmtpServer server, Stage stage, Then then, String reply) {
    switch (then) {
      case REPLY -> server.answer(stage, reply);
      case CLOSE -> server.answerAndClose(stage, reply);
      case STALL -> server.stall(stage);
    }
  }

  private static void assertOutcome(SendResult result, String reason, String expected) {
    assertThat(result.reason()).as("%s", result).isEqualTo(reason);
    assertThat(result.isTransient()).as("%s", result).isEqualTo(!expected.equals("permanent"));
    assertThat(result.isPermanent()).as("%s", result).isEqualTo(expected.equals("permanent"));
    assertThat(result.isThrottled()).as("%s", result).isEqualTo(expected.equals("throttled"));
  }

  @ParameterizedTest(name = "{2} at {0}, then {1}: {3}")
  @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
    GREETING     | REPLY | 421 4.3.2 Service not available, closing transmission channel | throttled
    GREETING     | CLOSE | 554 5.3.2 No SMTP service here                                 | permanent
    GREETING     | REPLY | 554 5.7.1 Connection refused by policy                        | permanent
    GREETING     | STALL | -                                                             | retryable
    EHLO         | REPLY | 421 4.3.2 System shutting down, closing transmission channel  | throttled
    EHLO         | CLOSE | 421 4.7.0 Too many connections from your host                 | throttled
    EHLO         | CLOSE | 451 4.3.0 Local error in processing                           | throttled
    EHLO         | CLOSE | 452 4.3.1 Insufficient system storage                         | retryable
    EHLO         | CLOSE | 550 5.7.1 Client host rejected: access denied                 | permanent
    EHLO         | CLOSE | 554 5.7.1 Your IP is on a block list                          | permanent
    EHLO         | REPLY | 550 5.7.1 Client host rejected: access denied                 | permanent
    EHLO         | REPLY | 502 5.5.1 Command not implemented                             | permanent
    EHLO         | REPLY | 504 5.5.2 Command parameter not implemented                   | permanent
    EHLO         | STALL | -                                                             | retryable
    AUTH         | CLOSE | 454 4.7.0 Temporary authentication failure                    | throttled
    AUTH         | CLOSE | 535 5.7.8 Authentication credentials invalid                  | permanent
    MAIL         | CLOSE | 550 5.7.1 Sender rejected, goodbye                            | permanent
    RCPT         | CLOSE | 550 5.1.1 No such user here                                   | permanent
    RCPT         | CLOSE | 452 4.2.2 Mailbox full                                        | retryable
    DATA         | CLOSE | 554 5.5.1 No valid recipients                                 | permanent
    END_OF_DATA  | CLOSE | 554 5.7.1 Message rejected as spam                            | permanent
    END_OF_DATA  | CLOSE | 451 4.3.0 Error in processing, closing                        | throttled
    """)
  @DisplayName("From the greeting to the end of the data on a new connection, whether the server then closes or"
    + " not, its reply is the reason with its code and decides the result; silence is a failure without reply")
  void sessionStages(Stage stage, Then then, String reply, String expected, Vertx vertx, VertxTestContext ctx) {
    script(server, stage, then, reply);
    // Silence is waited out for timeout-ms (RFC 5321, 4.5.3.2 gives minutes; an account says how long it waits).
    JsonObject overrides = then == Then.STALL ? new JsonObject().put("timeout-ms", 300) : new JsonObject();
    open(vertx, overrides).send(one()).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      SendResult result = results.get(0);
      if (then == Then.STALL) {
        assertThat(result.reason()).as("%s", result).startsWith("no answer from the SMTP server");
        assertThat(result.isTransient()).as("%s", result).isTrue();
        assertThat(result.isThrottled()).as("%s", result).isFalse();
      } else {
        assertOutcome(result, "SMTP " + reply, expected);
      }
      assertThat(server.messages()).isEmpty();
      ctx.completeNow();
    })));
  }

  @ParameterizedTest(name = "{2} at {0}, then {1}, to a pipelined envelope: {3}")
  @CsvSource(delimiter = '|', textBlock = """
    MAIL  | REPLY | 421 4.7.0 mx.example closing transmission channel | throttled
    MAIL  | CLOSE | 550 5.7.1 Sender rejected, goodbye                | permanent
    RCPT  | REPLY | 421 4.7.0 mx.example closing transmission channel | throttled
    RCPT  | CLOSE | 550 5.1.1 No such user here                       | permanent
    RCPT  | REPLY | 450 4.2.1 Mailbox busy                            | retryable
    DATA  | CLOSE | 451 4.3.0 Error in processing, closing            | throttled
    """)
  @DisplayName("With PIPELINING, a refusal in the envelope is the reason with its code, also when the server closes"
    + " before answering the rest of the group")
  void pipelined(Stage stage, Then then, String reply, String expected, Vertx vertx, VertxTestContext ctx) {
    ScriptedSmtpServer.start(vertx, ScriptedSmtpServer.Options.plain().withAuth(USER, PASSWORD).withPipelining())
      .compose(pipelining -> {
        script(pipelining, stage, then, reply);
        return open(vertx, new JsonObject().put("port", pipelining.port()).put("starttls", "disabled")).send(one())
          .eventually(() -> pipelining.close())
          .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
            assertOutcome(results.get(0), "SMTP " + reply, expected);
            // The envelope went as one group: the server had DATA before answering MAIL.
            assertThat(pipelining.commands()).contains("DATA");
            assertThat(pipelining.messages()).isEmpty();
            ctx.completeNow();
          })));
      });
  }

  @ParameterizedTest(name = "{2} at {0}, then {1}, on a pooled connection is {3}")
  @CsvSource(delimiter = '|', textBlock = """
    MAIL         | REPLY | 421 4.7.0 mx.example closing transmission channel | throttled
    RCPT         | REPLY | 421 4.7.0 mx.example closing transmission channel | throttled
    DATA         | REPLY | 421 4.3.2 System shutting down, closing channel   | throttled
    END_OF_DATA  | REPLY | 421 4.7.0 Try again later, closing channel        | throttled
    MAIL         | REPLY | 452 4.3.1 Insufficient system storage             | retryable
    RCPT         | REPLY | 550 5.1.1 No such user here                       | permanent
    MAIL         | CLOSE | 553 5.7.1 Sender rejected, goodbye                | permanent
    RCPT         | CLOSE | 450 4.2.1 Mailbox busy                            | retryable
    DATA         | CLOSE | 554 5.5.1 No valid recipients                     | permanent
    END_OF_DATA  | CLOSE | 552 5.3.4 Message size exceeds fixed limit        | permanent
    END_OF_DATA  | CLOSE | 451 4.3.0 Error in processing, closing            | throttled
    """)
  @DisplayName("A reply on the second use of a pooled connection, from another event loop, is recorded with its code,"
    + " also when the server closes the connection right after it")
  void pooledConnection(Stage stage, Then then, String reply, String expected, Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = open(vertx, new JsonObject().put("max-connections", 1));
    // The dispatcher's lanes run on several event loops, so a pooled connection serves more than one.
    Context first = ((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext();
    Context second = ((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext();
    onContext(first, () -> account.send(one()))
      .compose(firstResults -> {
        ctx.verify(() -> assertThat(firstResults.get(0).isAccepted()).as("%s", firstResults.get(0)).isTrue());
        script(server, stage, then, reply);
        return onContext(second, () -> {
          Future<List<SendResult>> sent = account.send(List.of(message(43, 1, "bob@customer.example", content())));
          // The caller's event loop is busy, as a dispatcher's is under load, when the server's reply and close arrive.
          second.runOnContext(v -> busy(200));
          return sent;
        });
      })
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        SendResult result = results.get(0);
        assertThat(server.connectionCount()).as("the second mail went over the pooled connection").isEqualTo(1);
        assertOutcome(result, "SMTP " + reply, expected);
        assertThat(server.messages()).hasSize(1);
        ctx.completeNow();
      })));
  }

  @SuppressWarnings("StatementWithEmptyBody")
  private static void busy(long millis) {
    long until = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < until) {
      // Spinning, so that the event loop cannot run anything else meanwhile.
    }
  }

  private static <T> Future<T> onContext(Context context, java.util.function.Supplier<Future<T>> call) {
    io.vertx.core.Promise<T> promise = io.vertx.core.Promise.promise();
    context.runOnContext(v -> call.get().onComplete(promise));
    return promise.future();
  }

  @Test
  @DisplayName("A refused connection makes the message retryable instead of failing the call")
  void refused(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = open(vertx, new JsonObject());
    server.close()
      .compose(closed -> account.send(one()))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isTransient()).as("%s", results.get(0)).isTrue();
        assertThat(results.get(0).isThrottled()).isFalse();
        assertThat(results.get(0).reason()).startsWith("no answer from the SMTP server");
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A server that goes silent after the data makes the message retryable once timeout-ms passes")
  void timeout(Vertx vertx, VertxTestContext ctx) {
    server.stall(Stage.END_OF_DATA);
    long started = System.nanoTime();
    open(vertx, new JsonObject().put("timeout-ms", 300)).send(one())
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(results.get(0).isTransient()).as("%s", results.get(0)).isTrue();
        assertThat(results.get(0).reason()).startsWith("no answer from the SMTP server");
        assertThat(elapsedMs).isBetween(250L, 5_000L);
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("A batch shares the pool: each message is its own transaction, on at most max-connections connections")
  void batchOnOnePool(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = open(vertx, new JsonObject().put("max-connections", 2));
    List<OutboundMessage> batch = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      batch.add(message(i, 1, "user" + i + "@customer.example", content()));
    }
    account.send(batch).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results).extracting(SendResult::providerMessageId).containsExactly("relay-1@relay.example",
        "relay-2@relay.example", "relay-3@relay.example", "relay-4@relay.example", "relay-5@relay.example",
        "relay-6@relay.example");
      assertThat(server.messages()).hasSize(6);
      assertThat(server.connectionCount()).isBetween(1, 2);
      ctx.completeNow();
    })));
  }

  private static int indexOfPrefix(List<String> lines, String prefix) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(prefix)) {
        return i;
      }
    }
    return -1;
  }
}
