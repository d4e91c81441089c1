package dev.relay.loadtests;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The benchmark's recipients, made deterministically from a global index: recipient {@code g} always
 * has the same id, address, locale, time zone and variables. Batch {@code n} holds recipients
 * {@code n * size} to {@code n * size + size - 1}, so ids are distinct across a whole run, and the
 * same rows can be written once as a {@code POST /v1/batches} body and once as {@code COPY} text.
 */
final class Recipients {

  /** The campaign every batch names; the gateway creates it on the first batch. */
  static final String CAMPAIGN = "bench";
  /** The tenant the benchmark's API key belongs to. */
  static final String TENANT = "bench";
  /** The priority of every batch, stored on each message row. */
  static final String PRIORITY = "marketing";
  /** The gateway's default time to live of a message (intake.default-ttl-seconds): 72 hours. */
  static final long TTL_SECONDS = 259_200;

  /** The columns the baseline's COPY fills: those the gateway's own INSERT ... SELECT fills. */
  static final String COPY_COLUMNS =
    "batch_id, tenant_id, campaign_id, recipient_id, addresses, locale, time_zone, variables, priority, due_at, expires_at";

  private static final String[] FIRST_NAMES = {"Ayse", "Mehmet", "Elif", "Can", "Zeynep", "Emre", "Deniz", "Selin"};
  private static final String[] PLANS = {"free", "silver", "gold"};
  private static final String[] LOCALES = {"en-US", "tr-TR", "de-DE"};
  private static final String[] ZONES = {"Europe/Istanbul", "Europe/Berlin", "America/New_York"};
  private static final int ROW_BYTES_ESTIMATE = 256;

  private final int batchSize;

  Recipients(int batchSize) {
    this.batchSize = batchSize;
  }

  int batchSize() {
    return batchSize;
  }

  /** The JSON body of batch {@code batch}: all its recipients, valid, with distinct ids. */
  byte[] requestBody(long batch) {
    StringBuilder json = new StringBuilder(batchSize * ROW_BYTES_ESTIMATE);
    json.append("{\"campaign\":\"").append(CAMPAIGN)
      .append("\",\"template\":\"welcome\",\"channels\":[\"email\"],\"priority\":\"").append(PRIORITY)
      .append("\",\"recipients\":[");
    long first = batch * batchSize;
    for (int i = 0; i < batchSize; i++) {
      long g = first + i;
      if (i > 0) {
        json.append(',');
      }
      json.append("{\"id\":\"").append(id(g))
        .append("\",\"addresses\":").append(addresses(g))
        .append(",\"locale\":\"").append(locale(g))
        .append("\",\"time_zone\":\"").append(zone(g))
        .append("\",\"variables\":").append(variables(g))
        .append('}');
    }
    return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The same recipients as {@link #requestBody} in COPY text format, one line per message row with
   * the values the gateway stores: {@code due_at} now, {@code expires_at} due_at plus the default TTL.
   */
  byte[] copyRows(long batch, UUID batchId, long tenantId, long campaignId, String dueAt, String expiresAt) {
    StringBuilder text = new StringBuilder(batchSize * ROW_BYTES_ESTIMATE);
    String prefix = batchId + "\t" + tenantId + "\t" + campaignId + "\t";
    String suffix = "\t" + PRIORITY + "\t" + dueAt + "\t" + expiresAt + "\n";
    long first = batch * batchSize;
    for (int i = 0; i < batchSize; i++) {
      long g = first + i;
      // None of the values holds a backslash, tab or newline, so no COPY escaping is needed.
      text.append(prefix)
        .append(id(g)).append('\t')
        .append(addresses(g)).append('\t')
        .append(locale(g)).append('\t')
        .append(zone(g)).append('\t')
        .append(variables(g))
        .append(suffix);
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The id of the {@code index}-th recipient (from 0) of batch {@code batch}. */
  String recipientId(long batch, int index) {
    return id(batch * batchSize + index);
  }

  /** The global index of a recipient from its id ({@code r-<index>}); -1 for an id this class did not make. */
  static long indexOf(String recipientId) {
    if (recipientId == null || !recipientId.startsWith("r-")) {
      return -1;
    }
    try {
      return Long.parseLong(recipientId, 2, recipientId.length(), 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String id(long g) {
    return "r-" + g;
  }

  private static String addresses(long g) {
    return "{\"email\":\"r" + g + "@example.com\"}";
  }

  private static String locale(long g) {
    return LOCALES[(int) (g % LOCALES.length)];
  }

  private static String zone(long g) {
    return ZONES[(int) (g / 7 % ZONES.length)];
  }

  private static String variables(long g) {
    return "{\"first_name\":\"" + FIRST_NAMES[(int) (g % FIRST_NAMES.length)]
      + "\",\"plan\":\"" + PLANS[(int) (g / 3 % PLANS.length)]
      + "\",\"points\":" + (g * 37 % 5000) + "}";
  }
}
