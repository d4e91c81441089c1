package dev.relay.adapters.sms;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.spi.WebhookVerifier;
import io.vertx.core.json.JsonObject;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Verifies and reads Twilio's calls to the account's webhook URL: status callbacks of sent messages and
 * incoming messages (a recipient's reply). See the {@linkplain dev.relay.adapters.sms package documentation}
 * for what becomes which event.
 */
final class TwilioWebhooks implements WebhookVerifier {

  /** The header that carries Twilio's signature. */
  static final String SIGNATURE_HEADER = "X-Twilio-Signature";

  /** Replies that opt a recipient out, as carriers and Twilio's default opt-out handling recognize them. */
  static final Set<String> STOP_WORDS = Set.of("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT");

  /** Error codes of an undelivered message that mean the number cannot be reached at all. */
  static final Set<String> UNREACHABLE_CODES = Set.of("30003", "30005", "30006");

  private final TwilioSignature signature;
  private final Clock clock;

  TwilioWebhooks(String authToken, Clock clock) {
    this.signature = new TwilioSignature(authToken);
    this.clock = clock;
  }

  @Override
  public List<WebhookEvent> verify(WebhookRequest request) {
    String given = request.headers().get(SIGNATURE_HEADER);
    if (given == null || given.isBlank()) {
      throw new WebhookRejectedException(SIGNATURE_HEADER + " is missing");
    }
    List<Map.Entry<String, String>> params = "POST".equalsIgnoreCase(request.method())
      ? form(request.body() == null ? "" : request.body().toString(StandardCharsets.UTF_8)) : List.of();
    if (!signature.matches(given, request.url(), params)) {
      throw new WebhookRejectedException(SIGNATURE_HEADER + " does not match the URL and parameters");
    }
    return events(params);
  }

  private List<WebhookEvent> events(List<Map.Entry<String, String>> params) {
    String messageSid = first(params, "MessageSid");
    if (messageSid == null) {
      throw new IllegalArgumentException("a Twilio messaging webhook must carry MessageSid");
    }
    String status = first(params, "MessageStatus");
    String smsStatus = first(params, "SmsStatus");
    boolean inbound = "received".equals(status) || (status == null && ("received".equals(smsStatus)
      || first(params, "Body") != null || first(params, "OptOutType") != null));
    if (inbound) {
      return inbound(messageSid, params);
    }
    if (status == null) {
      throw new IllegalArgumentException("a Twilio status callback must carry MessageStatus");
    }
    String errorCode = first(params, "ErrorCode");
    WebhookEvent.Type type;
    switch (status) {
      case "delivered":
        type = WebhookEvent.Type.DELIVERED;
        break;
      case "undelivered":
      case "failed":
        type = errorCode != null && UNREACHABLE_CODES.contains(errorCode) ? WebhookEvent.Type.BOUNCED_HARD
          : WebhookEvent.Type.FAILED;
        break;
      default:
        // queued, accepted, sending, sent, scheduled, canceled, read: steps on the way, nothing to record.
        return List.of();
    }
    JsonObject detail = new JsonObject().put("status", status);
    if (errorCode != null) {
      detail.put("error_code", errorCode);
    }
    return List.of(new WebhookEvent(messageSid + ":" + status, messageSid, type, clock.instant(), detail));
  }

  private List<WebhookEvent> inbound(String messageSid, List<Map.Entry<String, String>> params) {
    String optOut = first(params, "OptOutType");
    String body = first(params, "Body");
    boolean stop = "STOP".equalsIgnoreCase(optOut)
      || (body != null && STOP_WORDS.contains(body.trim().toUpperCase(Locale.ROOT)));
    if (!stop) {
      return List.of();
    }
    String from = first(params, "From");
    if (from == null) {
      throw new IllegalArgumentException("a Twilio incoming message must carry From");
    }
    return List.of(new WebhookEvent(messageSid + ":stop", null, WebhookEvent.Type.UNSUBSCRIBED, clock.instant(),
      new JsonObject().put("address", from)));
  }

  private static String first(List<Map.Entry<String, String>> params, String name) {
    for (Map.Entry<String, String> param : params) {
      if (param.getKey().equals(name)) {
        return param.getValue().isEmpty() ? null : param.getValue();
      }
    }
    return null;
  }

  /** The pairs of an {@code application/x-www-form-urlencoded} body, in order, repeats kept. */
  static List<Map.Entry<String, String>> form(String body) {
    List<Map.Entry<String, String>> params = new ArrayList<>();
    if (body.isEmpty()) {
      return params;
    }
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      params.add(new AbstractMap.SimpleImmutableEntry<>(decode(name), decode(value)));
    }
    return params;
  }

  private static String decode(String part) {
    try {
      return URLDecoder.decode(part, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new WebhookRejectedException("the body is not a valid form: " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "Twilio webhook verifier";
  }
}
