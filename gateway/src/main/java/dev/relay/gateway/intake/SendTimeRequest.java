package dev.relay.gateway.intake;

import io.vertx.core.json.JsonObject;

/**
 * What a batch asks of send-time optimization ({@code "send_time": {"optimize": true, "within_hours": 24,
 * "default_hour": 10}}): each message due at its recipient's reading hour within {@code withinHours} of the
 * batch's start; {@code defaultHour} (local, 0 to 23; null: the population's best hour) for recipients
 * without enough history.
 */
public record SendTimeRequest(int withinHours, Integer defaultHour) {

  /** The shortest window: one hour. */
  public static final int MIN_HOURS = 1;
  /** The longest window: seven days. */
  public static final int MAX_HOURS = 7 * 24;

  /**
   * The request of a batch body whose shape the OpenAPI document validated; null when it asks for none
   * ({@code send_time} absent or {@code optimize} false). A window out of range, a default hour out of
   * range or a transactional batch is an {@link InvalidBatchException} that points at the field.
   */
  public static SendTimeRequest of(JsonObject body) {
    JsonObject sendTime = body.getJsonObject("send_time");
    if (sendTime == null || !sendTime.getBoolean("optimize", false)) {
      return null;
    }
    if ("transactional".equals(body.getString("priority"))) {
      throw new InvalidBatchException("send-time-transactional",
        "send_time optimization is for marketing batches: a transactional message goes now. Nothing was stored.",
        new JsonObject().put("pointer", "/send_time/optimize"));
    }
    // Read as a number: a huge one must not wrap around into range as an int.
    Number within = sendTime.getNumber("within_hours");
    if (within.doubleValue() < MIN_HOURS || within.doubleValue() > MAX_HOURS) {
      throw new InvalidBatchException("send-time-window",
        "send_time.within_hours must be " + MIN_HOURS + " to " + MAX_HOURS + " (7 days); this batch asks for " + within
          + ". Nothing was stored.",
        new JsonObject().put("pointer", "/send_time/within_hours").put("minimum", MIN_HOURS).put("maximum", MAX_HOURS)
          .put("actual", within));
    }
    Number hour = sendTime.getNumber("default_hour");
    if (hour != null && (hour.doubleValue() < 0 || hour.doubleValue() > 23)) {
      throw new InvalidBatchException("send-time-default-hour",
        "send_time.default_hour is a local hour, 0 to 23; this batch gives " + hour + ". Nothing was stored.",
        new JsonObject().put("pointer", "/send_time/default_hour").put("actual", hour));
    }
    return new SendTimeRequest(within.intValue(), hour == null ? null : hour.intValue());
  }
}
