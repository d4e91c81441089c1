package dev.relay.adapters.email;

import dev.relay.adapters.spi.OutboundMessage;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.MailMessage;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Turns a message's content into a mail: checks every field that goes into a header, and sets the
 * headers that identify the message (see the {@linkplain dev.relay.adapters.email package documentation}).
 */
final class MailComposer {

  /** Relay's message id, on every mail, so that a bounce or a complaint forwarded by hand can be traced. */
  static final String RELAY_ID_HEADER = "X-Relay-Message-Id";

  /** An RFC 5322 dot-atom, the form the local part of a Message-ID takes here. */
  private static final Pattern DOT_ATOM = Pattern.compile(
    "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");

  /**
   * A mail ready to send, or why there is none.
   *
   * @param mail      the mail, or null
   * @param messageId its Message-ID without angle brackets ({@code relay-42@mail.example.com}), or null
   * @param problem   why the message cannot be sent (a permanent failure), or null
   */
  record Composed(MailMessage mail, String messageId, String problem) {

    static Composed refused(String problem) {
      return new Composed(null, null, problem);
    }
  }

  private final String defaultFrom;
  private final String messageIdDomain;
  private final Tagging tagging;

  /** Where the provider id goes besides the Message-ID, so that the provider's events carry it. */
  enum Tagging {
    /** Nowhere else. */
    NONE,
    /** SendGrid's SMTP API header {@code X-SMTPAPI}, as {@code unique_args}. */
    SENDGRID,
    /** Mailgun's {@code X-Mailgun-Variables}, which its events return as {@code user-variables}. */
    MAILGUN
  }

  /** The custom argument (SendGrid) or user variable (Mailgun) that carries the Message-ID. */
  static final String MESSAGE_ID_ARG = "relay_smtp_id";

  /** The custom argument or user variable that carries Relay's message id. */
  static final String RELAY_ID_ARG = "relay_message_id";

  MailComposer(String defaultFrom, String messageIdDomain, Tagging tagging) {
    this.defaultFrom = defaultFrom;
    this.messageIdDomain = messageIdDomain;
    this.tagging = tagging;
  }

  Composed compose(OutboundMessage message) {
    JsonObject content = message.content() == null ? new JsonObject() : message.content();
    String problem;

    String key = message.idempotencyKey();
    if (key == null || !DOT_ATOM.matcher(key).matches()) {
      return Composed.refused("idempotency key cannot be the local part of a Message-ID: it must be a dot-atom");
    }
    String address = message.address();
    if ((problem = Mailboxes.problem(address, "address")) != null) {
      return Composed.refused(problem);
    }
    String subject;
    String html;
    String text;
    String from;
    String replyTo;
    String unsubscribe;
    try {
      subject = string(content, "subject");
      html = string(content, "html");
      text = string(content, "text");
      from = string(content, "from");
      replyTo = string(content, "reply_to");
      unsubscribe = string(content, "list_unsubscribe");
    } catch (IllegalArgumentException e) {
      return Composed.refused(e.getMessage());
    }
    if (subject == null || subject.isBlank()) {
      return Composed.refused("content field 'subject' is required");
    }
    if ((problem = Mailboxes.lineBreak(subject, "content field 'subject'")) != null) {
      return Composed.refused(problem);
    }
    if (html == null && text == null) {
      return Composed.refused("content field 'html' or 'text' is required");
    }
    if (from != null && (problem = Mailboxes.problem(from, "content field 'from'")) != null) {
      return Composed.refused(problem);
    }
    if (replyTo != null && (problem = Mailboxes.problem(replyTo, "content field 'reply_to'")) != null) {
      return Composed.refused(problem);
    }
    if (unsubscribe != null && (problem = unsubscribeProblem(unsubscribe)) != null) {
      return Composed.refused(problem);
    }

    String messageId = key + "@" + messageIdDomain;
    MailMessage mail = new MailMessage()
      .setFrom(from == null ? defaultFrom : from)
      .setTo(Mailboxes.address(address))
      .setSubject(subject)
      .setText(text)
      .setHtml(html)
      .addHeader("Message-ID", "<" + messageId + ">")
      .addHeader(RELAY_ID_HEADER, Long.toString(message.messageId()));
    if (replyTo != null) {
      mail.addHeader("Reply-To", isAscii(replyTo) ? replyTo.trim() : Mailboxes.address(replyTo));
    }
    if (unsubscribe != null) {
      // RFC 2369 and RFC 8058: one-click unsubscribe by POST to the URL.
      mail.addHeader("List-Unsubscribe", "<" + unsubscribe.trim() + ">")
        .addHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    }
    JsonObject args = new JsonObject()
      .put(RELAY_ID_ARG, Long.toString(message.messageId()))
      .put(MESSAGE_ID_ARG, messageId);
    switch (tagging) {
      case SENDGRID -> mail.addHeader("X-SMTPAPI", new JsonObject().put("unique_args", args).encode());
      case MAILGUN -> mail.addHeader("X-Mailgun-Variables", args.encode());
      case NONE -> {
      }
    }
    return new Composed(mail, messageId, null);
  }

  /** A string field, or null when absent; a field of another type fails naming it. */
  private static String string(JsonObject content, String field) {
    Object value = content.getValue(field);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    throw new IllegalArgumentException("content field '" + field + "' must be a string");
  }

  private static String unsubscribeProblem(String url) {
    String what = "content field 'list_unsubscribe'";
    String problem = Mailboxes.lineBreak(url, what);
    if (problem != null) {
      return problem;
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      return what + " is not a URL";
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null) {
      return what + " must be an absolute http or https URL";
    }
    return null;
  }

  private static boolean isAscii(String value) {
    return value.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
  }
}
