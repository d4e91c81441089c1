package dev.relay.gateway.render;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.relay.adapters.spi.Channel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;

/**
 * Compiled templates cached by template version (a name and version of a tenant) and locale. A version
 * is loaded once (its definition is immutable), each locale variant compiled on first use; a render of
 * a cached variant is synchronous and makes only the message's tracking tokens. Thread-safe: the
 * dispatcher and every API event loop share one.
 */
public final class TemplateCache implements Renderer {

  private static final int MAX_LOCALES_PER_VERSION = 256;

  private final LongFunction<Future<TemplateDefinition>> loader;
  private final Tracking tracking;
  private final Cache<Long, Version> versions;
  private final Map<Long, Future<Version>> loading = new ConcurrentHashMap<>();

  /**
   * @param loader      reads a template version's definition by id (from the database)
   * @param maxVersions how many template versions stay compiled
   */
  public TemplateCache(LongFunction<Future<TemplateDefinition>> loader, Tracking tracking, long maxVersions) {
    this.loader = loader;
    this.tracking = tracking;
    this.versions = Caffeine.newBuilder().maximumSize(maxVersions).build();
  }

  public Tracking tracking() {
    return tracking;
  }

  @Override
  public Future<JsonObject> render(long templateId, Channel channel, long messageId, String locale, String timeZone,
                                   JsonObject variables) {
    Version version = versions.getIfPresent(templateId);
    if (version != null) {
      return renderNow(version, channel, messageId, locale, timeZone, variables);
    }
    return version(templateId).compose(v -> renderNow(v, channel, messageId, locale, timeZone, variables));
  }

  private Future<JsonObject> renderNow(Version version, Channel channel, long messageId, String locale,
                                       String timeZone, JsonObject variables) {
    try {
      return Future.succeededFuture(version.variant(locale)
        .render(channel, messageId, locale, timeZone, variables, tracking));
    } catch (TemplateException e) {
      // A version stored before a rule it breaks was made: it will not compile on any retry either.
      return Future.failedFuture(new RenderException("the template version cannot be compiled: " + e.getMessage()));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** The compiled variant of a version for a recipient's locale (loaded and compiled when not cached). */
  public Future<CompiledTemplate> compiled(long templateId, String locale) {
    return version(templateId).map(v -> v.variant(locale));
  }

  /**
   * Where a click on link {@code index} of a template version goes: its static URL, found in the cached
   * version (no database read once cached); null when the version has no such static link.
   */
  public Future<String> staticHref(long templateId, int index) {
    return version(templateId).map(v -> v.staticHref(index));
  }

  private Future<Version> version(long templateId) {
    Version cached = versions.getIfPresent(templateId);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    Future<Version> pending = loading.get(templateId);
    if (pending != null) {
      return pending;
    }
    Promise<Version> promise = Promise.promise();
    pending = loading.putIfAbsent(templateId, promise.future());
    if (pending != null) {
      return pending;
    }
    loader.apply(templateId)
      .map(definition -> {
        Version v = new Version(templateId, definition);
        versions.put(templateId, v);
        return v;
      })
      .onComplete(ar -> {
        loading.remove(templateId);
        promise.handle(ar);
      });
    return promise.future();
  }

  /** One template version: its definition and its variants compiled so far, by the recipient locale asked for. */
  private static final class Version {
    private final long id;
    private final TemplateDefinition definition;
    private final Map<String, CompiledTemplate> byVariant = new ConcurrentHashMap<>();
    private final Map<String, CompiledTemplate> byRecipientLocale = new ConcurrentHashMap<>();

    private volatile java.util.List<TemplateLinks.Link> links;

    Version(long id, TemplateDefinition definition) {
      this.id = id;
      this.definition = definition;
    }

    String staticHref(int index) {
      java.util.List<TemplateLinks.Link> all = links;
      if (all == null) {
        all = TemplateLinks.of(definition);
        links = all;
      }
      return index < 0 || index >= all.size() || all.get(index).dynamic() ? null : all.get(index).href();
    }

    CompiledTemplate variant(String recipientLocale) {
      String key = recipientLocale == null ? "" : recipientLocale;
      CompiledTemplate compiled = byRecipientLocale.get(key);
      if (compiled == null) {
        TemplateDefinition.Variant variant = definition.variantFor(recipientLocale);
        compiled = byVariant.computeIfAbsent(variant.locale(), l -> TemplateCompiler.compile(id, definition, variant));
        if (byRecipientLocale.size() < MAX_LOCALES_PER_VERSION) {
          byRecipientLocale.put(key, compiled);
        }
      }
      return compiled;
    }
  }
}
