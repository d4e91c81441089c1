package dev.relay.gateway.render;

import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Pattern;

/**
 * Checks a part's tags before the engine compiles it, so that a syntax error names its line and column:
 * unclosed tags, sections closed out of order or never, and what templates may not use (partials, which
 * would read files, and delimiter changes).
 */
final class TemplateSyntax {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*|\\.");

  private TemplateSyntax() {
  }

  /** Throws a {@code template-syntax} {@link TemplateException} at the first error; {@code where} says which part. */
  static void check(String source, JsonObject where) {
    Deque<int[]> open = new ArrayDeque<>();
    Deque<String> openNames = new ArrayDeque<>();
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
        throw error(source, start, "'" + name + "' is not a variable name (letters, digits, _, - and . for nesting)",
          where);
      }
      if (sigil == '#' || sigil == '^') {
        open.push(new int[] {start});
        openNames.push(name);
      } else if (sigil == '/') {
        if (open.isEmpty()) {
          throw error(source, start, "{{/" + name + "}} closes a section that is not open", where);
        }
        String expected = openNames.pop();
        int[] opened = open.pop();
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
