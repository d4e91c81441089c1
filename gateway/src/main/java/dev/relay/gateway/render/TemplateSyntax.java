package dev.relay.gateway.render;

import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Pattern;

/**
 * Checks a part's tags before the engine compiles it, so that a syntax error names its line and column:
 * unclosed tags, sections closed out of order or never, and what templates may not use (partials, which
 * would read files, and delimiter changes). It also refuses what would fail or show Java object text when
 * rendered, whatever the variables: a name with an empty segment ({@code a..b}), a reserved
 * {@code __relay_} name, a helper used as a value ({@code {{format_date}}}), and {@code {{.}}} or
 * {@code {{this}}} outside every section over a variable, where it would name the whole message context.
 */
final class TemplateSyntax {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]*(\\.[A-Za-z0-9_][A-Za-z0-9_-]*)*|\\.");
  private static final String RESERVED = "__relay_";

  private TemplateSyntax() {
  }

  /**
   * Throws a {@code template-syntax} {@link TemplateException} at the first error; {@code where} says which part.
   *
   * @param rewritten whether the source is a part as compiled, with the gateway's own {@code __relay_} tags
   *                  (tracking links, the pixel) put in; a tenant's part may not name them
   */
  static void check(String source, JsonObject where, boolean rewritten) {
    Deque<int[]> open = new ArrayDeque<>();
    Deque<String> openNames = new ArrayDeque<>();
    // How many open sections make their value the context ({{#name}} over a variable; not ^, not a helper).
    int valueSections = 0;
    int i = 0;
    while (true) {
      int start = source.indexOf("{{", i);
      if (start < 0) {
        break;
      }
      boolean triple = source.startsWith("{{{", start);
      String closer = triple ? "}}}" : "}}";
      int bodyStart = start + (triple ? 3 : 2);
      int end = source.indexOf(closer, bodyStart);
      int nextOpen = source.indexOf("{{", bodyStart);
      if (end < 0 || (nextOpen >= 0 && nextOpen < end)) {
        throw error(source, start, "tag opened here is not closed with " + closer, where);
      }
      String body = source.substring(bodyStart, end).trim();
      i = end + closer.length();
      if (body.isEmpty()) {
        throw error(source, start, "empty tag", where);
      }
      char sigil = triple ? '&' : body.charAt(0);
      String name = "#^/&".indexOf(sigil) >= 0 && !triple ? body.substring(1).trim() : body;
      switch (sigil) {
        case '!':
          continue;
        case '>':
        case '<':
          throw error(source, start, "partials ({{> name}}) are not allowed in templates", where);
        case '=':
          throw error(source, start, "changing delimiters ({{=...=}}) is not supported", where);
        default:
          break;
      }
      if (!NAME.matcher(name).matches()) {
        throw error(source, start, "'" + name + "' is not a variable name (letters, digits, _ and -, with . between "
          + "the names of nested values)", where);
      }
      boolean reserved = name.startsWith(RESERVED);
      if (reserved && !rewritten) {
        throw error(source, start, "names beginning with " + RESERVED + " are reserved for the gateway", where);
      }
      // Helpers and the gateway's tracking sections are lambdas: the context inside them stays the message.
      boolean lambda = reserved || isHelper(name);
      boolean self = ".".equals(name) || "this".equals(name);
      if (sigil == '#' || sigil == '^') {
        boolean value = sigil == '#' && !lambda && !self;
        open.push(new int[] {start, value ? 1 : 0});
        openNames.push(name);
        valueSections += value ? 1 : 0;
      } else if (sigil != '/') {
        if (lambda && !reserved) {
          throw error(source, start, "'" + name + "' is a helper: wrap the text it formats, {{#" + name + "}}…{{/"
            + name + "}}", where);
        }
        if (self && valueSections == 0) {
          throw error(source, start, "{{" + name + "}} is only a value inside a section over a variable, such as "
            + "{{#items}}{{.}}{{/items}}; here it would be the whole message", where);
        }
      } else {
        if (open.isEmpty()) {
          throw error(source, start, "{{/" + name + "}} closes a section that is not open", where);
        }
        String expected = openNames.pop();
        int[] opened = open.pop();
        valueSections -= opened[1];
        if (!expected.equals(name)) {
          throw error(source, start, "{{/" + name + "}} closes section '" + expected + "' opened at line "
            + line(source, opened[0]) + ", column " + column(source, opened[0]), where);
        }
      }
    }
    if (!open.isEmpty()) {
      throw error(source, open.peek()[0], "section '" + openNames.peek() + "' is never closed", where);
    }
  }

  private static boolean isHelper(String name) {
    return Helpers.DATE.equals(name) || Helpers.DATETIME.equals(name) || Helpers.NUMBER.equals(name)
      || Helpers.MONEY.equals(name);
  }

  static TemplateException error(String source, int index, String message, JsonObject where) {
    int line = line(source, index);
    int column = column(source, index);
    return new TemplateException("template-syntax", describe(where) + ", line " + line + ", column " + column + ": "
      + message, where.copy().put("line", line).put("column", column));
  }

  static String describe(JsonObject where) {
    StringBuilder text = new StringBuilder("locale ").append(where.getString("locale")).append(", ")
      .append(where.getString("channel"));
    if (where.getString("part") != null) {
      text.append(' ').append(where.getString("part"));
    }
    if (where.getString("key") != null) {
      text.append(" '").append(where.getString("key")).append('\'');
    }
    if (where.getString("pointer") != null) {
      text.append(' ').append(where.getString("pointer"));
    }
    return text.toString();
  }

  private static int line(String source, int index) {
    int line = 1;
    for (int i = 0; i < index; i++) {
      if (source.charAt(i) == '\n') {
        line++;
      }
    }
    return line;
  }

  private static int column(String source, int index) {
    int lineStart = source.lastIndexOf('\n', index - 1) + 1;
    return index - lineStart + 1;
  }
}
