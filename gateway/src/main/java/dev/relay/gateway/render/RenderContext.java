package dev.relay.gateway.render;

import com.samskivert.mustache.Mustache;
import io.vertx.core.json.JsonObject;

import java.io.Writer;
import java.util.Map;

/**
 * What a template sees while rendering one message: the tracking URLs (made here, per message, only
 * when a part uses them), {@code unsubscribe_url}, the helpers, the recipient's variables and then the
 * declared defaults (under the {@code default} policy). A name found nowhere is missing, and the engine
 * stops with its name.
 */
final class RenderContext implements Mustache.CustomContext {

  static final String UNSUBSCRIBE_URL = "unsubscribe_url";
  static final String OPEN = "__relay_open";
  static final String DECOY = "__relay_decoy";
  static final String LINK = "__relay_link_";
  static final String TRACK = "__relay_track_";

  private final JsonObject variables;
  private final Map<String, Object> defaults;
  private final String helperLocale;
  private final String helperZone;
  private Helpers helpers;
  private String unsubscribeUrl;
  private final Tracking tracking;
  private final long messageId;
  private final long templateId;
  private boolean html;

  RenderContext(JsonObject variables, Map<String, Object> defaults, String helperLocale, String helperZone,
                Tracking tracking, long messageId, long templateId) {
    this.variables = variables;
    this.defaults = defaults;
    this.helperLocale = helperLocale;
    this.helperZone = helperZone;
    this.tracking = tracking;
    this.messageId = messageId;
    this.templateId = templateId;
  }

  /** Whether the part being rendered is HTML (a dynamic href's rendered text is then entity-decoded). */
  void html(boolean html) {
    this.html = html;
  }

  @Override
  public Object get(String name) {
    switch (name.charAt(0)) {
      case '_':
        if (name.startsWith("__relay_")) {
          return internal(name);
        }
        break;
      case 'u':
        if (UNSUBSCRIBE_URL.equals(name)) {
          return unsubscribeUrl();
        }
        break;
      case 'f':
        if (name.startsWith("format_")) {
          if (helpers == null) {
            helpers = Helpers.of(helperLocale, helperZone);
          }
          Mustache.Lambda helper = helpers.get(name);
          if (helper != null) {
            return helper;
          }
        }
        break;
      default:
        break;
    }
    Object value = variables.getValue(name);
    if (value == null && defaults != null) {
      value = defaults.get(name);
    }
    return value;
  }

  /** The message's unsubscribe URL, made once however many parts use it. */
  String unsubscribeUrl() {
    if (unsubscribeUrl == null) {
      unsubscribeUrl = tracking.unsubscribeUrl(messageId);
    }
    return unsubscribeUrl;
  }

  private Object internal(String name) {
    if (OPEN.equals(name)) {
      return tracking.openUrl(messageId);
    }
    if (DECOY.equals(name)) {
      return tracking.decoyUrl(messageId);
    }
    if (name.startsWith(LINK)) {
      return tracking.clickUrl(messageId, templateId, Integer.parseInt(name, LINK.length(), name.length(), 10));
    }
    if (name.startsWith(TRACK)) {
      boolean deepLink = name.endsWith("_deep");
      return (Mustache.Lambda) (frag, out) -> trackRendered(frag.execute(), deepLink, out);
    }
    return null;
  }

  private void trackRendered(String rendered, boolean deepLink, Writer out) throws java.io.IOException {
    String url = html ? Html.unescape(rendered).trim() : rendered.trim();
    if (TemplateLinks.trackable(url, deepLink)) {
      String tracked = tracking.clickUrl(messageId, url);
      out.write(tracked);
    } else {
      // Not a URL we redirect to (empty, or another scheme): left as rendered, untracked.
      out.write(rendered);
    }
  }
}
