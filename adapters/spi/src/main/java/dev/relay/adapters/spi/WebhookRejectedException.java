package dev.relay.adapters.spi;

/** A webhook call that failed verification: it is answered 401 and stored nowhere. */
public final class WebhookRejectedException extends RuntimeException {

  public WebhookRejectedException(String reason) {
    super(reason, null, false, false);
  }
}
