package dev.relay.gateway.render;

import dev.relay.gateway.track.TrackingTokens;

import java.nio.charset.StandardCharsets;

/**
 * The tracking URLs of messages: {@code {base}/t/o/{token}} (open pixel), {@code {base}/t/c/{token}}
 * (click redirect) and {@code {base}/u/{token}} (unsubscribe page and RFC 8058 one-click POST). They
 * need no HTML escaping: the base is checked, and tokens are base64url.
 */
public final class Tracking {

  private final TrackingTokens tokens;
  private final byte[] open;
  private final byte[] click;
  private final byte[] unsubscribe;

  /**
   * @param publicBaseUrl where recipients reach this gateway, such as {@code https://relay.example.com}: an
   *                      http(s) URL of printable ASCII without characters HTML would need escaped, so that
   *                      tracking URLs go into HTML as they are
   */
  public Tracking(String publicBaseUrl, TrackingTokens tokens) {
    String base = publicBaseUrl.endsWith("/") ? publicBaseUrl.substring(0, publicBaseUrl.length() - 1) : publicBaseUrl;
    if (!base.matches("https?://[\\x21-\\x7e&&[^&<>\"'`]]+")) {
      throw new IllegalArgumentException("http.public-base-url must be an http(s) URL of printable ASCII without "
        + "& < > \" ' or `, not '" + publicBaseUrl + "'");
    }
    this.tokens = tokens;
    this.open = (base + "/t/o/").getBytes(StandardCharsets.US_ASCII);
    this.click = (base + "/t/c/").getBytes(StandardCharsets.US_ASCII);
    this.unsubscribe = (base + "/u/").getBytes(StandardCharsets.US_ASCII);
  }

  public TrackingTokens tokens() {
    return tokens;
  }

  public String openUrl(long messageId) {
    return tokens.open(messageId, open);
  }

  public String clickUrl(long messageId, long templateId, int linkIndex) {
    return tokens.click(messageId, templateId, linkIndex, click);
  }

  public String clickUrl(long messageId, String url) {
    return tokens.click(messageId, url, click);
  }

  /** The hidden decoy link's URL (a click token no person follows; see the tracking classifier). */
  public String decoyUrl(long messageId) {
    return tokens.decoy(messageId, click);
  }

  public String unsubscribeUrl(long messageId) {
    return tokens.unsubscribe(messageId, unsubscribe);
  }
}
