package dev.relay.adapters.sms;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.testkit.twilio.TwilioFake;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TwilioWebhooksTest {

  private static final String TOKEN = "s3cr3t-auth-token";
  private static final String URL = "https://relay.example.com/v1/webhooks/sms-twilio/twilio-us";
  private static final Instant NOW = Instant.parse("2026-01-19T10:00:00Z");
  private static final String SM = "SM" + "1".repeat(32);

  private final TwilioWebhooks verifier = new TwilioWebhooks(TOKEN, Clock.fixed(NOW, ZoneOffset.UTC));

  private static Map<String, String> status(String status, String errorCode) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("MessageSid", SM);
    params.put("SmsSid", SM);
    params.put("AccountSid", "AC" + "0".repeat(32));
    params.put("From", "+15017122661");
    params.put("To", "+905551112233");
    params.put("MessageStatus", status);
    params.put("SmsStatus", status);
    params.put("ApiVersion", "2010-04-01");
    if (errorCode != null) {
      params.put("ErrorCode", errorCode);
    }
    return params;
  }

  private static Map<String, String> inbound(String body, String optOutType) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("MessageSid", SM);
    params.put("SmsStatus", "received");
    params.put("From", "+905551112233");
    params.put("To", "+15017122661");
    params.put("Body", body);
    params.put("NumMedia", "0");
    if (optOutType != null) {
      params.put("OptOutType", optOutType);
    }
    return params;
  }

  private static WebhookRequest request(String url, String signature, Map<String, String> params) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap()
      .add("Content-Type", "application/x-www-form-urlencoded");
    if (signature != null) {
      headers.add("X-Twilio-Signature", signature);
    }
    String body = params.entrySet().stream()
      .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(),
        StandardCharsets.UTF_8))
      .collect(Collectors.joining("&"));
    return new WebhookRequest("POST", url, headers, Buffer.buffer(body));
  }

  private List<WebhookEvent> signedAndVerified(Map<String, String> params) {
    return verifier.verify(request(URL, TwilioFake.sign(TOKEN, URL, params), params));
  }

  @Test
  @DisplayName("Twilio's published example verifies, including with the default port spelled out")
  void twilioTestVector() {
    TwilioSignature signature = new TwilioSignature("12345");
    List<Map.Entry<String, String>> params = List.of(Map.entry("CallSid", "CA1234567890ABCDE"),
      Map.entry("Caller", "+14158675309"), Map.entry("Digits", "1234"), Map.entry("From", "+14158675309"),
      Map.entry("To", "+18005551212"));

    assertThat(signature.matches("RSOYDt4T1cUTdK1PDd93/VVr8B8=", "https://mycompany.com/myapp.php?foo=1&bar=2", params))
      .isTrue();
    assertThat(signature.matches("RSOYDt4T1cUTdK1PDd93/VVr8B8=", "https://mycompany.com:443/myapp.php?foo=1&bar=2",
      params)).isTrue();
    assertThat(signature.matches("RSOYDt4T1cUTdK1PDd93/VVr8B8=", "https://mycompany.com/myapp.php?foo=1&bar=3",
      params)).isFalse();
  }

  @Test
  @DisplayName("Repeated parameters are signed sorted by value, each distinct value once, as Twilio's validators do")
  void repeatedParameters() {
    TwilioSignature signature = new TwilioSignature("12345");
    List<Map.Entry<String, String>> params = List.of(Map.entry("Sid", "CA123"), Map.entry("SidAccount", "AC123"),
      Map.entry("Digits", "5678"), Map.entry("Digits", "1234"), Map.entry("Digits", "1234"));

    assertThat(signature.matches("IK+Dwps556ElfBT0I3Rgjkr1wJU=", "https://mycompany.com/myapp.php?foo=1&bar=2", params))
      .isTrue();
  }

  @Test
  @DisplayName("delivered is DELIVERED under MessageSid:MessageStatus")
  void delivered() {
    assertThat(signedAndVerified(status("delivered", null))).singleElement().isEqualTo(new WebhookEvent(
      SM + ":delivered", SM, WebhookEvent.Type.DELIVERED, NOW, new JsonObject().put("status", "delivered")));
  }

  @ParameterizedTest(name = "undelivered with {0} is a hard bounce")
  @ValueSource(strings = {"30003", "30005", "30006"})
  @DisplayName("An unreachable or unknown number is a hard bounce")
  void hardBounces(String code) {
    assertThat(signedAndVerified(status("undelivered", code))).singleElement().satisfies(e -> {
      assertThat(e.type()).isEqualTo(WebhookEvent.Type.BOUNCED_HARD);
      assertThat(e.providerEventId()).isEqualTo(SM + ":undelivered");
      assertThat(e.detail().getString("error_code")).isEqualTo(code);
    });
  }

  @Test
  @DisplayName("Other failures are FAILED, and intermediate statuses yield no event")
  void failuresAndSteps() {
    assertThat(signedAndVerified(status("failed", "30008"))).singleElement()
      .satisfies(e -> assertThat(e.type()).isEqualTo(WebhookEvent.Type.FAILED));
    assertThat(signedAndVerified(status("undelivered", null))).singleElement()
      .satisfies(e -> assertThat(e.type()).isEqualTo(WebhookEvent.Type.FAILED));
    for (String step : List.of("queued", "accepted", "sending", "sent")) {
      assertThat(signedAndVerified(status(step, null))).as(step).isEmpty();
    }
  }

  @ParameterizedTest(name = "a reply of \"{0}\" unsubscribes")
  @ValueSource(strings = {"STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "CANCEL", "end", "Quit"})
  @DisplayName("A STOP reply is UNSUBSCRIBED for the sender's number, with no provider message id")
  void stopWords(String body) {
    assertThat(signedAndVerified(inbound(body, null))).singleElement().isEqualTo(new WebhookEvent(SM + ":stop", null,
      WebhookEvent.Type.UNSUBSCRIBED, NOW, new JsonObject().put("address", "+905551112233")));
  }

  @Test
  @DisplayName("Twilio's OptOutType=STOP unsubscribes whatever the words; other replies yield nothing")
  void optOutType() {
    assertThat(signedAndVerified(inbound("lütfen durdurun", "STOP"))).singleElement()
      .satisfies(e -> assertThat(e.type()).isEqualTo(WebhookEvent.Type.UNSUBSCRIBED));
    assertThat(signedAndVerified(inbound("stop sending at night please", null))).isEmpty();
    assertThat(signedAndVerified(inbound("START", "START"))).isEmpty();
  }

  @Test
  @DisplayName("A tampered parameter, another URL, another token or no signature is rejected")
  void rejects() {
    Map<String, String> params = status("delivered", null);
    String signature = TwilioFake.sign(TOKEN, URL, params);
    Map<String, String> tampered = new LinkedHashMap<>(params);
    tampered.put("MessageStatus", "undelivered");
    Map<String, String> added = new LinkedHashMap<>(params);
    added.put("ErrorCode", "30003");

    assertThatThrownBy(() -> verifier.verify(request(URL, signature, tampered)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(URL, signature, added)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(URL + "-other", signature, params)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(URL, TwilioFake.sign("other-token", URL, params), params)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(URL, null, params)))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("X-Twilio-Signature");
    assertThatThrownBy(() -> verifier.verify(request(URL, "not base64 at all", params)))
      .isInstanceOf(WebhookRejectedException.class);
  }

  @Test
  @DisplayName("A verified call without MessageSid cannot be parsed")
  void unparseable() {
    Map<String, String> params = Map.of("Foo", "bar");

    assertThatThrownBy(() -> signedAndVerified(params)).isInstanceOf(IllegalArgumentException.class)
      .hasMessageContaining("MessageSid");
  }
}
