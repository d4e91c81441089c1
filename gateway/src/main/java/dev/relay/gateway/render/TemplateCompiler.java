package dev.relay.gateway.render;

import com.samskivert.mustache.Escapers;
import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import dev.relay.adapters.spi.Channel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compiles template parts with JMustache: HTML parts with the HTML escaper, every other part raw. Before
 * compiling, a part's tracked links are replaced by placeholders that the per-message context fills with
 * signed URLs ({@code {{__relay_link_N}}} for a static link, a {@code __relay_track_N} section around a
 * link whose href holds variables), and the open pixel is put at the end of the HTML body.
 */
public final class TemplateCompiler {

  private static final JsonCollector COLLECTOR = new JsonCollector();
  private static final Mustache.Compiler HTML = Mustache.compiler().withCollector(COLLECTOR)
    .withFormatter(TemplateCompiler::format).withEscaper(Escapers.HTML).emptyStringIsFalse(true);
  private static final Mustache.Compiler TEXT = Mustache.compiler().withCollector(COLLECTOR)
    .withFormatter(TemplateCompiler::format).withEscaper(Escapers.NONE).emptyStringIsFalse(true);
  private static final Pattern LINE = Pattern.compile("@ line (\\d+)");
  static final String PIXEL = "<img src=\"{{{" + RenderContext.OPEN + "}}}\" width=\"1\" height=\"1\" alt=\"\" "
    + "style=\"display:block;border:0;width:1px;height:1px\">"
    // The decoy: a link no person sees or reaches (hidden, not focusable, no text); scanners follow it.
    + "<a href=\"{{{" + RenderContext.DECOY + "}}}\" style=\"display:none\" aria-hidden=\"true\" tabindex=\"-1\"></a>";

  private TemplateCompiler() {
  }

  /** Checks that every part of every locale compiles; a syntax error is a {@code template-syntax} TemplateException. */
  public static void check(TemplateDefinition definition) {
    for (TemplateDefinition.Variant variant : definition.locales().values()) {
      variant.channels().forEach((channel, parts) -> parts.forEach((name, source) -> {
        if (source instanceof JsonObject structured) {
          leaves(structured).forEach((path, text) -> compileChecked(text, false,
            TemplateDefinition.where(variant.locale(), channel, name).put("pointer", CompiledTemplate.pointer(path)),
            false));
        } else if (source instanceof Map) {
          ((Map<?, ?>) source).forEach((key, value) -> compileChecked((String) value, channel == Channel.EMAIL
            && "html".equals(name), TemplateDefinition.where(variant.locale(), channel, name).put("key", key), false));
        } else {
          compileChecked((String) source, isHtml(channel, name), TemplateDefinition.where(variant.locale(), channel, name),
            false);
        }
      }));
    }
  }

  /** The variant compiled for rendering, with tracking placeholders. */
  public static CompiledTemplate compile(long templateId, TemplateDefinition definition,
                                         TemplateDefinition.Variant variant) {
    List<TemplateLinks.Link> links = new ArrayList<>();
    for (TemplateLinks.Link link : TemplateLinks.of(definition)) {
      if (link.locale().equals(variant.locale())) {
        links.add(link);
      }
    }
    Map<Channel, List<CompiledTemplate.Part>> channels = new EnumMap<>(Channel.class);
    variant.channels().forEach((channel, parts) -> {
      List<CompiledTemplate.Part> compiled = new ArrayList<>();
      parts.forEach((name, source) -> {
        if (source instanceof JsonObject structured) {
          // Not click-tracked: a WhatsApp template's links are approved with the template at Meta.
          JsonObject skeleton = structured.copy();
          leaves(structured).forEach((path, text) -> compiled.add(new CompiledTemplate.Part(name, null,
            compileChecked(text, false, TemplateDefinition.where(variant.locale(), channel, name)
              .put("pointer", CompiledTemplate.pointer(path)), false), false, skeleton, path)));
        } else if (source instanceof Map) {
          ((Map<?, ?>) source).forEach((key, value) -> {
            String rewritten = rewrite((String) value, links, channel, name, (String) key, false);
            compiled.add(new CompiledTemplate.Part(name, (String) key, compileChecked(rewritten, false,
              TemplateDefinition.where(variant.locale(), channel, name).put("key", key), true), false));
          });
        } else {
          boolean html = isHtml(channel, name);
          String rewritten = rewrite((String) source, links, channel, name, null, html);
          if (html) {
            rewritten = withPixel(rewritten);
          }
          compiled.add(new CompiledTemplate.Part(name, null, compileChecked(rewritten, html,
            TemplateDefinition.where(variant.locale(), channel, name), true), html));
        }
      });
      channels.put(channel, List.copyOf(compiled));
    });
    Map<String, Object> defaults = null;
    if (definition.policy() == TemplateDefinition.MissingPolicy.DEFAULT) {
      defaults = new HashMap<>(definition.defaults());
      defaults.putAll(variant.defaults());
    }
    return new CompiledTemplate(templateId, variant.locale(), channels, defaults, definition.listUnsubscribe());
  }

