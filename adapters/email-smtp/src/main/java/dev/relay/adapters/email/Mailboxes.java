package dev.relay.adapters.email;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks of the mailboxes and header values that go into a mail's header. A line break in any of them
 * would let a recipient's data add headers of its own (header injection), so it is refused, never
 * cleaned up.
 */
final class Mailboxes {

  private static final String DOMAIN = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*";

  /** An RFC 5321 mailbox with a dot-atom local part (no quoted strings, no address literals), ASCII only. */
  private static final Pattern ADDRESS = Pattern.compile(
    "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(" + DOMAIN + ")");

  /** {@code Display Name <address>}. */
  private static final Pattern NAMED = Pattern.compile("([^<>]*)<([^<>]+)>");

  private static final Pattern DOMAIN_NAME = Pattern.compile(DOMAIN);

  private Mailboxes() {
  }

  /**
   * Why {@code value} cannot be a mailbox ({@code a@b.example} or {@code Name <a@b.example>}), or null
   * when it can.
   *
   * @param what how to name the value in the reason, such as {@code "content field 'from'"}
   */
  static String problem(String value, String what) {
    if (value == null || value.isBlank()) {
      return what + " is required";
    }
    String lineBreak = lineBreak(value, what);
    if (lineBreak != null) {
      return lineBreak;
    }
    return address(value) == null ? what + " is not a mailbox" : null;
  }

  /** Why {@code value} cannot be put in a header: it holds CR or LF; null when it can. */
  static String lineBreak(String value, String what) {
    if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
      return what + " contains a line break (CR or LF), refused as header injection";
    }
    return null;
  }

  /** The address of a mailbox (without display name and brackets), or null when it is not one. */
  static String address(String mailbox) {
    String trimmed = mailbox.trim();
    Matcher named = NAMED.matcher(trimmed);
    String address = named.matches() ? named.group(2).trim() : trimmed;
    return ADDRESS.matcher(address).matches() ? address : null;
  }

  /** The domain of a mailbox that {@link #problem} accepted. */
  static String domain(String mailbox) {
    Matcher matcher = ADDRESS.matcher(address(mailbox));
    if (!matcher.matches()) {
      throw new IllegalArgumentException("not a mailbox");
    }
    return matcher.group(1);
  }

  /** Whether {@code value} is a domain name. */
  static boolean isDomain(String value) {
    return value != null && value.length() <= 253 && DOMAIN_NAME.matcher(value).matches();
  }
}
