package dev.relay.gateway.render;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.intake.UnicodeText;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A template version as written: its description, default locale, missing-variable policy and defaults,
 * and per locale the parts of each channel. The same JSON shape is a file in {@code templates/} (as YAML)
 * and the body of {@code PUT /v1/templates/{name}}. Immutable once parsed.
 */
public final class TemplateDefinition {

  /** What a variable that a recipient does not have becomes. */
  public enum MissingPolicy {
    /** The message fails with a reason naming the variable. */
    FAIL,
    /** The declared default is used; a variable without one still fails the message. */
    DEFAULT
  }

  /**
   * The chat part that makes a WhatsApp template message: the Cloud API's {@code template} object
   * ({@code name}, {@code language}, {@code components}), every string in it below {@code components} a
   * Mustache part.
   */
  public static final String WHATSAPP_TEMPLATE = "whatsapp_template";

  /** The parts each channel has, in order; the first of each list is required (email: subject and html or text). */
  static final Map<Channel, List<String>> PARTS = Map.of(
    Channel.EMAIL, List.of("subject", "html", "text", "from", "reply_to"),
    Channel.SMS, List.of("text"),
    Channel.PUSH, List.of("title", "body", "data"),
    Channel.CHAT, List.of("text", WHATSAPP_TEMPLATE));

  /** The channels a template may have parts for, in the order links are numbered. */
  static final List<Channel> CHANNELS = List.of(Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.CHAT);

  private static final int MAX_PART_CHARS = 256 * 1024;

  private final String description;
  private final String defaultLocale;
  private final MissingPolicy policy;
  private final boolean listUnsubscribe;
  private final Map<String, Object> defaults;
  private final Map<String, Variant> locales;
  private final JsonObject json;

  /**
   * One locale's parts: channel → part name → source; push {@code data} is a map of key → source, chat
   * {@code whatsapp_template} a JSON object whose strings under {@code components} are sources.
   */
  public record Variant(String locale, Map<Channel, Map<String, Object>> channels, Map<String, Object> defaults) {
  }

  private TemplateDefinition(String description, String defaultLocale, MissingPolicy policy, boolean listUnsubscribe,
                             Map<String, Object> defaults, Map<String, Variant> locales, JsonObject json) {
    this.description = description;
    this.defaultLocale = defaultLocale;
    this.policy = policy;
    this.listUnsubscribe = listUnsubscribe;
    this.defaults = defaults;
    this.locales = locales;
    this.json = json;
  }

  /**
   * Reads and checks a definition (fields, types, locales, parts); syntax is checked by compiling. The
   * {@code name} member, if present, is ignored here: the caller names the template.
   */
  public static TemplateDefinition parse(JsonObject json) {
    // Stored as jsonb and sent as UTF-8, text must be exactly storable: no NUL, no unpaired surrogate, no
    // control character but tabs and line breaks (member names: none at all).
    UnicodeText.Finding bad = UnicodeText.find(json, "", UnicodeText.Controls.LINES);
    if (bad != null) {
      throw new TemplateException("invalid-text", bad.pointer() + ": " + bad.reason(),
        new JsonObject().put("pointer", bad.pointer()));
    }
    for (String field : json.fieldNames()) {
      if (!Set.of("name", "description", "default_locale", "missing_variables", "defaults", "list_unsubscribe",
        "locales").contains(field)) {
        throw invalid("unknown field '" + field + "'", new JsonObject().put("field", field));
      }
    }
    String description = string(json, "description", "");
    String policyText = string(json, "missing_variables", "fail");
    MissingPolicy policy;
    switch (policyText) {
      case "fail": policy = MissingPolicy.FAIL; break;
      case "default": policy = MissingPolicy.DEFAULT; break;
      default: throw invalid("missing_variables must be 'fail' or 'default', not '" + policyText + "'",
        new JsonObject().put("field", "missing_variables"));
    }
    Object unsubscribe = json.getValue("list_unsubscribe", Boolean.TRUE);
    if (!(unsubscribe instanceof Boolean)) {
      throw invalid("list_unsubscribe must be true or false", new JsonObject().put("field", "list_unsubscribe"));
    }
    Map<String, Object> defaults = defaults(json, "defaults", null);
    Object localesValue = json.getValue("locales");
    if (!(localesValue instanceof JsonObject) || ((JsonObject) localesValue).isEmpty()) {
      throw invalid("locales must be an object with at least one locale", new JsonObject().put("field", "locales"));
    }
    Map<String, Variant> locales = new TreeMap<>();
    for (Map.Entry<String, Object> entry : (JsonObject) localesValue) {
      String tag = normalize(entry.getKey());
      if (tag == null) {
        throw invalid("'" + entry.getKey() + "' is not a BCP 47 locale", new JsonObject().put("locale", entry.getKey()));
      }
      if (!(entry.getValue() instanceof JsonObject)) {
        throw invalid("locale '" + tag + "' must be an object of channels", new JsonObject().put("locale", tag));
      }
      if (locales.put(tag, variant(tag, (JsonObject) entry.getValue())) != null) {
        throw invalid("locale '" + tag + "' is given twice", new JsonObject().put("locale", tag));
      }
    }
    String defaultLocale = normalize(string(json, "default_locale", locales.keySet().iterator().next()));
    if (defaultLocale == null || !locales.containsKey(defaultLocale)) {
      throw invalid("default_locale must be one of the locales " + locales.keySet(),
        new JsonObject().put("field", "default_locale"));
    }
    return new TemplateDefinition(description, defaultLocale, policy, (Boolean) unsubscribe, defaults,
      Collections.unmodifiableMap(locales), json.copy());
  }

