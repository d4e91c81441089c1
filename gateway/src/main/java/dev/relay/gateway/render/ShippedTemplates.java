package dev.relay.gateway.render;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The templates Relay ships: the YAML files of the top-level {@code templates/} folder, packaged in the
 * gateway jar under {@code templates/}. Each is checked like a PUT body; a broken one stops start-up
 * with a message naming the file.
 */
public final class ShippedTemplates {

  private static final String FOLDER = "templates/";

  /** One shipped template: its name and its definition as stored (without the {@code name} member). */
  public record Shipped(String name, JsonObject definition) {
  }

  private ShippedTemplates() {
  }

  /** Every shipped template, in file name order. Blocking (reads the class path): call it off the event loop. */
  public static List<Shipped> load(ClassLoader loader) {
    List<Shipped> shipped = new ArrayList<>();
    for (String resource : resources(loader)) {
      String file = resource.substring(FOLDER.length());
      JsonObject json;
      try (InputStream in = loader.getResourceAsStream(resource)) {
        json = parseYaml(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("shipped template " + file + " cannot be read", e);
      } catch (RuntimeException e) {
        throw new IllegalStateException("shipped template " + file + " is not valid YAML: " + e.getMessage(), e);
      }
      String name = json.getString("name");
      String stem = file.substring(0, file.lastIndexOf('.'));
      if (!stem.equals(name)) {
        throw new IllegalStateException("shipped template " + file + " must have 'name: " + stem + "'");
      }
      try {
        TemplateCompiler.check(TemplateDefinition.parse(json));
      } catch (TemplateException e) {
        throw new IllegalStateException("shipped template " + file + ": " + e.getMessage(), e);
      }
      json.remove("name");
      shipped.add(new Shipped(name, json));
    }
    return shipped;
  }

  /** YAML (a subset of which is JSON) as a JSON object; YAML's own types (dates) become strings. */
  public static JsonObject parseYaml(String text) {
    Object value = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException("the document is not a mapping");
    }
    return (JsonObject) toJson(value);
  }

  private static Object toJson(Object value) {
    if (value instanceof Map) {
      JsonObject object = new JsonObject(new LinkedHashMap<>());
      ((Map<?, ?>) value).forEach((k, v) -> object.put(String.valueOf(k), toJson(v)));
      return object;
    }
    if (value instanceof List) {
      JsonArray array = new JsonArray();
      ((List<?>) value).forEach(v -> array.add(toJson(v)));
      return array;
    }
    if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean) {
      return value;
    }
    return String.valueOf(value);
  }

  private static List<String> resources(ClassLoader loader) {
    URL url = loader.getResource(FOLDER);
    List<String> names = new ArrayList<>();
    try {
      if (url == null) {
        // A jar without directory entries: list the jar this class came from.
        URL self = ShippedTemplates.class.getProtectionDomain().getCodeSource().getLocation();
        if (!"file".equals(self.getProtocol()) || !self.getPath().endsWith(".jar")) {
          throw new IllegalStateException("the shipped templates (" + FOLDER + ") are missing from the class path");
        }
        try (JarFile jar = new JarFile(Path.of(self.toURI()).toFile())) {
          addEntries(jar, names);
        }
      } else if ("jar".equals(url.getProtocol())) {
        JarURLConnection connection = (JarURLConnection) url.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
          addEntries(jar, names);
        }
      } else {
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
          files.map(p -> p.getFileName().toString()).filter(ShippedTemplates::isTemplate)
            .forEach(f -> names.add(FOLDER + f));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("the shipped templates cannot be listed", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("the shipped templates cannot be listed: " + url, e);
    }
    Collections.sort(names);
    return names;
  }

  private static void addEntries(JarFile jar, List<String> names) {
    Enumeration<JarEntry> entries = jar.entries();
    while (entries.hasMoreElements()) {
      String entry = entries.nextElement().getName();
      if (entry.startsWith(FOLDER) && entry.indexOf('/', FOLDER.length()) < 0 && isTemplate(entry)) {
        names.add(entry);
      }
    }
  }

  private static boolean isTemplate(String name) {
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }
}
