package dev.relay.adapters.testkit.smtp;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.store.FolderException;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;

import java.util.List;
import java.util.Objects;

/**
 * A mail server on the loopback interface that receives what an SMTP client sends: GreenMail, with plain
 * SMTP and SMTPS (implicit TLS, GreenMail's built-in self-signed test certificate, so clients must trust
 * all) on free ports and one user whose credentials {@code AUTH PLAIN} and {@code AUTH LOGIN} are checked
 * against (a wrong password is answered {@code 535 5.7.8}).
 *
 * <p>GreenMail accepts every recipient and keeps every message in memory, parsed as a
 * {@link MimeMessage}; it offers no STARTTLS and cannot be told to answer errors: for those, see
 * {@link ScriptedSmtpServer}. Starting and stopping block (GreenMail runs its own threads): call them from
 * a test's thread, never from an event loop. Reading {@link #received()} does not block.
 */
public final class SmtpFake implements AutoCloseable {

  private static final String LOOPBACK = "127.0.0.1";

  private final GreenMail greenMail;
  private final String username;
  private final String password;

  private SmtpFake(GreenMail greenMail, String username, String password) {
    this.greenMail = greenMail;
    this.username = username;
    this.password = password;
  }

  /**
   * Starts the fake with one user that may authenticate as {@code username} with {@code password}; its
   * mailbox address is {@code username} when that is an address, otherwise {@code username@localhost}.
   * Blocks until both servers listen.
   */
  public static SmtpFake start(String username, String password) {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    ServerSetup smtp = new ServerSetup(0, LOOPBACK, ServerSetup.PROTOCOL_SMTP).dynamicPort();
    ServerSetup smtps = new ServerSetup(0, LOOPBACK, ServerSetup.PROTOCOL_SMTPS).dynamicPort();
    String mailbox = username.contains("@") ? username : username + "@localhost";
    GreenMail greenMail = new GreenMail(new ServerSetup[] {smtp, smtps})
      .withConfiguration(GreenMailConfiguration.aConfig().withUser(mailbox, username, password));
    greenMail.start();
    return new SmtpFake(greenMail, username, password);
  }

  /** The address both servers listen on: {@code 127.0.0.1}. */
  public String host() {
    return LOOPBACK;
  }

  /** The port of plain SMTP (no TLS offered). */
  public int smtpPort() {
    return greenMail.getSmtp().getPort();
  }

  /** The port of SMTPS: TLS from the first byte, with GreenMail's self-signed certificate. */
  public int smtpsPort() {
    return greenMail.getSmtps().getPort();
  }

  /** The user name that {@code AUTH} accepts. */
  public String username() {
    return username;
  }

  /** The password that {@code AUTH} accepts. */
  public String password() {
    return password;
  }

  /**
   * Every message received so far, on either port, as parsed MIME messages (with the {@code Return-Path}
   * and {@code Received} headers the server adds): a snapshot. A message is here by the time the server
   * answered {@code 250} to its data.
   */
  public List<MimeMessage> received() {
    return List.of(greenMail.getReceivedMessages());
  }

  /** Forgets every received message. */
  public void reset() {
    try {
      greenMail.purgeEmailFromAllMailboxes();
    } catch (FolderException e) {
      throw new IllegalStateException("could not empty the fake's mailboxes", e);
    }
  }

  /** Stops both servers; blocks until they have. */
  @Override
  public void close() {
    greenMail.stop();
  }

  @Override
  public String toString() {
    return "SMTP fake at " + LOOPBACK + " (smtp " + smtpPort() + ", smtps " + smtpsPort() + ")";
  }
}
