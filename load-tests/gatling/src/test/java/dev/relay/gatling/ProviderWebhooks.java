package dev.relay.gatling;

import dev.relay.adapters.testkit.twilio.TwilioFake;
import dev.relay.adapters.testkit.whatsapp.WhatsAppFake;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Provider webhooks as each provider sends them, signed with each provider's own scheme: the calls the
 * webhook simulation posts. A forged call is the same call signed with another secret, which the gateway
 * must reject. Every call carries a provider event id never used before, so that none is a replay.
 */
final class ProviderWebhooks {

  /** One call: the path it is posted to, its content type, its body and its signature header's value (or null). */
  record Call(String path, String contentType, String body, String signature) {
  }

  /** A provider's calls. */
  interface Provider {
    /** The provider's name in the simulation's report. */
    String name();

    /** The header that carries the signature; null when it is in the body. */
    String signatureHeader();

    /** A status report on a message, signed with the account's secret, or with another one when forged. */
    Call call(boolean forged);
  }

  /** Distinguishes this run's provider ids from every earlier run's. */
  private static final String RUN = Long.toString(System.currentTimeMillis(), 36);
  private static final AtomicLong SEQUENCE = new AtomicLong();

  private ProviderWebhooks() {
  }

  private static String nextId() {
    return RUN + SEQUENCE.incrementAndGet();
  }

  private static String forgedSecret(String secret) {
    return secret + "-forged";
  }

  /**
   * Twilio status callbacks: a form body, {@code X-Twilio-Signature} = base64 HMAC-SHA1 keyed by the auth token
   * over the URL Twilio called and the sorted parameters (signed by the testkit's {@link TwilioFake#sign}).
   * Nine in ten report {@code delivered}, the rest {@code undelivered} with error 30003 (a hard bounce).
   */
  static Provider twilio(String publicUrl, String account, String authToken) {
    String path = "/v1/webhooks/sms-twilio/" + account;
    String accountSid = "AC" + hex(16);
    return new Provider() {
      @Override
      public String name() {
        return "twilio";
      }

      @Override
      public String signatureHeader() {
        return "X-Twilio-Signature";
      }

      @Override
      public Call call(boolean forged) {
        String sid = "SM" + String.format("%32s", nextId()).replace(' ', '0');
        Map<String, String> params = new LinkedHashMap<>();
        boolean delivered = ThreadLocalRandom.current().nextInt(10) > 0;
        params.put("SmsSid", sid);
        params.put("SmsStatus", delivered ? "delivered" : "undelivered");
        params.put("MessageStatus", delivered ? "delivered" : "undelivered");
        if (!delivered) {
          params.put("ErrorCode", "30003");
        }
        params.put("To", "+1555" + (1_000_000 + ThreadLocalRandom.current().nextInt(9_000_000)));
        params.put("MessageSid", sid);
        params.put("AccountSid", accountSid);
        params.put("From", "+15550001111");
        params.put("ApiVersion", "2010-04-01");
        StringBuilder body = new StringBuilder();
        params.forEach((name, value) -> body.append(body.length() == 0 ? "" : "&")
          .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        String signature = TwilioFake.sign(forged ? forgedSecret(authToken) : authToken, publicUrl + path, params);
        return new Call(path, "application/x-www-form-urlencoded", body.toString(), signature);
      }
    };
  }

  /**
   * WhatsApp Business message statuses as Meta posts them: a JSON body, {@code X-Hub-Signature-256} =
   * {@code sha256=} hex HMAC-SHA256 of the raw body keyed by the app secret (both from the testkit's
   * {@link WhatsAppFake}). Half report {@code delivered}, half {@code read}.
   */
  static Provider whatsapp(String account, String appSecret) {
    String path = "/v1/webhooks/social-whatsapp/" + account;
    return new Provider() {
      @Override
      public String name() {
        return "whatsapp";
      }

      @Override
      public String signatureHeader() {
        return "X-Hub-Signature-256";
      }

      @Override
      public Call call(boolean forged) {
        String wamid = "wamid.gatling" + nextId();
        String status = ThreadLocalRandom.current().nextBoolean() ? "delivered" : "read";
        String body = WhatsAppFake.statusPayload(wamid, status, System.currentTimeMillis() / 1000, "15550001111", null)
          .encode();
        return new Call(path, "application/json", body, WhatsAppFake.sign(forged ? forgedSecret(appSecret) : appSecret, body));
      }
    };
  }

  /**
   * Mailgun event webhooks: a JSON body whose {@code signature} object holds a timestamp, a random token and the
   * hex HMAC-SHA256 of timestamp + token keyed by the webhook signing key (Mailgun's scheme, checked by the
   * gateway against a five-minute window). Events: delivered, opened or clicked, at random.
   */
  static Provider mailgun(String account, String signingKey) {
    String path = "/v1/webhooks/email-smtp/" + account;
    String[] events = {"delivered", "opened", "clicked"};
    return new Provider() {
      @Override
      public String name() {
        return "mailgun";
      }

      @Override
      public String signatureHeader() {
        return null;
      }

      @Override
      public Call call(boolean forged) {
        String id = nextId();
        String event = events[ThreadLocalRandom.current().nextInt(events.length)];
        long now = System.currentTimeMillis();
        String timestamp = Long.toString(now / 1000);
        String token = UUID.randomUUID().toString().replace("-", "");
        JsonObject data = new JsonObject().put("event", event).put("id", "gatling-" + id)
          .put("timestamp", now / 1000.0)
          .put("recipient", "reader" + id + "@example.com")
          .put("message", new JsonObject().put("headers",
            new JsonObject().put("message-id", "<gatling." + id + "@relay.example.com>")));
        if ("clicked".equals(event)) {
          data.put("url", "https://shop.example.com/help");
        }
        String signature = hmacSha256Hex(forged ? forgedSecret(signingKey) : signingKey, timestamp + token);
        String body = new JsonObject()
          .put("signature", new JsonObject().put("timestamp", timestamp).put("token", token).put("signature", signature))
          .put("event-data", data)
          .encode();
        return new Call(path, "application/json", body, null);
      }
    };
  }

  private static String hmacSha256Hex(String key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
    }
  }

  private static String hex(int bytes) {
    byte[] random = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(random);
    return HexFormat.of().formatHex(random);
  }
}
