package dev.relay.gateway.dispatch;

import dev.relay.adapters.spi.Adapter;

import java.util.Collections;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The adapters on the class path, found with {@link ServiceLoader}, by name. */
public final class Adapters {

  private Adapters() {
  }

  /** Every adapter on the class path; two of the same name stop start-up with a message naming both. */
  public static Map<String, Adapter> discover(ClassLoader loader) {
    Map<String, Adapter> byName = new TreeMap<>();
    for (Adapter adapter : ServiceLoader.load(Adapter.class, loader)) {
      Adapter previous = byName.putIfAbsent(adapter.name(), adapter);
      if (previous != null) {
        throw new IllegalStateException("two adapters are named '" + adapter.name() + "': "
          + previous.getClass().getName() + " and " + adapter.getClass().getName());
      }
    }
    return Collections.unmodifiableMap(byName);
  }
}
