package dev.relay.gateway.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The named SQL statements of {@code queries.sql}: the one place where the gateway's run-time SQL
 * lives. A statement is looked up by its name; an unknown name is a programming error that names it.
 */
public final class Queries {

  private static final String RESOURCE = "/queries.sql";
  private static final String MARKER = "-- name:";
  private static final Map<String, String> STATEMENTS = load();

  private Queries() {
  }

  /** The statement of that name. */
  public static String sql(String name) {
    String sql = STATEMENTS.get(name);
    if (sql == null) {
      throw new IllegalArgumentException("no query named '" + name + "' in " + RESOURCE);
    }
    return sql;
  }

  /** The names of every statement, in the order of the file. */
  public static Set<String> names() {
    return Collections.unmodifiableSet(STATEMENTS.keySet());
  }

  private static Map<String, String> load() {
    String text;
    try (InputStream in = Queries.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the class path");
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> statements = new LinkedHashMap<>();
    String name = null;
    StringBuilder body = new StringBuilder();
    for (String line : text.split("\n")) {
      if (line.startsWith(MARKER)) {
        put(statements, name, body);
        name = line.substring(MARKER.length()).trim();
        body.setLength(0);
      } else if (name != null && !line.startsWith("--")) {
        body.append(line).append('\n');
      }
    }
    put(statements, name, body);
    return Map.copyOf(statements);
  }

  private static void put(Map<String, String> statements, String name, StringBuilder body) {
    if (name == null) {
      return;
    }
    String sql = body.toString().trim();
    if (sql.endsWith(";")) {
      sql = sql.substring(0, sql.length() - 1);
    }
    if (statements.put(name, sql) != null) {
      throw new IllegalStateException("query '" + name + "' is defined twice in " + RESOURCE);
    }
  }
}
