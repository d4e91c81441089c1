package dev.relay.gateway.track;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrackingTokensTest {

  private static final String K1 = "k1:" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
  private static final String K2 = "k2:" + Base64.getEncoder().encodeToString("fedcba9876543210fedcba9876543210".getBytes());

  private final TrackingTokens tokens = TrackingTokens.fromSetting(K1);

  @Test
  @DisplayName("Every kind of token verifies to what it was made for, and is URL-safe")
  void roundTrips() {
    assertThat(tokens.verify(tokens.open(42))).contains(new TrackingToken(TrackingToken.Kind.OPEN, 42, 0, -1, null));
    assertThat(tokens.verify(tokens.unsubscribe(7_000_000_000L)))
      .contains(new TrackingToken(TrackingToken.Kind.UNSUBSCRIBE, 7_000_000_000L, 0, -1, null));
    String click = tokens.click(42, 9, 3);
    assertThat(tokens.verify(click)).contains(new TrackingToken(TrackingToken.Kind.CLICK, 42, 9, 3, null));
    assertThat(tokens.verify(click).orElseThrow().isTemplateLink()).isTrue();
    String url = "https://shop.example.com/cart/ğ?x=1&y=2";
    assertThat(tokens.verify(tokens.click(42, url))).contains(new TrackingToken(TrackingToken.Kind.CLICK, 42, 0, -1, url));
    assertThat(click).matches("[A-Za-z0-9_-]+").hasSizeLessThan(45);
  }

  @Test
  @DisplayName("The precomputed HMAC equals the JCE's HmacSHA256 for short, long and over-long keys")
  void hmacMatchesJce() throws Exception {
    java.util.Random random = new java.util.Random(7);
    for (int keyLength : new int[] {16, 32, 64, 65, 100}) {
      byte[] key = new byte[keyLength];
      random.nextBytes(key);
      javax.crypto.Mac jce = javax.crypto.Mac.getInstance("HmacSHA256");
      jce.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
      TrackingTokens.Hmac hmac = new TrackingTokens.Hmac(key);
      for (int length : new int[] {0, 1, 20, 55, 56, 64, 200}) {
        byte[] data = new byte[length + 3];
        random.nextBytes(data);
        jce.update(data, 3, length);
        assertThat(hmac.mac(data, 3, length)).as("key %d, data %d", keyLength, length).isEqualTo(jce.doFinal());
      }
    }
  }

  @Test
  @DisplayName("A changed byte anywhere, a truncation or an extension is refused")
  void tamperingIsRefused() {
    String token = tokens.click(42, 9, 3);
    byte[] raw = Base64.getUrlDecoder().decode(token);
    for (int i = 0; i < raw.length; i++) {
      byte[] changed = raw.clone();
      changed[i] ^= 0x01;
      assertThat(tokens.verify(Base64.getUrlEncoder().withoutPadding().encodeToString(changed))).as("byte %d", i).isEmpty();
    }
    for (int length = 0; length < token.length(); length++) {
      assertThat(tokens.verify(token.substring(0, length))).as("first %d characters", length).isEmpty();
    }
    assertThat(tokens.verify(token + "A")).isEmpty();
    assertThat(tokens.verify("not a token!")).isEmpty();
  }

  @Test
  @DisplayName("A token signed with an unknown key id is refused; a rotated key still verifies old tokens")
  void keyRotation() {
    TrackingTokens other = TrackingTokens.fromSetting(K2);
    assertThat(tokens.verify(other.open(1))).isEmpty();
    TrackingTokens rotated = TrackingTokens.fromSetting(K2 + "," + K1);
    assertThat(rotated.signingKeyId()).isEqualTo("k2");
    assertThat(rotated.verify(tokens.open(1))).isPresent();
    assertThat(rotated.verify(rotated.open(1))).isPresent();
    assertThat(tokens.verify(rotated.open(1))).isEmpty();
  }

  @Test
  @DisplayName("A token whose key id is another key's, with that other key's MAC missing, is refused")
  void wrongKeyIdIsRefused() {
    TrackingTokens both = TrackingTokens.fromSetting(K1 + "," + K2);
    byte[] raw = Base64.getUrlDecoder().decode(tokens.open(5));
    raw[4] = '2'; // "k1" -> "k2": same MAC, other key
    assertThat(both.verify(Base64.getUrlEncoder().withoutPadding().encodeToString(raw))).isEmpty();
  }

  @Test
  @DisplayName("Without keys the documented development key signs; malformed keys are errors naming them")
  void settings() {
    assertThat(TrackingTokens.fromSetting("").signingKeyId()).isEqualTo(TrackingTokens.DEVELOPMENT_KEY_ID);
    assertThat(TrackingTokens.fromSetting("").verify(TrackingTokens.fromSetting(" ").open(3))).isPresent();
    assertThatThrownBy(() -> TrackingTokens.fromSetting("k1")).hasMessageContaining("kid:base64secret");
    assertThatThrownBy(() -> TrackingTokens.fromSetting("k1:c2hvcnQ=")).hasMessageContaining("shorter than 16 bytes");
    assertThatThrownBy(() -> TrackingTokens.fromSetting(K1 + "," + K1)).hasMessageContaining("'k1' is given twice");
    assertThatThrownBy(() -> TrackingTokens.fromSetting("k1:%%%")).hasMessageContaining("not base64");
  }
}
