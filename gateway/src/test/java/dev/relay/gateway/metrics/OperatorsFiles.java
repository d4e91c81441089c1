package dev.relay.gateway.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The operators' files under {@code grafana/} as the build checks them: every PromQL expression of the
 * dashboards and alert rules, the metric names each one reads, and every SQL query of the PostgreSQL
 * panels with Grafana's macros expanded to plain SQL.
 */
public final class OperatorsFiles {

  /** A query and where it comes from (file, panel or rule). */
  public record Query(String where, String text) {
  }

  /** The repository's {@code grafana/} folder (tests run in {@code gateway/}). */
  public static final Path GRAFANA = Path.of("..", "grafana").toAbsolutePath().normalize();

  private static final Set<String> PROMQL_WORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring",
    "group_left", "group_right", "bool", "offset", "inf", "nan", "atan2", "start", "end");
  private static final Pattern GROUPING = Pattern.compile(
    "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  private OperatorsFiles() {
  }

  /** Every dashboard JSON file. */
  public static List<Path> dashboards() throws IOException {
    try (Stream<Path> files = Files.list(GRAFANA.resolve("dashboards"))) {
      return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }

  /** Every alert rule file (not the rule tests). */
  static List<Path> ruleFiles() throws IOException {
    try (Stream<Path> files = Files.list(GRAFANA.resolve("prometheus"))) {
      return files.filter(p -> p.getFileName().toString().endsWith("rules.yml")).sorted().toList();
    }
  }

  /** Every rule test file. */
  static List<Path> ruleTests() throws IOException {
    try (Stream<Path> files = Files.list(GRAFANA.resolve("prometheus"))) {
      return files.filter(p -> p.getFileName().toString().endsWith("_test.yml")).sorted().toList();
    }
  }

  public static JsonObject json(Path file) throws IOException {
    return new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
  }

  /** The PromQL of a dashboard: every Prometheus target and every Prometheus template variable. */
  static List<Query> promql(String file, JsonObject dashboard) {
    return queries(file, dashboard, OperatorsFiles::isPrometheus, "expr", "query");
  }

  /** The SQL of a dashboard: every PostgreSQL target and template variable, as written (with macros). */
  public static List<Query> sql(String file, JsonObject dashboard) {
    return queries(file, dashboard, OperatorsFiles::isPostgres, "rawSql", "rawSql");
  }

  private static List<Query> queries(String file, JsonObject dashboard, Predicate<JsonObject> source,
                                     String targetField, String variableField) {
    List<Query> queries = new ArrayList<>();
    for (JsonObject panel : panels(dashboard)) {
      for (JsonObject target : targets(panel)) {
        if (source.test(target.getJsonObject("datasource", panel.getJsonObject("datasource")))
          && target.getString(targetField) != null) {
          queries.add(new Query(file + " panel '" + panel.getString("title") + "'", target.getString(targetField)));
        }
      }
    }
    for (JsonObject variable : variables(dashboard)) {
      if (source.test(variable.getJsonObject("datasource"))) {
        Object query = variable.getValue("query");
        String text = query instanceof JsonObject ? ((JsonObject) query).getString(variableField) : (String) query;
        queries.add(new Query(file + " variable '" + variable.getString("name") + "'", text));
      }
    }
    return queries;
  }

  /** The expressions of the alert and recording rules of a rule file. */
  @SuppressWarnings("unchecked")
  static List<Query> rules(Path file) throws IOException {
    Map<String, Object> doc = new Yaml().load(Files.readString(file, StandardCharsets.UTF_8));
    List<Query> queries = new ArrayList<>();
    for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
      for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
        Object name = rule.containsKey("alert") ? rule.get("alert") : rule.get("record");
        queries.add(new Query(file.getFileName() + " rule " + name, String.valueOf(rule.get("expr"))));
      }
    }
    return queries;
  }

  /**
   * The metric names a PromQL expression reads: identifiers that are neither functions, keywords,
   * label names (inside braces or grouping clauses), durations nor strings.
   */
  static Set<String> metricNames(String promql) {
    String text = promql
      .replaceAll("label_values\\(\\s*([^,()]+?)\\s*,\\s*\\w+\\s*\\)", "$1")
      .replaceAll("label_values\\(\\s*\\w+\\s*\\)", " ")
      .replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
      .replaceAll("'(?:[^'\\\\]|\\\\.)*'", "''")
      .replaceAll("\\{[^}]*}", " ")
      .replaceAll("\\[[^]]*]", " ")
      .replaceAll("\\$\\{?\\w+}?", " ");
    text = GROUPING.matcher(text).replaceAll(" ");
    text = text.replaceAll("\\b\\d+(\\.\\d+)?(e[+-]?\\d+)?\\b", " ");
    Set<String> names = new LinkedHashSet<>();
    Matcher m = IDENTIFIER.matcher(text);
    while (m.find()) {
      String word = m.group();
      int after = m.end();
      while (after < text.length() && Character.isWhitespace(text.charAt(after))) {
        after++;
      }
      boolean function = after < text.length() && text.charAt(after) == '(';
      if (!function && !PROMQL_WORDS.contains(word.toLowerCase(java.util.Locale.ROOT))) {
        names.add(word);
      }
    }
    return names;
  }

  /** The names of the samples of a Prometheus text exposition ({@code name_bucket}, {@code name_count}, …). */
  static Set<String> sampleNames(String exposition) {
    Set<String> names = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = IDENTIFIER.matcher(line);
      if (m.lookingAt()) {
        names.add(m.group());
      }
    }
    return names;
  }

  /** The exposition without the samples of one metric (as if it had been renamed). */
  static String without(String exposition, String metric) {
    StringBuilder kept = new StringBuilder();
    for (String line : exposition.split("\n")) {
      if (!(line.startsWith(metric + "{") || line.startsWith(metric + " "))) {
        kept.append(line).append('\n');
      }
    }
    return kept.toString();
  }

  /** Each query that reads a metric the exposition does not have, with the names it misses. */
  static List<String> unknownMetrics(List<Query> queries, Set<String> exported) {
    List<String> problems = new ArrayList<>();
    for (Query q : queries) {
      Set<String> missing = new TreeSet<>(metricNames(q.text()));
      missing.removeAll(exported);
      if (!missing.isEmpty()) {
        problems.add(q.where() + " names " + missing + ", which the gateway does not export");
      }
    }
    return problems;
  }

  /**
   * Grafana's PostgreSQL macros and variables expanded as Grafana expands them, for a time range
   * of the last day and the given campaign ids. A {@code $} left over fails: the check must know
   * every macro the dashboards use.
   */
  public static String expand(String sql, String campaignIds) {
    String from = "'2000-01-01T00:00:00Z'::timestamptz";
    String to = "now()";
    String text = sql
      .replaceAll("\\$__timeFilter\\(([^)]+)\\)", "$1 BETWEEN " + from + " AND " + to)
      .replaceAll("\\$__timeGroupAlias\\(([^,]+),\\s*'?([0-9]+)([smhd])'?\\)", "floor(extract(epoch from $1)/SEC$2$3)*SEC$2$3 AS \"time\"")
      .replaceAll("\\$__timeGroupAlias\\(([^,]+),\\s*\\$__interval\\)", "floor(extract(epoch from $1)/60)*60 AS \"time\"")
      .replaceAll("\\$__timeGroup\\(([^,]+),\\s*\\$__interval\\)", "floor(extract(epoch from $1)/60)*60")
      .replace("$__timeFrom()", from)
      .replace("$__timeTo()", to)
      .replace("${campaign:csv}", campaignIds)
      .replace("$campaign", campaignIds);
    Matcher secs = Pattern.compile("SEC([0-9]+)([smhd])").matcher(text);
    StringBuilder out = new StringBuilder();
    while (secs.find()) {
      long n = Long.parseLong(secs.group(1));
      long unit = switch (secs.group(2)) {
        case "s" -> 1;
        case "m" -> 60;
        case "h" -> 3600;
        default -> 86400;
      };
      secs.appendReplacement(out, Long.toString(n * unit));
    }
    secs.appendTail(out);
    if (out.indexOf("$") >= 0) {
      throw new AssertionError("a Grafana macro or variable the check does not know is left in: " + out);
    }
    return out.toString();
  }

  /** Runs each query (macros expanded) on the connection; the failures, each with its query's place. */
  public static List<String> failingSql(Connection connection, List<Query> queries, String campaignIds) {
    List<String> problems = new ArrayList<>();
    for (Query q : queries) {
      String sql = expand(q.text(), campaignIds);
      try (Statement st = connection.createStatement()) {
        st.execute(sql);
      } catch (SQLException e) {
        problems.add(q.where() + ": " + e.getMessage());
      }
    }
    return problems;
  }

  private static List<JsonObject> panels(JsonObject dashboard) {
    List<JsonObject> all = new ArrayList<>();
    collect(dashboard.getJsonArray("panels", new JsonArray()), all);
    return all;
  }

  private static void collect(JsonArray panels, List<JsonObject> into) {
    for (int i = 0; i < panels.size(); i++) {
      JsonObject panel = panels.getJsonObject(i);
      into.add(panel);
      collect(panel.getJsonArray("panels", new JsonArray()), into);
    }
  }

  private static List<JsonObject> targets(JsonObject panel) {
    List<JsonObject> targets = new ArrayList<>();
    JsonArray array = panel.getJsonArray("targets", new JsonArray());
    for (int i = 0; i < array.size(); i++) {
      targets.add(array.getJsonObject(i));
    }
    return targets;
  }

  private static List<JsonObject> variables(JsonObject dashboard) {
    List<JsonObject> variables = new ArrayList<>();
    JsonArray list = dashboard.getJsonObject("templating", new JsonObject()).getJsonArray("list", new JsonArray());
    for (int i = 0; i < list.size(); i++) {
      JsonObject v = list.getJsonObject(i);
      if ("query".equals(v.getString("type"))) {
        variables.add(v);
      }
    }
    return variables;
  }

  private static boolean isPrometheus(JsonObject datasource) {
    return datasource != null && "prometheus".equals(datasource.getString("type"));
  }

  private static boolean isPostgres(JsonObject datasource) {
    return datasource != null && ("grafana-postgresql-datasource".equals(datasource.getString("type"))
      || "postgres".equals(datasource.getString("type")));
  }
}
