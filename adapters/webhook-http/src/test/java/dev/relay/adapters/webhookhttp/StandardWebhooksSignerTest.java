package dev.relay.adapters.webhookhttp;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StandardWebhooksSignerTest {

  private static final String SETTING = "account hooks (adapter webhook-http): setting 'secret'";

  @Test
  @DisplayName("Signs the Standard Webhooks reference libraries' published test vector exactly")
  void specificationTestVector() {
    StandardWebhooksSigner signer = StandardWebhooksSigner.fromSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SETTING);

    String signature = signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, Buffer.buffer("{\"test\": 2432232314}"));

    assertThat(signature).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  @Test
  @DisplayName("The signature covers the id, the timestamp and every byte of the body")
  void coversEveryPart() {
    StandardWebhooksSigner signer = StandardWebhooksSigner.fromSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SETTING);
    Buffer body = Buffer.buffer("{\"test\": 2432232314}");
    String reference = signer.sign("msg_1", 1614265330L, body);

    assertThat(signer.sign("msg_2", 1614265330L, body)).isNotEqualTo(reference);
    assertThat(signer.sign("msg_1", 1614265331L, body)).isNotEqualTo(reference);
    assertThat(signer.sign("msg_1", 1614265330L, Buffer.buffer("{\"test\":2432232314}"))).isNotEqualTo(reference);
  }

  @Test
  @DisplayName("A malformed secret is refused with a message that names the setting and never shows the value")
  void malformedSecrets() {
    String noPrefix = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    String notBase64 = "whsec_Mf-Q9r8GKYqrTwjUPD8IL?ZIo2LaLaSw";
    String tooShort = "whsec_c2hvcnQta2V5";

    assertThatThrownBy(() -> StandardWebhooksSigner.fromSecret(noPrefix, SETTING))
      .hasMessage(SETTING + " must start with whsec_");
    assertThatThrownBy(() -> StandardWebhooksSigner.fromSecret(notBase64, SETTING))
      .hasMessage(SETTING + " must be whsec_ followed by base64")
      .hasNoCause();
    assertThatThrownBy(() -> StandardWebhooksSigner.fromSecret(tooShort, SETTING))
      .hasMessageContaining(SETTING).hasMessageContaining("24 bytes")
      .hasMessageNotContaining("c2hvcnQta2V5");
  }
}
