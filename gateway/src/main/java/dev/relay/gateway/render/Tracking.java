package dev.relay.gateway.render;

import dev.relay.gateway.track.TrackingTokens;

/**
 * The tracking URLs of messages: {@code {base}/t/o/{token}} (open pixel), {@code {base}/t/c/{token}}
 * (click redirect) and {@code {base}/u/{token}} (unsubscribe page and RFC 8058 one-click POST).
 */
public final class Tracking {

  private final String base;
  private final TrackingTokens tokens;

  /** @param publicBaseUrl where recipients reach this gateway, such as {@code https://relay.example.com} */
  public Tracking(String publicBaseUrl, TrackingTokens tokens) {
    this.base = publicBaseUrl.endsWith("/") ? publicBaseUrl.substring(0, publicBaseUrl.length() - 1) : publicBaseUrl;
    this.tokens = tokens;
  }

  public TrackingTokens tokens() {
    return tokens;
  }

  public String openUrl(long messageId) {
    return base + "/t/o/" + tokens.open(messageId);
  }

  public String clickUrl(long messageId, long templateId, int linkIndex) {
    return base + "/t/c/" + tokens.click(messageId, templateId, linkIndex);
  }

  public String clickUrl(long messageId, String url) {
    return base + "/t/c/" + tokens.click(messageId, url);
  }

  public String unsubscribeUrl(long messageId) {
    return base + "/u/" + tokens.unsubscribe(messageId);
  }
}