  /**
   * The strings under {@code components} of a structured part, by their path; {@code name} and
   * {@code language} are not templates.
   */
  static Map<List<Object>, String> leaves(JsonObject structured) {
    Map<List<Object>, String> leaves = new java.util.LinkedHashMap<>();
    Object components = structured.getValue("components");
    if (components != null) {
      collect(components, new ArrayList<>(List.of("components")), leaves);
    }
    return leaves;
  }

  private static void collect(Object value, List<Object> path, Map<List<Object>, String> leaves) {
    if (value instanceof String text) {
      leaves.put(List.copyOf(path), text);
    } else if (value instanceof JsonObject object) {
      for (String key : object.fieldNames()) {
        path.add(key);
        collect(object.getValue(key), path, leaves);
        path.remove(path.size() - 1);
      }
    } else if (value instanceof io.vertx.core.json.JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        path.add(i);
        collect(array.getValue(i), path, leaves);
        path.remove(path.size() - 1);
      }
    }
  }

  /**
   * A value as text: strings, numbers and booleans as they are, objects and arrays (a {@code {{.}}} inside a
   * section over them) as JSON, and the message context itself (a {@code {{.}}} inside a section over
   * {@code true}, where Mustache keeps the enclosing context) as nothing. Anything else is not a variable's
   * value: the message fails rather than show its Java text.
   */
  static CharSequence format(Object value) {
    if (value instanceof CharSequence text) {
      return text;
    }
    if (value instanceof RenderContext) {
      return "";
    }
    if (value instanceof Number || value instanceof Boolean) {
      return String.valueOf(value);
    }
    if (value instanceof JsonObject object) {
      return object.encode();
    }
    if (value instanceof JsonArray array) {
      return array.encode();
    }
    if (value instanceof Map<?, ?> map) {
      return new JsonObject(cast(map)).encode();
    }
    if (value instanceof List<?> list) {
      return new JsonArray(list).encode();
    }
    throw new RenderException("a tag names something that is not a variable's value (such as {{.}} over the whole "
      + "message, or a helper without its section)");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }

  static boolean isHtml(Channel channel, String part) {
    return channel == Channel.EMAIL && "html".equals(part);
  }

  private static String rewrite(String source, List<TemplateLinks.Link> links, Channel channel, String part,
                                String dataKey, boolean html) {
    StringBuilder out = new StringBuilder(source.length() + 64);
    int at = 0;
    for (TemplateLinks.Link link : links) {
      if (link.channel() != channel || !link.part().equals(part)
        || (dataKey == null ? link.dataKey() != null : !dataKey.equals(link.dataKey()))) {
        continue;
      }
      out.append(source, at, link.start());
      if (link.dynamic()) {
        String tag = RenderContext.TRACK + link.index() + (channel == Channel.PUSH ? "_deep" : "");
        out.append("{{#").append(tag).append("}}").append(source, link.start(), link.end())
          .append("{{/").append(tag).append("}}");
      } else {
        // Tracking URLs are HTML-safe (see Tracking), so they go in unescaped.
        out.append("{{{").append(RenderContext.LINK).append(link.index()).append("}}}");
      }
      at = link.end();
    }
    return out.append(source, at, source.length()).toString();
  }

  private static String withPixel(String html) {
    int body = html.toLowerCase(Locale.ROOT).lastIndexOf("</body>");
    return body < 0 ? html + PIXEL : html.substring(0, body) + PIXEL + html.substring(body);
  }

  private static Template compileChecked(String source, boolean html, JsonObject where, boolean rewritten) {
    TemplateSyntax.check(source, where, rewritten);
    try {
      return (html ? HTML : TEXT).compile(source);
    } catch (MustacheException e) {
      Matcher line = LINE.matcher(String.valueOf(e.getMessage()));
      int lineNo = line.find() ? Integer.parseInt(line.group(1)) : 1;
      throw new TemplateException("template-syntax", TemplateSyntax.describe(where) + ", line " + lineNo + ": "
        + e.getMessage(), where.copy().put("line", lineNo));
    }
  }
}
