package dev.relay.gateway.track;

/**
 * What a verified tracking token says: which message, and for a click, which link.
 *
 * @param kind       open pixel, click or unsubscribe
 * @param messageId  the message the token was made for
 * @param templateId for a click on a link written in the template, the template version's id; 0 otherwise
 * @param linkIndex  for such a click, the link's index in {@code TemplateLinks.of(definition)}; -1 otherwise
 * @param url        for a click on a link whose href held variables, the URL as rendered; null otherwise
 */
public record TrackingToken(Kind kind, long messageId, long templateId, int linkIndex, String url) {

  /** What the token's URL is for. */
  public enum Kind {
    /** The open pixel, {@code /t/o/{token}}. */
    OPEN,
    /** A tracked link, {@code /t/c/{token}}. */
    CLICK,
    /** The unsubscribe page and one-click POST, {@code /u/{token}}. */
    UNSUBSCRIBE
  }

  /** Whether this click names a link of the template (resolved through the template version) rather than a URL. */
  public boolean isTemplateLink() {
    return kind == Kind.CLICK && url == null && templateId != 0;
  }

  /**
   * Whether this is the hidden decoy link put in every email's HTML: template version 0 (no version has
   * that id), link 0. No person sees it; a click on it is a link scanner's.
   */
  public boolean isDecoy() {
    return kind == Kind.CLICK && url == null && templateId == 0;
  }
}