  private static Variant variant(String tag, JsonObject json) {
    Map<Channel, Map<String, Object>> channels = new LinkedHashMap<>();
    Map<String, Object> defaults = defaults(json, "defaults", tag);
    for (String field : json.fieldNames()) {
      if ("defaults".equals(field)) {
        continue;
      }
      Channel channel = Channel.fromWireName(field).filter(PARTS::containsKey).orElseThrow(() ->
        invalid("locale '" + tag + "': '" + field + "' is not a channel with parts (email, sms, push, chat)",
          new JsonObject().put("locale", tag).put("channel", field)));
      Object value = json.getValue(field);
      if (!(value instanceof JsonObject)) {
        throw invalid("locale '" + tag + "': " + field + " must be an object of parts",
          where(tag, channel, null));
      }
      channels.put(channel, parts(tag, channel, (JsonObject) value));
    }
    if (channels.isEmpty()) {
      throw invalid("locale '" + tag + "' has no channel", new JsonObject().put("locale", tag));
    }
    return new Variant(tag, Collections.unmodifiableMap(channels), defaults);
  }

  private static Map<String, Object> parts(String tag, Channel channel, JsonObject json) {
    List<String> allowed = PARTS.get(channel);
    Map<String, Object> parts = new LinkedHashMap<>();
    for (String part : allowed) {
      Object value = json.getValue(part);
      if (value == null) {
        continue;
      }
      if ("data".equals(part)) {
        if (!(value instanceof JsonObject)) {
          throw invalid("push data must be an object of strings", where(tag, channel, part));
        }
        Map<String, String> data = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : (JsonObject) value) {
          if (!(e.getValue() instanceof String)) {
            throw invalid("push data '" + e.getKey() + "' must be a string", where(tag, channel, part));
          }
          data.put(e.getKey(), checkSize(tag, channel, part, (String) e.getValue()));
        }
        parts.put(part, Collections.unmodifiableMap(data));
      } else if (WHATSAPP_TEMPLATE.equals(part)) {
        parts.put(part, whatsAppTemplate(tag, channel, value));
      } else if (value instanceof String) {
        parts.put(part, checkSize(tag, channel, part, (String) value));
      } else {
        throw invalid(channel.wireName() + " " + part + " must be a string", where(tag, channel, part));
      }
    }
    for (String field : json.fieldNames()) {
      if (!allowed.contains(field)) {
        throw invalid("'" + field + "' is not a part of " + channel.wireName() + " (" + allowed + ")",
          where(tag, channel, field));
      }
    }
    boolean complete = channel == Channel.EMAIL
      ? parts.containsKey("subject") && (parts.containsKey("html") || parts.containsKey("text"))
      : channel == Channel.PUSH
      ? parts.containsKey("title") || parts.containsKey("body") || parts.containsKey("data")
      : channel == Channel.CHAT
      ? parts.containsKey("text") || parts.containsKey(WHATSAPP_TEMPLATE)
      : parts.containsKey("text");
    if (!complete) {
      throw invalid("locale '" + tag + "': " + channel.wireName() + " needs " + (channel == Channel.EMAIL
        ? "a subject and html or text" : channel == Channel.PUSH ? "a title, body or data"
        : channel == Channel.CHAT ? "text or a whatsapp_template" : "text"),
        where(tag, channel, null));
    }
    return Collections.unmodifiableMap(parts);
  }

  /**
   * Checks a {@code whatsapp_template} against the Cloud API's template object: a {@code name} (the approved
   * template's, as written: no variables), a {@code language} (a code such as {@code en_US}, or
   * {@code {"code": …}}), and optional {@code components}, an array of objects each with a {@code type}
   * and optional {@code parameters}, an array of objects each with a {@code type}. Strings under
   * {@code components} are Mustache parts, rendered raw.
   */
  private static JsonObject whatsAppTemplate(String tag, Channel channel, Object value) {
    JsonObject where = where(tag, channel, WHATSAPP_TEMPLATE);
    if (!(value instanceof JsonObject template)) {
      throw invalid("chat whatsapp_template must be an object: the Cloud API's template (name, language,"
        + " components)", where);
    }
    for (String field : template.fieldNames()) {
      if (!Set.of("name", "language", "components").contains(field)) {
        throw invalid("whatsapp_template: unknown field '" + field + "' (name, language, components)",
          where.copy().put("field", field));
      }
    }
    if (!(template.getValue("name") instanceof String name) || !name.matches("[A-Za-z0-9_]{1,512}")) {
      throw invalid("whatsapp_template: name must be the approved template's name (letters, digits"
        + " and underscores)", where.copy().put("field", "name"));
    }
    Object language = template.getValue("language");
    Object code = language instanceof JsonObject object ? object.getValue("code") : language;
    if (!(code instanceof String text) || !text.matches("[a-z]{2,3}(_[A-Za-z0-9]{2,8})?")) {
      throw invalid("whatsapp_template: language must be a WhatsApp language code such as en or en_US, or"
        + " {\"code\": …}", where.copy().put("field", "language"));
    }
    Object components = template.getValue("components");
    if (components != null) {
      if (!(components instanceof io.vertx.core.json.JsonArray list)) {
        throw invalid("whatsapp_template: components must be an array", where.copy().put("field", "components"));
      }
      for (int i = 0; i < list.size(); i++) {
        if (!(list.getValue(i) instanceof JsonObject component) || !(component.getValue("type") instanceof String)) {
          throw invalid("whatsapp_template: components[" + i + "] must be an object with a type",
            where.copy().put("field", "components/" + i));
        }
        Object parameters = component.getValue("parameters");
        if (parameters == null) {
          continue;
        }
        if (!(parameters instanceof io.vertx.core.json.JsonArray params)) {
          throw invalid("whatsapp_template: components[" + i + "].parameters must be an array",
            where.copy().put("field", "components/" + i + "/parameters"));
        }
        for (int j = 0; j < params.size(); j++) {
          if (!(params.getValue(j) instanceof JsonObject parameter) || !(parameter.getValue("type") instanceof String)) {
            throw invalid("whatsapp_template: components[" + i + "].parameters[" + j + "] must be an object with"
              + " a type", where.copy().put("field", "components/" + i + "/parameters/" + j));
          }
        }
      }
      if (list.encode().length() > MAX_PART_CHARS) {
        throw invalid("chat whatsapp_template is longer than " + MAX_PART_CHARS + " characters", where);
      }
    }
    return template.copy();
  }

  private static String checkSize(String tag, Channel channel, String part, String text) {
    if (text.length() > MAX_PART_CHARS) {
      throw invalid(channel.wireName() + " " + part + " is longer than " + MAX_PART_CHARS + " characters",
        where(tag, channel, part));
    }
    return text;
  }

  private static Map<String, Object> defaults(JsonObject json, String field, String tag) {
    Object value = json.getValue(field);
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof JsonObject)) {
      JsonObject where = new JsonObject().put("field", field);
      if (tag != null) {
        where.put("locale", tag);
      }
      throw invalid("defaults must be an object of variable names and values", where);
    }
    return Collections.unmodifiableMap(new LinkedHashMap<>(((JsonObject) value).getMap()));
  }

  static JsonObject where(String locale, Channel channel, String part) {
    JsonObject where = new JsonObject().put("locale", locale).put("channel", channel.wireName());
    if (part != null) {
      where.put("part", part);
    }
    return where;
  }

  private static String string(JsonObject json, String field, String fallback) {
    Object value = json.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String)) {
      throw invalid(field + " must be a string", new JsonObject().put("field", field));
    }
    return (String) value;
  }

  private static TemplateException invalid(String detail, JsonObject where) {
    return new TemplateException("invalid-template", detail, where);
  }

  /** A BCP 47 tag in its canonical form ({@code tr-TR}), or null when the text is not one. */
  static String normalize(String tag) {
    if (tag == null || !tag.matches("[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")) {
      return null;
    }
    return Locale.forLanguageTag(tag).toLanguageTag();
  }

  /**
   * The variant for a recipient's locale: the exact tag, then its language ({@code tr-TR} → {@code tr}),
   * then the default locale.
   */
  public Variant variantFor(String recipientLocale) {
    String tag = normalize(recipientLocale);
    if (tag != null) {
      Variant exact = locales.get(tag);
      if (exact != null) {
        return exact;
      }
      int dash = tag.indexOf('-');
      if (dash > 0) {
        Variant language = locales.get(tag.substring(0, dash));
        if (language != null) {
          return language;
        }
      }
    }
    return locales.get(defaultLocale);
  }

  public String description() {
    return description;
  }

  public String defaultLocale() {
    return defaultLocale;
  }

  public MissingPolicy policy() {
    return policy;
  }

  /** Whether email gets List-Unsubscribe headers (on by default; off for transactional templates). */
  public boolean listUnsubscribe() {
    return listUnsubscribe;
  }

  /** Template-wide defaults; a variant's own defaults take precedence. */
  public Map<String, Object> defaults() {
    return defaults;
  }

  /** Every locale variant, by canonical tag, in tag order. */
  public Map<String, Variant> locales() {
    return locales;
  }

  /** The definition as given (JSON), to store and to answer with. */
  public JsonObject toJson() {
    return json.copy();
  }

  /** The channels any locale has parts for. */
  public List<String> channels() {
    List<String> names = new ArrayList<>();
    for (Channel channel : CHANNELS) {
      if (locales.values().stream().anyMatch(v -> v.channels().containsKey(channel))) {
        names.add(channel.wireName());
      }
    }
    return names;
  }
}
