package dev.relay.gateway.render;

import dev.relay.adapters.spi.Channel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tracked links of a template version, found once when it is compiled: {@code href}s of {@code <a>}
 * in email HTML, URLs in SMS and chat text, and deep links in push data. Not tracked: a link with the
 * attribute {@code data-relay-notrack}, the unsubscribe link ({@code {{unsubscribe_url}}}), mailto:,
 * tel: and fragment links, and email text and subjects. Links are numbered over the whole version
 * (locales in tag order, channels email, sms, push, chat, parts in order, links in source order), so
 * that a click token's (template version id, index) names a link without a per-message record; the
 * tracking endpoint resolves it with {@link #of}.
 */
public final class TemplateLinks {

  private static final Pattern ANCHOR = Pattern.compile("<a\\b([^>]*)>", Pattern.CASE_INSENSITIVE);
  private static final Pattern HREF = Pattern.compile("\\bhref\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)')",
    Pattern.CASE_INSENSITIVE);
  private static final Pattern NOTRACK = Pattern.compile("\\bdata-relay-notrack\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern TEXT_URL = Pattern.compile("https?://(?:\\{\\{[^}]*\\}\\}|[^\\s<>\"'{}])+",
    Pattern.CASE_INSENSITIVE);
  private static final Pattern DEEP_LINK = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://\\S+");
  private static final Pattern UNSUBSCRIBE = Pattern.compile("\\{\\{\\{?\\s*&?\\s*unsubscribe_url\\s*\\}?\\}\\}");

  /**
   * One tracked link.
   *
   * @param href    for a static link, the URL (HTML entities decoded); for a dynamic one, its source with tags
   * @param dynamic whether the href holds variables, so that each message's token carries the rendered URL
   * @param start   where the href's text starts in the part's source
   * @param end     where it ends
   */
  public record Link(int index, String locale, Channel channel, String part, String dataKey, String href,
                     boolean dynamic, int start, int end) {
  }

  private TemplateLinks() {
  }

  /** Every tracked link of the version, numbered as tokens number them. */
  public static List<Link> of(TemplateDefinition definition) {
    List<Link> links = new ArrayList<>();
    for (TemplateDefinition.Variant variant : definition.locales().values()) {
      for (Channel channel : TemplateDefinition.CHANNELS) {
        Map<String, Object> parts = variant.channels().get(channel);
        if (parts == null) {
          continue;
        }
        for (Map.Entry<String, Object> part : parts.entrySet()) {
          if (part.getValue() instanceof io.vertx.core.json.JsonObject) {
            // A WhatsApp template's links were approved with it at Meta; they are not Relay's to rewrite.
            continue;
          }
          if (part.getValue() instanceof Map) {
            for (Map.Entry<?, ?> data : ((Map<?, ?>) part.getValue()).entrySet()) {
              scan(links, variant.locale(), channel, part.getKey(), (String) data.getKey(), (String) data.getValue());
            }
          } else {
            scan(links, variant.locale(), channel, part.getKey(), null, (String) part.getValue());
          }
        }
      }
    }
    return List.copyOf(links);
  }

  /** The URL of a static link, for a click token that names it; null when there is no such static link. */
  public static String staticHref(TemplateDefinition definition, int index) {
    List<Link> links = of(definition);
    if (index < 0 || index >= links.size() || links.get(index).dynamic()) {
      return null;
    }
    return links.get(index).href();
  }

  private static void scan(List<Link> links, String locale, Channel channel, String part, String dataKey,
                           String source) {
    if (channel == Channel.EMAIL && "html".equals(part)) {
      Matcher anchor = ANCHOR.matcher(source);
      while (anchor.find()) {
        String attributes = anchor.group(1);
        if (NOTRACK.matcher(attributes).find()) {
          continue;
        }
        Matcher href = HREF.matcher(attributes);
        if (!href.find()) {
          continue;
        }
        int group = href.group(1) != null ? 1 : 2;
        String value = href.group(group);
        int start = anchor.start(1) + href.start(group);
        add(links, locale, channel, part, null, value, start, start + value.length(), true);
      }
    } else if ((channel == Channel.SMS || channel == Channel.CHAT) && "text".equals(part)) {
      Matcher url = TEXT_URL.matcher(source);
      while (url.find()) {
        int end = url.end();
        while (end > url.start() && ".,;:!?)".indexOf(source.charAt(end - 1)) >= 0) {
          end--;
        }
        add(links, locale, channel, part, null, source.substring(url.start(), end), url.start(), end, false);
      }
    } else if (channel == Channel.PUSH && dataKey != null) {
      String trimmed = source.trim();
      if (DEEP_LINK.matcher(trimmed).matches() || TEXT_URL.matcher(trimmed).matches()) {
        int start = source.indexOf(trimmed);
        add(links, locale, channel, part, dataKey, trimmed, start, start + trimmed.length(), false);
      }
    }
  }

  private static void add(List<Link> links, String locale, Channel channel, String part, String dataKey,
                          String value, int start, int end, boolean html) {
    String trimmed = value.trim();
    if (trimmed.isEmpty() || UNSUBSCRIBE.matcher(trimmed).matches()) {
      return;
    }
    boolean dynamic = trimmed.contains("{{");
    String href = html && !dynamic ? Html.unescape(trimmed) : trimmed;
    if (!dynamic && !trackable(href, channel == Channel.PUSH)) {
      return;
    }
    links.add(new Link(links.size(), locale, channel, part, dataKey, href, dynamic, start, end));
  }

  /** Whether a URL goes through the click redirect: http(s), or any scheme:// for a push deep link. */
  static boolean trackable(String url, boolean deepLink) {
    if (url.regionMatches(true, 0, "https://", 0, 8)) {
      return url.length() > 8;
    }
    if (url.regionMatches(true, 0, "http://", 0, 7)) {
      return url.length() > 7;
    }
    return deepLink && DEEP_LINK.matcher(url).matches() && !url.regionMatches(true, 0, "javascript:", 0, 11);
  }
}
