package dev.relay.gateway.render;

import com.samskivert.mustache.BasicCollector;
import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;
import io.vertx.core.json.JsonObject;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lets templates read JSON variables (objects by member, arrays as lists) and nothing else: unlike the
 * engine's default collector it never calls methods or reads fields of Java objects by reflection, since
 * templates are written by tenants and are not trusted.
 */
final class JsonCollector extends BasicCollector {

  private static final Mustache.VariableFetcher JSON_FETCHER = (ctx, name) -> {
    Object value = ((JsonObject) ctx).getValue(name);
    return value == null ? Template.NO_FETCHER_FOUND : value;
  };

  @Override
  public Iterator<?> toIterator(Object value) {
    // An object is one context, not a list of its members.
    return value instanceof JsonObject || value instanceof Map ? null : super.toIterator(value);
  }

  @Override
  public Mustache.VariableFetcher createFetcher(Object ctx, String name) {
    if (ctx instanceof JsonObject) {
      return JSON_FETCHER;
    }
    return super.createFetcher(ctx, name);
  }

  @Override
  public <K, V> Map<K, V> createFetcherCache() {
    return new ConcurrentHashMap<>();
  }
}
