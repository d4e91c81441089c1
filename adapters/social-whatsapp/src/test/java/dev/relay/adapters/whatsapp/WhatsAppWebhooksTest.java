package dev.relay.adapters.whatsapp;

import dev.relay.adapters.spi.WebhookEvent;
import dev.relay.adapters.spi.WebhookRejectedException;
import dev.relay.adapters.spi.WebhookRequest;
import dev.relay.adapters.testkit.whatsapp.WhatsAppFake;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static dev.relay.adapters.whatsapp.WhatsAppAdapterTest.APP_SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WhatsAppWebhooksTest {

  private static final Instant NOW = Instant.parse("2026-01-19T10:00:00Z");
  private static final String WAMID = "wamid.HBgLOTA1NTUxMTEyMjMzFQIAERgSQkE=";
  private static final long AT = 1768816800L;
  private static final String VERIFY_TOKEN = "meatyhamhock";

  private final WhatsAppWebhooks verifier = new WhatsAppWebhooks(APP_SECRET, VERIFY_TOKEN,
    Clock.fixed(NOW, ZoneOffset.UTC));

  private static WebhookRequest request(String signature, String body) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json");
    if (signature != null) {
      headers.add("X-Hub-Signature-256", signature);
    }
    return new WebhookRequest("POST", "https://relay.example.com/v1/webhooks/social-whatsapp/whatsapp-tr", headers,
      Buffer.buffer(body));
  }

  private List<WebhookEvent> signedAndVerified(JsonObject payload) {
    String body = payload.encode();
    return verifier.verify(request(WhatsAppFake.sign(APP_SECRET, body), body));
  }

  @Test
  @DisplayName("Signs and verifies GitHub's published X-Hub-Signature-256 example, the same scheme")
  void publishedExample() {
    WhatsAppWebhooks github = new WhatsAppWebhooks("It's a Secret to Everybody", null, Clock.systemUTC());

    assertThat(github.sign(Buffer.buffer("Hello, World!")))
      .isEqualTo("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  }

  @Test
  @DisplayName("delivered, read and failed statuses become DELIVERED, READ and FAILED under wamid:status at their time")
  void statuses() {
    assertThat(signedAndVerified(WhatsAppFake.statusPayload(WAMID, "delivered", AT, "905551112233", null)))
      .singleElement().isEqualTo(new WebhookEvent(WAMID + ":delivered", WAMID, WebhookEvent.Type.DELIVERED,
        Instant.ofEpochSecond(AT), new JsonObject().put("status", "delivered")));
    assertThat(signedAndVerified(WhatsAppFake.statusPayload(WAMID, "read", AT + 5, "905551112233", null)))
      .singleElement().satisfies(e -> {
        assertThat(e.type()).isEqualTo(WebhookEvent.Type.READ);
        assertThat(e.providerEventId()).isEqualTo(WAMID + ":read");
      });
    assertThat(signedAndVerified(WhatsAppFake.statusPayload(WAMID, "failed", AT, "905551112233", 131026)))
      .singleElement().satisfies(e -> {
        assertThat(e.type()).isEqualTo(WebhookEvent.Type.FAILED);
        assertThat(e.detail().getInteger("error_code")).isEqualTo(131026);
      });
    assertThat(signedAndVerified(WhatsAppFake.statusPayload(WAMID, "sent", AT, "905551112233", null))).isEmpty();
  }

  @ParameterizedTest(name = "\"{0}\" unsubscribes")
  @ValueSource(strings = {"STOP", "stop", " Stop ", "Stop promotions"})
  @DisplayName("An incoming STOP is UNSUBSCRIBED for the sender's number; other messages yield nothing")
  void stop(String text) {
    assertThat(signedAndVerified(WhatsAppFake.textPayload("wamid.IN1", "905551112233", AT, text))).singleElement()
      .isEqualTo(new WebhookEvent("wamid.IN1:stop", null, WebhookEvent.Type.UNSUBSCRIBED, Instant.ofEpochSecond(AT),
        new JsonObject().put("address", "+905551112233")));
    assertThat(signedAndVerified(WhatsAppFake.textPayload("wamid.IN2", "905551112233", AT, "please stop it"))).isEmpty();
  }

  @Test
  @DisplayName("Several statuses in one call are each an event")
  void batched() {
    JsonObject payload = WhatsAppFake.statusPayload(WAMID, "delivered", AT, "905551112233", null);
    payload.getJsonArray("entry").getJsonObject(0).getJsonArray("changes").getJsonObject(0).getJsonObject("value")
      .getJsonArray("statuses").add(new JsonObject().put("id", "wamid.B").put("status", "read")
        .put("timestamp", Long.toString(AT + 1)).put("recipient_id", "905551112234"));

    assertThat(signedAndVerified(payload)).extracting(WebhookEvent::providerEventId)
      .containsExactly(WAMID + ":delivered", "wamid.B:read");
  }

  @Test
  @DisplayName("A tampered body, another secret or a missing signature is rejected")
  void rejects() {
    String body = WhatsAppFake.statusPayload(WAMID, "delivered", AT, "905551112233", null).encode();
    String signature = WhatsAppFake.sign(APP_SECRET, body);

    assertThatThrownBy(() -> verifier.verify(request(signature, body.replace("delivered", "read"))))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("does not match");
    assertThatThrownBy(() -> verifier.verify(request(WhatsAppFake.sign("other-secret", body), body)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(signature.replace("sha256=", "sha1="), body)))
      .isInstanceOf(WebhookRejectedException.class);
    assertThatThrownBy(() -> verifier.verify(request(null, body)))
      .isInstanceOf(WebhookRejectedException.class).hasMessageContaining("missing");
  }

  @Test
  @DisplayName("A verified body that is not a WhatsApp payload cannot be parsed")
  void unparseable() {
    assertThatThrownBy(() -> verifier.verify(request(WhatsAppFake.sign(APP_SECRET, "x"), "x")))
      .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> signedAndVerified(new JsonObject().put("object", "page").put("entry", new JsonArray())))
      .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whatsapp_business_account");
    assertThatThrownBy(() -> signedAndVerified(new JsonObject().put("object", WhatsAppWebhooks.OBJECT)
      .put("entry", "nope"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry");
    assertThatThrownBy(() -> signedAndVerified(new JsonObject().put("object", WhatsAppWebhooks.OBJECT)
      .put("entry", new JsonArray().add(new JsonObject())))).isInstanceOf(IllegalArgumentException.class)
      .hasMessageContaining("changes");
    assertThatThrownBy(() -> signedAndVerified(new JsonObject().put("object", WhatsAppWebhooks.OBJECT)
      .put("entry", new JsonArray().add(new JsonObject()
      .put("changes", new JsonArray().add(new JsonObject().put("field", "messages").put("value", new JsonObject().put("statuses",
        new JsonArray().add(new JsonObject().put("status", "read")))))))))).isInstanceOf(IllegalArgumentException.class);
  }

  private static WebhookRequest get(String query) {
    return new WebhookRequest("GET", "https://relay.example.com/v1/webhooks/social-whatsapp/whatsapp-tr?" + query,
      MultiMap.caseInsensitiveMultiMap(), Buffer.buffer());
  }

  @Test
  @DisplayName("Meta's verification request, as its webhooks guide shows it, is answered with the challenge as plain"
    + " text; a wrong or missing verify token is 403; a GET without hub.mode is no handshake")
  void verificationRequest() {
    // The example of Meta's "Getting started" guide for webhooks.
    assertThat(verifier.handshake(get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock")))
      .hasValueSatisfying(reply -> {
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.contentType()).startsWith("text/plain");
        assertThat(reply.body().toString()).isEqualTo("1158201444");
      });
    assertThat(verifier.handshake(get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhocks")))
      .hasValueSatisfying(reply -> assertThat(reply.status()).isEqualTo(403));
    assertThat(verifier.handshake(get("hub.mode=subscribe&hub.challenge=1158201444")))
      .hasValueSatisfying(reply -> assertThat(reply.status()).isEqualTo(403));
    assertThat(new WhatsAppWebhooks(APP_SECRET, null, Clock.systemUTC())
      .handshake(get("hub.mode=subscribe&hub.challenge=1&hub.verify_token=meatyhamhock")))
      .as("no verify-token configured").hasValueSatisfying(reply -> assertThat(reply.status()).isEqualTo(403));
    assertThat(verifier.handshake(get("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=meatyhamhock")))
      .hasValueSatisfying(reply -> assertThat(reply.status()).isEqualTo(400));
    assertThat(verifier.handshake(get("foo=bar"))).isEmpty();
    String body = WhatsAppFake.statusPayload(WAMID, "delivered", AT, "905551112233", null).encode();
    assertThat(verifier.handshake(request(WhatsAppFake.sign(APP_SECRET, body), body))).as("a POST").isEmpty();
  }
}
