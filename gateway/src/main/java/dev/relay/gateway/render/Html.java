package dev.relay.gateway.render;

/** Decodes the character references an href may hold, so that a tracked link redirects to the URL meant. */
final class Html {

  private Html() {
  }

  static String unescape(String text) {
    int amp = text.indexOf('&');
    if (amp < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int i = 0;
    while (amp >= 0) {
      out.append(text, i, amp);
      int semi = text.indexOf(';', amp);
      String entity = semi > amp && semi - amp <= 10 ? text.substring(amp + 1, semi) : null;
      String decoded = entity == null ? null : decode(entity);
      if (decoded == null) {
        out.append('&');
        i = amp + 1;
      } else {
        out.append(decoded);
        i = semi + 1;
      }
      amp = text.indexOf('&', i);
    }
    return out.append(text, i, text.length()).toString();
  }

  private static String decode(String entity) {
    switch (entity) {
      case "amp": return "&";
      case "lt": return "<";
      case "gt": return ">";
      case "quot": return "\"";
      case "apos": return "'";
      default: break;
    }
    try {
      if (entity.startsWith("#x") || entity.startsWith("#X")) {
        return new String(Character.toChars(Integer.parseInt(entity.substring(2), 16)));
      }
      if (entity.startsWith("#")) {
        return new String(Character.toChars(Integer.parseInt(entity.substring(1))));
      }
    } catch (IllegalArgumentException e) {
      return null;
    }
    return null;
  }
}
