package dev.relay.gateway.experiment;

import dev.relay.gateway.intake.InvalidBatchException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A campaign's test: the share of its recipients that is sent first ({@code test_share}, split across the variants),
 * how long after that the winner is chosen ({@code wait_seconds}), on what ({@code metric}), how sure the rule must
 * be ({@code confidence}), and what happens when no variant wins ({@code fallback}: a variant's name, or
 * {@value #SPLIT}: keep splitting). {@code variants} are the names of the variants it chooses among.
 */
public record ExperimentConfig(double testShare, int waitSeconds, Metric metric, double confidence, String fallback,
                               List<String> variants) {

  /** The fallback that keeps splitting the rest across the variants. */
  public static final String SPLIT = "split";
  /** The longest wait: 30 days. */
  public static final int MAX_WAIT_SECONDS = 30 * 24 * 3600;
  /** The confidence when none is given. */
  public static final double DEFAULT_CONFIDENCE = 0.95;
  static final double MIN_CONFIDENCE = 0.5;
  static final double MAX_CONFIDENCE = 0.999;
  private static final Set<String> FIELDS = Set.of("test_share", "wait_seconds", "metric", "confidence", "fallback");

  /** What the winner is chosen on: each a count of messages (unique per message) over the messages sent. */
  public enum Metric {
    /** Messages a person clicked (machine clicks are not counted). */
    HUMAN_CLICKS("human_clicks", "clicked_human"),
    /** Messages a person opened (machine opens are not counted). */
    HUMAN_OPENS("human_opens", "opened_human"),
    /** Messages that led to a conversion. */
    CONVERSIONS("conversions", "converted");

    private final String wireName;
    private final String counter;

    Metric(String wireName, String counter) {
      this.wireName = wireName;
      this.counter = counter;
    }

    public String wireName() {
      return wireName;
    }

    /** The per-variant counter (campaign_variant_counters.metric) that counts it. */
    public String counter() {
      return counter;
    }

    static Metric of(String wireName) {
      for (Metric m : values()) {
        if (m.wireName.equals(wireName)) {
          return m;
        }
      }
      return null;
    }
  }

  /**
   * Reads a batch's {@code experiment} object, given the names of the batch's variants. Throws
   * {@link InvalidBatchException} naming the field at fault.
   *
   * @param minWaitSeconds the shortest wait allowed (experiments.min-wait-seconds)
   */
  public static ExperimentConfig parse(JsonObject json, Set<String> variantNames, int minWaitSeconds) {
    if (variantNames.size() < 2) {
      throw new InvalidBatchException("experiment-needs-variants",
        "An experiment chooses among the batch's variants: give at least two; nothing was stored.",
        new JsonObject().put("pointer", "/variants"));
    }
    for (String field : json.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw invalid(field, "unknown field '" + field + "' (test_share, wait_seconds, metric, confidence, fallback)");
      }
    }
    double share = number(json, "test_share", null);
    if (!(share > 0 && share < 1)) {
      throw invalid("test_share", "test_share must be more than 0 and less than 1, not " + json.getValue("test_share"));
    }
    double wait = number(json, "wait_seconds", null);
    if (wait != Math.rint(wait) || wait < minWaitSeconds || wait > MAX_WAIT_SECONDS) {
      throw invalid("wait_seconds", "wait_seconds must be a whole number from " + minWaitSeconds + " to "
        + MAX_WAIT_SECONDS + " (30 days), not " + json.getValue("wait_seconds"));
    }
    Object metricValue = json.getValue("metric");
    Metric metric = metricValue instanceof String ? Metric.of((String) metricValue) : null;
    if (metric == null) {
      throw invalid("metric", "metric must be one of human_clicks, human_opens, conversions");
    }
    double confidence = number(json, "confidence", DEFAULT_CONFIDENCE);
    if (!(confidence >= MIN_CONFIDENCE && confidence <= MAX_CONFIDENCE)) {
      throw invalid("confidence", "confidence must be from " + MIN_CONFIDENCE + " to " + MAX_CONFIDENCE + ", not "
        + json.getValue("confidence"));
    }
    Object fallbackValue = json.getValue("fallback", SPLIT);
    if (!(fallbackValue instanceof String)) {
      throw invalid("fallback", "fallback must be the name of one of the batch's variants, or \"split\"");
    }
    String fallback = (String) fallbackValue;
    if (!SPLIT.equals(fallback) && !variantNames.contains(fallback)) {
      throw new InvalidBatchException("unknown-fallback-variant",
        "fallback '" + (fallback.length() > 40 ? fallback.substring(0, 40) + "…" : fallback)
          + "' is not one of the batch's variants (" + String.join(", ", new TreeSet<>(variantNames))
          + ") nor \"split\"; nothing was stored.",
        new JsonObject().put("pointer", "/experiment/fallback"));
    }
    return new ExperimentConfig(share, (int) wait, metric, confidence, fallback,
      List.copyOf(new TreeSet<>(variantNames)));
  }

  private static double number(JsonObject json, String field, Double fallback) {
    Object value = json.getValue(field);
    if (value == null && fallback != null) {
      return fallback;
    }
    if (!(value instanceof Number)) {
      throw invalid(field, field + (value == null ? " is missing" : " must be a number"));
    }
    return ((Number) value).doubleValue();
  }

  private static InvalidBatchException invalid(String field, String reason) {
    return new InvalidBatchException("invalid-experiment", "experiment." + reason + "; nothing was stored.",
      new JsonObject().put("pointer", "/experiment/" + field));
  }

  /** As kept in campaign_experiments.config and shown by the API. */
  public JsonObject toJson() {
    return new JsonObject()
      .put("test_share", testShare)
      .put("wait_seconds", waitSeconds)
      .put("metric", metric.wireName())
      .put("confidence", confidence)
      .put("fallback", fallback)
      .put("variants", new JsonArray(variants));
  }

  /** Reads what {@link #toJson} wrote. */
  public static ExperimentConfig fromJson(JsonObject json) {
    return new ExperimentConfig(json.getDouble("test_share"), json.getInteger("wait_seconds"),
      Objects.requireNonNull(Metric.of(json.getString("metric")), "metric"), json.getDouble("confidence"),
      json.getString("fallback"), json.getJsonArray("variants").stream().map(String.class::cast).toList());
  }

  /** Whether this recipient is in the test share (the stable draw of {@link Assignment#TEST}). */
  public boolean inTest(long tenantId, String campaign, String recipientId) {
    return Assignment.unit(Assignment.TEST, tenantId, campaign, recipientId) < testShare;
  }
}
