package dev.relay.adapters.email;

import dev.relay.adapters.spi.WebhookRejectedException;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** What the SendGrid and Mailgun verifiers have in common: the replay window and the message id's form. */
final class WebhookChecks {

  private WebhookChecks() {
  }

  /**
   * The signed timestamp, in Unix seconds, when it is within {@code tolerance} of now (either way);
   * otherwise the call is rejected.
   *
   * @param what how to name the timestamp in the rejection
   */
  static Instant fresh(String timestamp, String what, Clock clock, Duration tolerance) {
    if (timestamp == null || timestamp.isBlank()) {
      throw new WebhookRejectedException(what + " is missing");
    }
    long seconds;
    try {
      seconds = Long.parseLong(timestamp.trim());
    } catch (NumberFormatException e) {
      throw new WebhookRejectedException(what + " is not a number of seconds");
    }
    Instant signedAt = Instant.ofEpochSecond(seconds);
    if (Duration.between(signedAt, clock.instant()).abs().compareTo(tolerance) > 0) {
      throw new WebhookRejectedException(what + " is more than " + tolerance.toSeconds()
        + " seconds from now: a stale or replayed call");
    }
    return signedAt;
  }

  /** A Message-ID without the angle brackets it is written in. */
  static String bare(String messageId) {
    String trimmed = messageId.trim();
    return trimmed.startsWith("<") && trimmed.endsWith(">") ? trimmed.substring(1, trimmed.length() - 1) : trimmed;
  }

  /** Copies {@code key} of {@code from} into {@code to}, under {@code as}, when it is there. */
  static void keep(JsonObject from, String key, JsonObject to, String as) {
    Object value = from.getValue(key);
    if (value != null) {
      to.put(as, value);
    }
  }
}
