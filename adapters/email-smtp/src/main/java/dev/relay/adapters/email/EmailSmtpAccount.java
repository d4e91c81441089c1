package dev.relay.adapters.email;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.DKIMSignAlgorithm;
import io.vertx.ext.mail.DKIMSignOptions;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.StartTLSOptions;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One {@code email-smtp} account: a pooled SMTP client that sends each message as its own mail
 * transaction, the messages of a batch concurrently, as many at once as the pool has connections.
 */
final class EmailSmtpAccount implements ProviderAccount {

  /** The headers DKIM signs, when present: those a recipient reads and those that identify the mail. */
  static final List<String> DKIM_SIGNED_HEADERS = List.of("From", "Reply-To", "Subject", "Date", "To", "Cc",
    "Message-ID", "MIME-Version", "Content-Type", "List-Unsubscribe", "List-Unsubscribe-Post");

  private final AccountSettings settings;
  private final EmailSmtpSettings config;
  private final MailComposer composer;
  private final MailClient client;
  private final Context mailContext;

  EmailSmtpAccount(Vertx vertx, AccountSettings settings, EmailSmtpSettings config) {
    this.settings = settings;
    this.mailContext = vertx.getOrCreateContext();
    this.config = config;
    MailComposer.Tagging tagging = config.webhooks() instanceof SendGridWebhooks ? MailComposer.Tagging.SENDGRID
      : config.webhooks() instanceof MailgunWebhooks ? MailComposer.Tagging.MAILGUN : MailComposer.Tagging.NONE;
    this.composer = new MailComposer(config.from(), config.messageIdDomain(), tagging);
    // The client's sockets answer what a server that closed after a refusal left unanswered with that refusal.
    this.client = MailClient.create(SmtpSocketTap.wrap(vertx), mailConfig(config));
  }

  /** The mail client's configuration for an account. */
  static MailConfig mailConfig(EmailSmtpSettings config) {
    MailConfig mail = new MailConfig()
      .setHostname(config.host())
      .setPort(config.port())
      .setSsl(config.ssl())
      .setStarttls(config.startTls())
      .setTrustAll(config.trustAll())
      .setMaxPoolSize(config.maxConnections())
      .setKeepAlive(true)
      // EHLO with the sending domain: the name our Message-IDs carry, and what receivers expect.
      .setOwnHostname(config.messageIdDomain())
      .setConnectTimeout(config.timeoutMs())
      .setSslHandshakeTimeout(config.timeoutMs())
      .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
      // A server silent for this long, at any step, fails the mail and closes the connection.
      .setIdleTimeout(config.timeoutMs())
      .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
      // The pool closes idle connections itself before the idle timeout would.
      .setKeepAliveTimeout(Math.max(1, config.timeoutMs() / 2))
      .setKeepAliveTimeoutUnit(TimeUnit.MILLISECONDS);
    if (config.ssl() || config.startTls() != StartTLSOptions.DISABLED) {
      // Check that the certificate names the host, as a browser would.
      mail.setHostnameVerificationAlgorithm(config.trustAll() ? "" : "HTTPS");
    }
    if (config.username() != null) {
      // REQUIRED: a server that offers no AUTH fails the mail instead of relaying it unauthenticated.
      // Password mechanisms only: XOAUTH2 would hand the password over as a bearer token.
      mail.setLogin(LoginOption.REQUIRED).setAuthMethods("PLAIN LOGIN")
        .setUsername(config.username()).setPassword(config.password());
    } else {
      mail.setLogin(LoginOption.DISABLED);
    }
    EmailSmtpSettings.Dkim dkim = config.dkim();
    if (dkim != null) {
      mail.setEnableDKIM(true).addDKIMSignOption(new DKIMSignOptions()
        .setSignAlgo(DKIMSignAlgorithm.RSA_SHA256)
        .setSdid(dkim.domain())
        .setSelector(dkim.selector())
        .setPrivateKey(dkim.privateKey())
        .setSignedHeaders(DKIM_SIGNED_HEADERS));
    }
    return mail;
  }

  @Override
  public AccountSettings settings() {
    return settings;
  }

  /**
   * Sends every message as its own mail transaction, all at once (the pool bounds how many are on the wire),
   * and answers when all have their result. A failure of one mail is that message's result; the returned
   * future fails only on a bug.
   */
  @Override
  public Future<List<SendResult>> send(List<OutboundMessage> messages) {
    List<Future<SendResult>> mails = new ArrayList<>(messages.size());
    try {
      for (OutboundMessage message : messages) {
        mails.add(send(message));
      }
    } catch (RuntimeException e) {
      // A bug in composing fails the call rather than throwing at the dispatcher; mails under way finish.
      return Future.failedFuture(e);
    }
    return Future.all(mails).map(all -> all.list());
  }

  @Override
  public Optional<WebhookVerifier> webhooks() {
    return Optional.ofNullable(config.webhooks());
  }

  /**
   * Closes the pool, saying {@code QUIT} on each idle connection. A connection that the server had already
   * closed is released as well, so the client's complaint about writing {@code QUIT} to it is not a failure.
   */
  @Override
  public Future<Void> close() {
    return client.close().recover(failure -> alreadyClosed(failure)
      ? Future.succeededFuture()
      : Future.failedFuture(failure));
  }

  /**
   * Closing the pool after the server hung up on a pooled connection (after a 421, or when it drops
   * the session after a rejection) reports that connection's closing: the connection is gone either
   * way, so the close succeeded.
   */
  private static boolean alreadyClosed(Throwable failure) {
    // Writing QUIT into a connection the server closed fails as closed, or, when the close is not yet
    // seen, as an I/O error of the socket (broken pipe, connection reset).
    return failure instanceof IOException
      || failure.getMessage() != null && failure.getMessage().startsWith("Connection was closed");
  }

  @Override
  public String toString() {
    return settings + " " + config;
  }

  private Future<SendResult> send(OutboundMessage message) {
    MailComposer.Composed composed = composer.compose(message);
    if (composed.problem() != null) {
      return Future.succeededFuture(SendResult.permanent(composed.problem()));
    }
    Context caller = Vertx.currentContext();
    // Outside Vert.x (a caller's own thread: tests, tools) the client is called directly: hopping from
    // there onto the account's context left a refused connection's failure unreported about once in
    // a hundred tries (SmtpRepliesTest.refused, repeated). The dispatcher always calls from a context.
    if (caller == mailContext || caller == null) {
      return client.sendMail(composed.mail()).transform(sent -> Future.succeededFuture(outcome(composed, sent)));
    }
    // Every mail runs on the account's one context. A pooled connection serves any caller; when the
    // caller's context is another event loop, the client hands a server's reply to it asynchronously,
    // and a server that closes right after its reply (421 "closing transmission channel") wins that
    // race: the mail would fail as "socket was closed unexpected" and the 421 would be lost.
    Promise<SendResult> result = Promise.promise();
    mailContext.runOnContext(v -> client.sendMail(composed.mail()).onComplete(sent -> {
      SendResult outcome = outcome(composed, sent);
      caller.runOnContext(back -> result.complete(outcome));
    }));
    return result.future();
  }

  private static SendResult outcome(MailComposer.Composed composed, AsyncResult<?> sent) {
    return sent.succeeded() ? SendResult.accepted(composed.messageId()) : SmtpOutcomes.of(sent.cause());
  }
}
