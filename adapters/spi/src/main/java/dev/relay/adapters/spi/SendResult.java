package dev.relay.adapters.spi;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What became of one message handed to a provider. The dispatcher decides from this alone whether to
 * record the message sent, retry it later (on this or another account), or give up on this channel.
 */
public final class SendResult {

  /** The three outcomes. */
  public enum Kind {
    /** The provider took the message; {@link #providerMessageId()} is its id. */
    ACCEPTED,
    /** A transient failure (throttling, a 5xx, a timeout): retry later, maybe on another account. */
    RETRYABLE,
    /** The message cannot be sent this way (bad address, hard bounce, rejected content). */
    PERMANENT
  }

  private final Kind kind;
  private final String providerMessageId;
  private final String reason;
  private final Duration retryAfter;
  private final boolean throttled;
  private final JsonObject details;

  private SendResult(Kind kind, String providerMessageId, String reason, Duration retryAfter, boolean throttled,
                     JsonObject details) {
    this.kind = kind;
    this.providerMessageId = providerMessageId;
    this.reason = reason;
    this.retryAfter = retryAfter;
    this.throttled = throttled;
    this.details = details;
  }

  private SendResult(Kind kind, String providerMessageId, String reason, Duration retryAfter, boolean throttled) {
    this(kind, providerMessageId, reason, retryAfter, throttled, null);
  }

  /** Accepted by the provider under its id. */
  public static SendResult accepted(String providerMessageId) {
    return accepted(providerMessageId, null);
  }

  /**
   * Accepted, with facts about the send worth keeping with the message (for SMS, the encoding and the
   * number of segments billed); the gateway records them in the message's {@code sent} event.
   */
  public static SendResult accepted(String providerMessageId, JsonObject details) {
    return new SendResult(Kind.ACCEPTED, Objects.requireNonNull(providerMessageId, "providerMessageId"), null, null,
      false, details == null ? null : details.copy());
  }

  /** A transient failure; {@code retryAfter} is the provider's hint, or null. */
  public static SendResult retryable(String reason, Duration retryAfter) {
    return new SendResult(Kind.RETRYABLE, null, Objects.requireNonNull(reason, "reason"), retryAfter, false);
  }

  /** The provider is throttling this account (HTTP 429, SMTP 421/451/454); {@code retryAfter} may be null. */
  public static SendResult throttled(String reason, Duration retryAfter) {
    return new SendResult(Kind.RETRYABLE, null, Objects.requireNonNull(reason, "reason"), retryAfter, true);
  }

  /** A permanent failure, with the provider's reason. */
  public static SendResult permanent(String reason) {
    return new SendResult(Kind.PERMANENT, null, Objects.requireNonNull(reason, "reason"), null, false);
  }

  public Kind kind() {
    return kind;
  }

  public boolean isAccepted() {
    return kind == Kind.ACCEPTED;
  }

  public boolean isTransient() {
    return kind == Kind.RETRYABLE;
  }

  public boolean isPermanent() {
    return kind == Kind.PERMANENT;
  }

  /** Whether the failure was the provider throttling this account. */
  public boolean isThrottled() {
    return throttled;
  }

  /** The provider's id of an accepted message; null otherwise. */
  public String providerMessageId() {
    return providerMessageId;
  }

  /** Why a failed message failed; null when accepted. */
  public String reason() {
    return reason;
  }

  /** Facts about an accepted send that the adapter reported, when it did. */
  public Optional<JsonObject> details() {
    return Optional.ofNullable(details).map(JsonObject::copy);
  }

  /** The provider's Retry-After for a transient failure, when it gave one. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  @Override
  public String toString() {
    return kind == Kind.ACCEPTED ? "accepted " + providerMessageId : kind.name().toLowerCase() + " " + reason;
  }
}
