package dev.relay.gateway.api;

import dev.relay.gateway.intake.UnicodeText;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.store.ConversionStore;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Currency;

/** {@code POST /v1/conversions}: a conversion of a recipient, recorded once per key and attributed to campaigns. */
final class ConversionRoutes {

  /** How far in the future a conversion's time may be (clocks differ). */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
  /** The largest value: numeric(20, 4). */
  private static final BigDecimal MAX_VALUE = new BigDecimal("1e16");
  private static final int MAX_SCALE = 4;
  /** Nothing was sent before this; PostgreSQL's range ends far earlier than java.time's. */
  private static final OffsetDateTime EARLIEST = OffsetDateTime.parse("2000-01-01T00:00:00Z");

  private final ConversionStore store;
  private final RelayMetrics metrics;

  ConversionRoutes(ConversionStore store, RelayMetrics metrics) {
    this.store = store;
    this.metrics = metrics;
  }

  void record(RoutingContext ctx) {
    ValidatedRequest request = ctx.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    JsonObject body = request.getBody().getJsonObject();
    ConversionStore.NewConversion conversion;
    try {
      conversion = parse(ApiKeyAuth.tenant(ctx).id(), body);
    } catch (ApiProblem problem) {
      metrics.conversion("rejected");
      ctx.fail(problem);
      return;
    }
    store.record(conversion)
      .onSuccess(recorded -> {
        switch (recorded.kind()) {
          case STORED, REPLAYED -> {
            boolean replayed = recorded.kind() == ConversionStore.Kind.REPLAYED;
            metrics.conversion(replayed ? "replayed" : "accepted");
            if (replayed) {
              ctx.response().putHeader("Idempotent-Replayed", "true");
            }
            ctx.response().setStatusCode(201).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
              .end(recorded.answer().toBuffer());
          }
          case KEY_REUSED -> reject(ctx, ApiProblem.of(422, "idempotency-key-reused", "Key reused",
            "Conversion key '" + conversion.key() + "' was already used for another conversion; nothing was stored."));
          case UNKNOWN_RECIPIENT -> reject(ctx, ApiProblem.of(422, "unknown-recipient", "Unknown recipient",
            "No message of this tenant ever went to recipient '" + conversion.recipientId()
              + "'; nothing was stored.").with("recipient_id", conversion.recipientId()));
          case UNKNOWN_CAMPAIGN -> reject(ctx, ApiProblem.of(422, "unknown-campaign", "Unknown campaign",
            "There is no campaign '" + conversion.campaign() + "'; nothing was stored.")
            .with("campaign", conversion.campaign()));
          default -> throw new IllegalStateException("unexpected outcome " + recorded.kind());
        }
      })
      .onFailure(ctx::fail);
  }

  private void reject(RoutingContext ctx, ApiProblem problem) {
    metrics.conversion("rejected");
    ctx.fail(problem);
  }

  static ConversionStore.NewConversion parse(long tenantId, JsonObject body) {
    UnicodeText.Finding bad = UnicodeText.find(body, "", UnicodeText.Controls.NONE);
    if (bad != null) {
      throw ApiProblem.invalidText(bad);
    }
    String recipient = body.getString("recipient_id");
    if (recipient.isBlank()) {
      throw ApiProblem.of(422, "invalid-recipient", "Invalid recipient", "'recipient_id' must not be blank.");
    }
    OffsetDateTime occurredAt;
    try {
      occurredAt = OffsetDateTime.parse(body.getString("occurred_at"), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    } catch (DateTimeParseException e) {
      throw ApiProblem.of(422, "invalid-occurred-at", "Invalid time",
        "'occurred_at' must be an RFC 3339 date-time with an offset, such as 2026-12-07T10:15:30Z.");
    }
    if (occurredAt.isBefore(EARLIEST)) {
      throw ApiProblem.of(422, "invalid-occurred-at", "Invalid time", "'occurred_at' is before " + EARLIEST + ".");
    }
    if (occurredAt.isAfter(OffsetDateTime.now().plus(CLOCK_SKEW))) {
      throw ApiProblem.of(422, "invalid-occurred-at", "Invalid time",
        "'occurred_at' is in the future (more than " + CLOCK_SKEW.toMinutes() + " minutes ahead of the gateway's clock).")
        .with("limit_seconds", CLOCK_SKEW.toSeconds());
    }
    BigDecimal value = null;
    if (body.getValue("value") != null) {
      try {
        value = new BigDecimal(body.getValue("value").toString());
      } catch (NumberFormatException e) {
        // A number beyond a double's range is read as infinity.
        value = MAX_VALUE;
      }
      if (value.signum() < 0 || value.compareTo(MAX_VALUE) >= 0 || value.stripTrailingZeros().scale() > MAX_SCALE) {
        throw ApiProblem.of(422, "invalid-value", "Invalid value",
          "'value' must be at least 0, below 10^16, with at most " + MAX_SCALE + " decimals.");
      }
    }
    String currency = body.getString("currency");
    if (value != null && currency == null) {
      throw ApiProblem.of(422, "currency-required", "Currency required", "A 'value' needs its 'currency'.");
    }
    if (currency != null) {
      if (value == null) {
        throw ApiProblem.of(422, "invalid-currency", "Invalid currency", "A 'currency' goes with a 'value'.");
      }
      if (!isCurrency(currency)) {
        throw ApiProblem.of(422, "invalid-currency", "Invalid currency",
          "'" + currency + "' is not an ISO 4217 currency code (three capital letters, such as EUR).");
      }
    }
    return new ConversionStore.NewConversion(tenantId, body.getString("key"), recipient, occurredAt, value, currency,
      body.getString("campaign"));
  }

  private static boolean isCurrency(String code) {
    if (!code.matches("[A-Z]{3}")) {
      return false;
    }
    try {
      return Currency.getInstance(code).getCurrencyCode().equals(code);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
