package dev.relay.gateway.throttle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A frequency cap: at most {@code most} marketing messages to one recipient (across channels) in any
 * rolling {@code window}. Written {@code 3/1d} (units s, m, h, d); several are separated by commas.
 */
public record CapRule(int most, Duration window, String text) {

  private static final Pattern RULE = Pattern.compile("(\\d+)/(\\d+)([smhd])");

  /** Reads {@code 3/1d,10/7d}; the empty text means no caps. */
  public static List<CapRule> parseAll(String text) {
    List<CapRule> rules = new ArrayList<>();
    if (text.isBlank()) {
      return rules;
    }
    for (String part : text.split(",")) {
      Matcher m = RULE.matcher(part.trim());
      if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Long.parseLong(m.group(2)) < 1) {
        throw new IllegalArgumentException("frequency cap '" + part.trim()
          + "' is not MOST/WINDOW such as 3/1d (units s, m, h, d; both at least 1)");
      }
      long n = Long.parseLong(m.group(2));
      Duration window = switch (m.group(3)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      rules.add(new CapRule(Integer.parseInt(m.group(1)), window, part.trim()));
    }
    return rules;
  }
}
