package dev.relay.gateway.intake;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * Checks that text taken from a client is Unicode that can be stored and given back exactly. A JSON
 * string may spell an unpaired UTF-16 surrogate ({@code "\ud800"}) and the JSON parser passes it on as
 * it is; no UTF-8 store (PostgreSQL, a provider's API) can hold it, and the encoder would silently make
 * it {@code ?}. NUL cannot be stored by PostgreSQL either. Other control characters are refused where
 * they cannot belong (ids, addresses, names); text that people read (variables, template parts) may
 * hold tabs and line breaks.
 */
public final class UnicodeText {

  /** Which control characters a field may hold. */
  public enum Controls {
    /** None: ids, addresses, names, keys. */
    NONE,
    /** Tab, line feed and carriage return: text people read, such as variables and template parts. */
    LINES
  }

  /** Where in a JSON body a string is refused and why. */
  public record Finding(String pointer, String reason) {
  }

  private UnicodeText() {
  }

  /** Why {@code text} cannot be taken, such as "contains an unpaired UTF-16 surrogate (U+D800) at character 1"; null when it can. */
  public static String problem(String text, Controls allowed) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
        if (c == 0) {
          return "contains a NUL character (U+0000) at character " + (i + 1);
        }
        if (allowed == Controls.NONE || (c != '\t' && c != '\n' && c != '\r')) {
          return "contains a control character (" + codePoint(c) + ") at character " + (i + 1);
        }
      } else if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
        } else {
          return "contains an unpaired UTF-16 surrogate (" + codePoint(c) + ") at character " + (i + 1);
        }
      }
    }
    return null;
  }

  /**
   * The first string or member name in a JSON value that cannot be taken, or null. Member names may hold
   * no control character; strings those that {@code allowed} lets through.
   *
   * @param pointer the JSON pointer of {@code value} ("" for the whole body)
   */
  public static Finding find(Object value, String pointer, Controls allowed) {
    if (value instanceof String text) {
      String reason = problem(text, allowed);
      return reason == null ? null : new Finding(pointer, reason);
    }
    if (value instanceof JsonObject object) {
      return findInMap(object.getMap(), pointer, allowed);
    }
    if (value instanceof Map<?, ?> map) {
      return findInMap(map, pointer, allowed);
    }
    if (value instanceof JsonArray array) {
      return findInList(array.getList(), pointer, allowed);
    }
    if (value instanceof List<?> list) {
      return findInList(list, pointer, allowed);
    }
    return null;
  }

  private static Finding findInMap(Map<?, ?> map, String pointer, Controls allowed) {
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String name = String.valueOf(entry.getKey());
      String at = pointer(pointer, name);
      String reason = problem(name, Controls.NONE);
      if (reason != null) {
        return new Finding(at, "the member name " + reason);
      }
      Finding found = find(entry.getValue(), at, allowed);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  private static Finding findInList(List<?> list, String pointer, Controls allowed) {
    for (int i = 0; i < list.size(); i++) {
      Finding found = find(list.get(i), pointer + "/" + i, allowed);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  /** The RFC 6901 pointer of member {@code name} of the value at {@code parent}. */
  public static String pointer(String parent, String name) {
    return parent + "/" + name.replace("~", "~0").replace("/", "~1");
  }

  /**
   * Text to quote in an error message: what cannot be encoded (unpaired surrogates, control characters)
   * is written as {@code \\uXXXX}, and long text is cut at 64 characters.
   */
  public static String quote(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), 70));
    for (int i = 0; i < text.length() && i < 64; i++) {
      char c = text.charAt(i);
      boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
        && Character.isLowSurrogate(text.charAt(i + 1));
      if (paired) {
        out.append(c).append(text.charAt(++i));
      } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || Character.isSurrogate(c)) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    return text.length() > 64 ? out.append('…').toString() : out.toString();
  }

  private static String codePoint(char c) {
    return String.format("U+%04X", (int) c);
  }
}
