package dev.relay.gateway.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Batch request bodies for tests. */
public final class Batches {

  private Batches() {
  }

  /** A valid email recipient. */
  public static JsonObject recipient(String id) {
    return new JsonObject()
      .put("id", id)
      .put("addresses", new JsonObject().put("email", id + "@example.com"))
      .put("locale", "tr-TR")
      .put("time_zone", "Europe/Istanbul")
      .put("variables", new JsonObject().put("first_name", "Ayşe").put("points", 1200));
  }

  /** An email batch of {@code count} valid recipients whose ids start with {@code prefix}. */
  public static JsonObject batch(String campaign, String prefix, int count) {
    JsonArray recipients = new JsonArray();
    for (int i = 0; i < count; i++) {
      recipients.add(recipient(prefix + "-" + i));
    }
    return envelope(campaign).put("recipients", recipients);
  }

  /**
   * A template whose every part is the recipient's variable of the same name (subject, html, text, title,
   * body), empty when absent: content arrives as the variables give it, for tests of delivery rather than
   * of rendering.
   */
  public static JsonObject echoTemplate() {
    JsonObject defaults = new JsonObject();
    for (String part : new String[] {"subject", "html", "text", "title", "body"}) {
      defaults.put(part, "");
    }
    return new JsonObject()
      .put("description", "Echoes its variables")
      .put("missing_variables", "default")
      .put("defaults", defaults)
      .put("list_unsubscribe", false)
      .put("locales", new JsonObject().put("en", new JsonObject()
        .put("email", new JsonObject().put("subject", "{{subject}}").put("html", "{{{html}}}").put("text", "{{text}}"))
        .put("sms", new JsonObject().put("text", "{{text}}"))
        .put("push", new JsonObject().put("title", "{{title}}").put("body", "{{body}}"))
        .put("chat", new JsonObject().put("text", "{{text}}"))));
  }

  /** A batch envelope without recipients. */
  public static JsonObject envelope(String campaign) {
    return new JsonObject()
      .put("campaign", campaign)
      .put("template", "welcome")
      .put("channels", new JsonArray().add("email"))
      .put("priority", "marketing");
  }
}
