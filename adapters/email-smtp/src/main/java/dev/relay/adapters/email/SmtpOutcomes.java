package dev.relay.adapters.email;

import dev.relay.adapters.spi.SendResult;
import io.vertx.ext.mail.SMTPException;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an SMTP server's refusal means for the message, by reply code (RFC 5321, section 4.2) and enhanced
 * status code (RFC 3463): {@code 421}, {@code 451}, {@code 454}, an enhanced {@code 4.7.x} and a
 * {@code 4xx} that speaks of a rate mean the server wants us to slow down; any other {@code 4xx} is
 * transient; a {@code 5xx} is permanent; a failure without a reply (refused, reset, timed out, TLS
 * failed) is transient.
 */
final class SmtpOutcomes {

  /** An enhanced status code at the start of a reply line: class, subject, detail. */
  private static final Pattern ENHANCED = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})\\b");

  /** The reply code and separator that start each line of a reply, as the client reports the lines. */
  private static final Pattern REPLY_CODE = Pattern.compile("^\\d{3}[ -]?");

  /** Words with which servers say that the sender goes too fast. */
  private static final Pattern RATE = Pattern.compile("(?i)\\b(rate|too many|throttl\\w*)\\b");

  private SmtpOutcomes() {
  }

  /** The result for a failed send. */
  static SendResult of(Throwable failure) {
    if (failure instanceof SMTPException smtp) {
      StringBuilder text = new StringBuilder();
      for (String line : smtp.getReplyMessages() == null ? List.<String>of() : smtp.getReplyMessages()) {
        text.append(text.length() == 0 ? "" : " ").append(REPLY_CODE.matcher(line).replaceFirst(""));
      }
      return ofReply(smtp.getReplyCode(), text.toString());
    }
    String detail = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    return SendResult.retryable("no answer from the SMTP server: " + detail, null);
  }

  /**
   * The result for a reply.
   *
   * @param code the reply code
   * @param text the reply's text, after the code (it may start with an enhanced status code)
   */
  static SendResult ofReply(int code, String text) {
    String reply = text.trim();
    String reason = "SMTP " + code + (reply.isEmpty() ? "" : " " + reply);
    if (code >= 500 && code < 600) {
      return SendResult.permanent(reason);
    }
    if (code >= 400 && code < 500) {
      String enhanced = enhanced(reply);
      boolean throttled = code == 421 || code == 451 || code == 454
        || (enhanced != null && enhanced.startsWith("4.7.")) || RATE.matcher(reply).find();
      return throttled ? SendResult.throttled(reason, null) : SendResult.retryable(reason, null);
    }
    return SendResult.retryable(reason + ", which is not a refusal the client understands", null);
  }

  /** The enhanced status code at the start of a reply's text, such as {@code 5.1.1}, or null. */
  static String enhanced(String text) {
    Matcher matcher = ENHANCED.matcher(text.trim());
    return matcher.find() ? matcher.group(1) + "." + matcher.group(2) + "." + matcher.group(3) : null;
  }
}
