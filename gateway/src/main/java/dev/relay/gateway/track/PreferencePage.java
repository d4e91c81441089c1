package dev.relay.gateway.track;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The HTML of the recipient's preference page ({@code /u/{token}}): the tenant's topics as checkboxes in one
 * form, a second form that unsubscribes from everything, and the confirmations. Server-rendered, no script:
 * every control has a label, the topics sit in a fieldset with a legend, and the page's {@code lang} is its
 * language. The words come from {@code preference-page/<language>.properties}; English, and Turkish for a
 * recipient locale that starts with {@code tr}.
 */
public final class PreferencePage {

  /** The languages shipped; the first is the default. */
  public static final List<String> LANGUAGES = List.of("en", "tr");
  /** The hidden field that says which form was posted. */
  public static final String ACTION = "action";
  /** {@link #ACTION} of the topics form. */
  public static final String SAVE = "save";
  /** {@link #ACTION} of the "unsubscribe from everything" form. */
  public static final String EVERYTHING = "everything";
  /** The checkboxes' name; one value per topic left checked. */
  public static final String TOPIC = "topic";

  private static final String[] KEYS = {"title", "intro", "legend", "this_message", "no_topics", "save",
    "everything_intro", "everything", "saved", "done_title", "done", "done_detail", "topic_done", "back"};
  private static final String STYLE = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
    + "padding:0 1rem;line-height:1.5}fieldset{border:1px solid #767676;padding:1rem}.topic{margin:.75rem 0}"
    + ".desc{margin:.1rem 0 0 1.9rem;color:#333}.current{font-style:italic}button{font-size:1rem;padding:.5rem 1rem}"
    + "input[type=checkbox]{width:1.1rem;height:1.1rem}:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}";

  /** One topic as the page shows it: its name (the checkbox's value), words in the page's language, the choice. */
  public record Topic(String name, String title, String description, boolean optedIn, boolean ofThisMessage) {
  }

  private final Map<String, Properties> words;

  private PreferencePage(Map<String, Properties> words) {
    this.words = words;
  }

  /** Reads the shipped words; a missing file or key is an error that names it. */
  public static PreferencePage load() {
    Map<String, Properties> words = new HashMap<>();
    for (String language : LANGUAGES) {
      String resource = "/preference-page/" + language + ".properties";
      Properties properties = new Properties();
      try (InputStream in = PreferencePage.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("The preference page's words are missing: " + resource);
        }
        try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
          properties.load(reader);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read " + resource, e);
      }
      for (String key : KEYS) {
        if (properties.getProperty(key) == null) {
          throw new IllegalStateException(resource + " has no '" + key + "'");
        }
      }
      words.put(language, properties);
    }
    return new PreferencePage(Map.copyOf(words));
  }

  /**
   * The page's language for a recipient's locale: its primary language subtag when the page ships in it
   * ({@code tr}, {@code tr-TR}, {@code tr_TR}: Turkish), else English.
   */
  public static String language(String locale) {
    if (locale == null) {
      return LANGUAGES.get(0);
    }
    String primary = locale.toLowerCase(Locale.ROOT).split("[-_]", 2)[0];
    return LANGUAGES.contains(primary) ? primary : LANGUAGES.get(0);
  }

  /** The choices page: the topics with their current choices, and a note when {@code saved}. */
  public String choices(String language, List<Topic> topics, boolean saved) {
    StringBuilder body = new StringBuilder(1024);
    body.append("<h1>").append(word(language, "title")).append("</h1>");
    if (saved) {
      body.append("<p role=\"status\" id=\"saved\">").append(word(language, "saved")).append("</p>");
    }
    body.append("<form method=\"post\" id=\"choices\"><input type=\"hidden\" name=\"").append(ACTION)
      .append("\" value=\"").append(SAVE).append("\"><p>").append(word(language, "intro")).append("</p>")
      .append("<fieldset><legend>").append(word(language, "legend")).append("</legend>");
    if (topics.isEmpty()) {
      body.append("<p>").append(word(language, "no_topics")).append("</p>");
    }
    for (int i = 0; i < topics.size(); i++) {
      Topic topic = topics.get(i);
      String id = "topic-" + i;
      boolean described = topic.description() != null && !topic.description().isBlank();
      body.append("<div class=\"topic\"><input type=\"checkbox\" id=\"").append(id).append("\" name=\"").append(TOPIC)
        .append("\" value=\"").append(escape(topic.name())).append('"');
      if (topic.optedIn()) {
        body.append(" checked");
      }
      if (described) {
        body.append(" aria-describedby=\"").append(id).append("-desc\"");
      }
      body.append("> <label for=\"").append(id).append("\">").append(escape(topic.title()));
      if (topic.ofThisMessage()) {
        body.append(" <span class=\"current\">(").append(word(language, "this_message")).append(")</span>");
      }
      body.append("</label>");
      if (described) {
        body.append("<p class=\"desc\" id=\"").append(id).append("-desc\">").append(escape(topic.description()))
          .append("</p>");
      }
      body.append("</div>");
    }
    body.append("</fieldset><p><button type=\"submit\" id=\"save\">").append(word(language, "save"))
      .append("</button></p></form>")
      .append("<form method=\"post\" id=\"all\"><input type=\"hidden\" name=\"").append(ACTION).append("\" value=\"")
      .append(EVERYTHING).append("\"><p>").append(word(language, "everything_intro"))
      .append("</p><p><button type=\"submit\" id=\"unsubscribe\">").append(word(language, "everything"))
      .append("</button></p></form>");
    return html(language, word(language, "title"), body.toString());
  }

  /** The answer to "unsubscribe from everything" (and to a one-click POST for a message without a topic). */
  public String unsubscribedFromEverything(String language) {
    return html(language, word(language, "done_title"), "<h1 id=\"done\">" + word(language, "done") + "</h1><p>"
      + word(language, "done_detail") + "</p><p><a href=\"\" id=\"back\">" + word(language, "back") + "</a></p>");
  }

  /** The answer to a one-click POST that opted out of the message's topic. */
  public String unsubscribedFromTopic(String language, String topicTitle) {
    return html(language, word(language, "done_title"), "<h1 id=\"done\">"
      + word(language, "topic_done").replace("{0}", escape(topicTitle)) + "</h1><p><a href=\"\" id=\"back\">"
      + word(language, "back") + "</a></p>");
  }

  private String word(String language, String key) {
    return escape(words.getOrDefault(language, words.get(LANGUAGES.get(0))).getProperty(key));
  }

  private static String html(String language, String title, String body) {
    return "<!doctype html><html lang=\"" + language + "\"><head><meta charset=\"utf-8\">"
      + "<meta name=\"viewport\" content=\"width=device-width\"><title>" + title + "</title><style>" + STYLE
      + "</style></head><body><main>" + body + "</main></body></html>";
  }

  /** Escapes text for an element or a double-quoted attribute. */
  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
