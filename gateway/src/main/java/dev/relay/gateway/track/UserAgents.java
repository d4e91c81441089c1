package dev.relay.gateway.track;

import dev.relay.gateway.config.ConfigException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The user agents of machines, read from a tab-separated list (shipped as {@code tracking/user-agents.tsv}, or the
 * operator's file): each rule a reason, a strength, what it applies to (opens, clicks or both) and a
 * case-insensitive regular expression. Fragments from the settings are added as strong rules matched as plain text.
 */
final class UserAgents {

  static final String SHIPPED = "tracking/user-agents.tsv";

  /** What a rule applies to. */
  enum Applies { OPEN, CLICK, BOTH }

  /** One rule; {@code strong}: machine on the request alone, otherwise only with another signal. */
  record Rule(String reason, boolean strong, Applies applies, Pattern pattern) {
    boolean appliesTo(boolean open) {
      return applies == Applies.BOTH || (open ? applies == Applies.OPEN : applies == Applies.CLICK);
    }
  }

  private final List<Rule> rules;

  private UserAgents(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /**
   * The rules of {@code file} (the shipped list when blank), then the operator's fragments: {@code scanners} as
   * strong {@code scanner-user-agent} rules, {@code proxies} as weak {@code image-proxy} rules for opens.
   */
  static UserAgents load(String file, List<String> scanners, List<String> proxies) {
    List<Rule> rules = new ArrayList<>();
    String source = file == null || file.isBlank() ? "classpath:" + SHIPPED : file;
    List<String> lines = file == null || file.isBlank() ? ListFiles.resource(SHIPPED)
      : ListFiles.read("tracking.user-agents-file", Path.of(file));
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      rules.add(parse(source, i + 1, line));
    }
    for (String fragment : scanners) {
      rules.add(new Rule("scanner-user-agent", true, Applies.BOTH, literal(fragment)));
    }
    for (String fragment : proxies) {
      rules.add(new Rule("image-proxy", false, Applies.OPEN, literal(fragment)));
    }
    return new UserAgents(rules);
  }

  /** The first rule that matches this user agent on an open or a click, or null. */
  Rule match(String userAgent, boolean open) {
    for (Rule rule : rules) {
      if (rule.appliesTo(open) && rule.pattern().matcher(userAgent).find()) {
        return rule;
      }
    }
    return null;
  }

  private static Rule parse(String source, int number, String line) {
    String[] columns = line.split("\t");
    String where = source + " line " + number;
    if (columns.length < 4) {
      throw new ConfigException(where + ": expected reason, strength, applies-to and pattern separated by tabs");
    }
    boolean strong = switch (columns[1].trim()) {
      case "strong" -> true;
      case "weak" -> false;
      default -> throw new ConfigException(where + ": strength must be strong or weak, not " + columns[1]);
    };
    Applies applies;
    try {
      applies = Applies.valueOf(columns[2].trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": applies-to must be open, click or both, not " + columns[2]);
    }
    try {
      return new Rule(columns[0].trim(), strong, applies, Pattern.compile(columns[3], Pattern.CASE_INSENSITIVE));
    } catch (PatternSyntaxException e) {
      throw new ConfigException(where + ": not a regular expression: " + e.getDescription());
    }
  }

  private static Pattern literal(String fragment) {
    return Pattern.compile(Pattern.quote(fragment), Pattern.CASE_INSENSITIVE);
  }
}
