package dev.relay.gateway.track;

import io.vertx.core.json.JsonObject;

/**
 * One open or click as the tracking endpoint saw it, with its request-time verdict: a line of the
 * tracking journal, and later a row of {@code events}.
 *
 * @param id        random id, so that a replayed journal never writes the same hit twice
 * @param type      {@code opened} or {@code clicked}
 * @param link      for a click, which link: {@code templateId:index}, the rendered URL, or {@code decoy}; null for an open
 * @param url       for a click, the URL the recipient was sent to (the link's destination); null for an open or the decoy
 * @param at        when it came, in epoch milliseconds
 * @param ip        the client's address: the direct peer, or the address a trusted proxy forwarded
 */
public record Hit(String id, String type, long messageId, String link, String url, long at, String method,
                  String userAgent, String ip, EventClass klass, String reason) {

  public static final String OPENED = "opened";
  public static final String CLICKED = "clicked";
  private static final int MAX_USER_AGENT = 512;

  public Hit {
    if (userAgent != null && userAgent.length() > MAX_USER_AGENT) {
      userAgent = userAgent.substring(0, MAX_USER_AGENT);
    }
  }

  public Hit withVerdict(Classifier.Verdict verdict) {
    return new Hit(id, type, messageId, link, url, at, method, userAgent, ip, verdict.klass(), verdict.reason());
  }

  public Classifier.Verdict verdict() {
    return new Classifier.Verdict(klass, reason);
  }

  /** The journal line. */
  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("type", type).put("message", messageId).put("link", link).put("url", url).put("at", at)
      .put("method", method).put("ua", userAgent).put("ip", ip).put("class", klass == null ? null : klass.wireName()).put("reason", reason);
  }

  public static Hit fromJson(JsonObject json) {
    return new Hit(json.getString("id"), json.getString("type"), json.getLong("message"), json.getString("link"),
      json.getString("url"), json.getLong("at"), json.getString("method"), json.getString("ua"), json.getString("ip"), EventClass.of(json.getString("class")),
      json.getString("reason"));
  }

  /** What the event row keeps of the request (its {@code data}). */
  public JsonObject eventData() {
    JsonObject data = new JsonObject().put("hit", id).put("method", method);
    if (link != null) {
      data.put("link", link);
    }
    if (url != null) {
      data.put("url", url);
    }
    if (userAgent != null) {
      data.put("user_agent", userAgent);
    }
    if (ip != null) {
      data.put("ip", ip);
    }
    return data;
  }
}
