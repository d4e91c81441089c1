package dev.relay.adapters.sms;

import java.util.Objects;

/**
 * How many SMS segments a text takes, and in which encoding, as the GSM 03.38 / 3GPP TS 23.038 rules and
 * the carriers count them: a text made only of the GSM 7-bit default alphabet goes as GSM-7, where the
 * characters of the extension table ({@code € [ ] { } ^ ~ | \} and form feed) take two septets (an escape
 * and the character); any other character makes the whole text UCS-2, counted in UTF-16 code units (an
 * emoji takes two). One segment holds 160 septets or 70 units; a longer text is split into segments of 153
 * septets or 67 units (the rest of each carries the concatenation header), and a split never cuts an
 * escape sequence or a surrogate pair in two, so such a character that does not fit moves to the next
 * segment.
 *
 * <p>Twilio counts and bills segments itself; Relay computes the same number to report it with the sent
 * event: {@code SmsSegments.count(text).segments()}.
 */
public final class SmsSegments {

  /** The encoding a text is sent in. */
  public enum Encoding {
    /** The GSM 7-bit default alphabet, with its extension table. */
    GSM_7,
    /** UCS-2 (UTF-16 code units on the wire). */
    UCS_2
  }

  /**
   * The count for one text.
   *
   * @param encoding the encoding the text goes in
   * @param segments how many SMS it takes; an empty text is one (empty) SMS
   * @param units    its length in the encoding's units: septets for GSM-7, UTF-16 code units for UCS-2
   */
  public record Count(Encoding encoding, int segments, int units) {
  }

  static final int GSM_SINGLE = 160;
  static final int GSM_PART = 153;
  static final int UCS2_SINGLE = 70;
  static final int UCS2_PART = 67;

  private static final String GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  private static final String GSM_EXTENSION = "\f^{}\\[~]|€";

  private SmsSegments() {
  }

  /** Counts the segments of {@code text}. */
  public static Count count(String text) {
    Objects.requireNonNull(text, "text");
    int[] septets = new int[text.length()];
    for (int i = 0; i < text.length(); i++) {
      int cost = septets(text.charAt(i));
      if (cost == 0) {
        return ucs2(text);
      }
      septets[i] = cost;
    }
    return split(Encoding.GSM_7, septets, GSM_SINGLE, GSM_PART);
  }

  /** Septets a character takes in GSM-7: 1 (default alphabet), 2 (extension table), 0 (not in GSM-7). */
  static int septets(char c) {
    if (GSM_BASIC.indexOf(c) >= 0) {
      return 1;
    }
    return GSM_EXTENSION.indexOf(c) >= 0 ? 2 : 0;
  }

  private static Count ucs2(String text) {
    // A surrogate pair is one character of two units: it is counted whole on the pair's first unit.
    int[] units = new int[text.length()];
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length()
        && Character.isLowSurrogate(text.charAt(i + 1));
      units[i] = pair ? 2 : 1;
      if (pair) {
        i++;
      }
    }
    return split(Encoding.UCS_2, units, UCS2_SINGLE, UCS2_PART);
  }

  private static Count split(Encoding encoding, int[] costs, int single, int part) {
    int total = 0;
    for (int cost : costs) {
      total += cost;
    }
    if (total <= single) {
      return new Count(encoding, 1, total);
    }
    int segments = 1;
    int used = 0;
    for (int cost : costs) {
      if (used + cost > part) {
        segments++;
        used = 0;
      }
      used += cost;
    }
    return new Count(encoding, segments, total);
  }
}
