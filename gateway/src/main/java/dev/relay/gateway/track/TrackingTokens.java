package dev.relay.gateway.track;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Makes and verifies the opaque, URL-safe tokens of tracking URLs. A token is
 * {@code base64url(payload || HMAC-SHA256(key, payload)[0..16])}, where the payload is a version byte,
 * the kind, the signing key's id, the message id and, for a click, either the template version id and
 * link index (a link written in the template) or the rendered URL (a link whose href held variables).
 * The key id inside lets keys rotate: the first configured key signs, every configured key verifies.
 * Verifying needs no database: everything the tracking endpoints need is in the token or in the
 * (immutable, cacheable) template version it names. The MAC is compared in constant time. Thread-safe.
 */
public final class TrackingTokens {

  private static final Logger LOG = LoggerFactory.getLogger(TrackingTokens.class);
  private static final String ALGORITHM = "HmacSHA256";
  private static final int MAC_BYTES = 16;
  private static final int VERSION = 1;
  private static final int LINK_REF = 0;
  private static final int LINK_URL = 1;
  /** The development key's id; a token signed with it is never trusted in production by accident (the log says so). */
  public static final String DEVELOPMENT_KEY_ID = "dev";
  private static final String DEVELOPMENT_SEED = "relay development tracking key: not a secret";

  private final String signingKid;
  private final byte[] signingKidBytes;
  private final Map<String, SecretKeySpec> keys;
  private final Hmac signer;

  private TrackingTokens(Map<String, SecretKeySpec> keys) {
    this.keys = Map.copyOf(keys);
    this.signingKid = keys.keySet().iterator().next();
    this.signingKidBytes = signingKid.getBytes(StandardCharsets.US_ASCII);
    this.signer = new Hmac(keys.get(signingKid).getEncoded());
  }

  /**
   * Keys from the {@code tracking.keys} setting: comma-separated {@code kid:base64secret}, the first one
   * signing. Empty: the documented development key (derived from a fixed text, so not secret), with a
   * warning in the log. A malformed entry, a duplicate id or a secret under 16 bytes is an error naming it.
   */
  public static TrackingTokens fromSetting(String setting) {
    Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
    if (setting == null || setting.isBlank()) {
      LOG.warn("tracking.keys is not set: tracking links are signed with the development key '{}', which anyone can "
        + "derive. Set tracking.keys (kid:base64secret,...) before sending real mail.", DEVELOPMENT_KEY_ID);
      keys.put(DEVELOPMENT_KEY_ID, new SecretKeySpec(sha256(DEVELOPMENT_SEED), ALGORITHM));
      return new TrackingTokens(keys);
    }
    for (String entry : setting.split(",")) {
      String trimmed = entry.trim();
      int colon = trimmed.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("tracking.keys: an entry is not kid:base64secret");
      }
      String kid = trimmed.substring(0, colon);
      if (kid.length() > 16 || !kid.matches("[A-Za-z0-9_-]+")) {
        throw new IllegalArgumentException("tracking.keys: key id '" + kid + "' is not 1-16 letters, digits, _ or -");
      }
      byte[] secret;
      try {
        secret = Base64.getDecoder().decode(trimmed.substring(colon + 1).trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("tracking.keys: the secret of key '" + kid + "' is not base64");
      }
      if (secret.length < 16) {
        throw new IllegalArgumentException("tracking.keys: the secret of key '" + kid + "' is shorter than 16 bytes");
      }
      if (keys.put(kid, new SecretKeySpec(secret, ALGORITHM)) != null) {
        throw new IllegalArgumentException("tracking.keys: key id '" + kid + "' is given twice");
      }
    }
    return new TrackingTokens(keys);
  }

  /** The id of the key that signs new tokens. */
  public String signingKeyId() {
    return signingKid;
  }

  /** A token for the open pixel of a message. */
  public String open(long messageId) {
    return open(messageId, EMPTY);
  }

  /** A token for the unsubscribe page of a message. */
  public String unsubscribe(long messageId) {
    return unsubscribe(messageId, EMPTY);
  }

  /** A token for a click on link {@code linkIndex} of template version {@code templateId}. */
  public String click(long messageId, long templateId, int linkIndex) {
    return click(messageId, templateId, linkIndex, EMPTY);
  }

  /** A token for a click on a URL rendered for this message (its href held variables). */
  public String click(long messageId, String url) {
    return click(messageId, url, EMPTY);
  }

  /** {@link #open(long)} after {@code prefix} (ASCII, such as the tracking URL up to the token), in one string. */
  public String open(long messageId, byte[] prefix) {
    return sign(header(TrackingToken.Kind.OPEN, messageId, 0), prefix);
  }

  /** {@link #unsubscribe(long)} after {@code prefix}, in one string. */
  public String unsubscribe(long messageId, byte[] prefix) {
    return sign(header(TrackingToken.Kind.UNSUBSCRIBE, messageId, 0), prefix);
  }

  /** {@link #click(long, long, int)} after {@code prefix}, in one string. */
  public String click(long messageId, long templateId, int linkIndex, byte[] prefix) {
    Payload p = header(TrackingToken.Kind.CLICK, messageId, 12);
    p.put(LINK_REF);
    p.varint(templateId);
    p.varint(linkIndex);
    return sign(p, prefix);
  }

  /** A token for the hidden decoy link of a message (see {@link TrackingToken#isDecoy()}), after {@code prefix}. */
  public String decoy(long messageId, byte[] prefix) {
    return click(messageId, 0, 0, prefix);
  }

  /** {@link #click(long, String)} after {@code prefix}, in one string. */
  public String click(long messageId, String url, byte[] prefix) {
    byte[] bytes = url.getBytes(StandardCharsets.UTF_8);
    Payload p = header(TrackingToken.Kind.CLICK, messageId, bytes.length + 1);
    p.put(LINK_URL);
    p.bytes(bytes, 0, bytes.length);
    return sign(p, prefix);
  }

  /**
   * The token's content, if it is well formed and its MAC verifies under the key it names; empty for
   * anything else (tampered, truncated, unknown key, not base64url).
   */
  public Optional<TrackingToken> verify(String token) {
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (raw.length < MAC_BYTES + 5 || raw[0] != VERSION) {
      return Optional.empty();
    }
    int payloadLength = raw.length - MAC_BYTES;
    int kidLength = raw[2] & 0xff;
    if (3 + kidLength > payloadLength) {
      return Optional.empty();
    }
    SecretKeySpec key = keys.get(new String(raw, 3, kidLength, StandardCharsets.US_ASCII));
    if (key == null) {
      return Optional.empty();
    }
    Mac mac = mac(key);
    mac.update(raw, 0, payloadLength);
    byte[] expected = Arrays.copyOf(mac.doFinal(), MAC_BYTES);
    if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(raw, payloadLength, raw.length))) {
      return Optional.empty();
    }
    return parse(raw, 3 + kidLength, payloadLength);
  }

  private static Optional<TrackingToken> parse(byte[] raw, int start, int end) {
    TrackingToken.Kind[] kinds = TrackingToken.Kind.values();
    int kind = raw[1];
    if (kind < 0 || kind >= kinds.length) {
      return Optional.empty();
    }
    Reader in = new Reader(raw, start, end);
    long messageId = in.varint();
    if (kinds[kind] != TrackingToken.Kind.CLICK) {
      return in.done() ? Optional.of(new TrackingToken(kinds[kind], messageId, 0, -1, null)) : Optional.empty();
    }
    int form = in.next();
    if (form == LINK_REF) {
      long templateId = in.varint();
      long index = in.varint();
      return in.done() && index <= Integer.MAX_VALUE
        ? Optional.of(new TrackingToken(TrackingToken.Kind.CLICK, messageId, templateId, (int) index, null))
        : Optional.empty();
    }
    if (form == LINK_URL && !in.failed) {
      String url = new String(raw, in.pos, end - in.pos, StandardCharsets.UTF_8);
      return Optional.of(new TrackingToken(TrackingToken.Kind.CLICK, messageId, 0, -1, url));
    }
    return Optional.empty();
  }

  private Payload header(TrackingToken.Kind kind, long messageId, int extra) {
    Payload p = new Payload(3 + signingKidBytes.length + 10 + extra + MAC_BYTES);
    p.put(VERSION);
    p.put(kind.ordinal());
    p.put(signingKidBytes.length);
    p.bytes(signingKidBytes, 0, signingKidBytes.length);
    p.varint(messageId);
    return p;
  }

  private String sign(Payload p, byte[] prefix) {
    byte[] full = signer.mac(p.buf, 0, p.size);
    p.bytes(full, 0, MAC_BYTES);
    int encoded = (p.size * 4 + 2) / 3;
    byte[] out = Arrays.copyOf(prefix, prefix.length + encoded);
    encodeBase64Url(p.buf, p.size, out, prefix.length);
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  private static final byte[] EMPTY = new byte[0];
  private static final byte[] ALPHABET =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".getBytes(StandardCharsets.US_ASCII);

  /** Base64url without padding (RFC 4648 section 5), written after the prefix: the same text as Base64's encoder. */
  private static void encodeBase64Url(byte[] in, int length, byte[] out, int at) {
    int i = 0;
    for (; i + 3 <= length; i += 3) {
      int bits = (in[i] & 0xff) << 16 | (in[i + 1] & 0xff) << 8 | (in[i + 2] & 0xff);
      out[at++] = ALPHABET[bits >>> 18];
      out[at++] = ALPHABET[(bits >>> 12) & 0x3f];
      out[at++] = ALPHABET[(bits >>> 6) & 0x3f];
      out[at++] = ALPHABET[bits & 0x3f];
    }
    int rest = length - i;
    if (rest == 1) {
      int bits = (in[i] & 0xff) << 16;
      out[at++] = ALPHABET[bits >>> 18];
      out[at] = ALPHABET[(bits >>> 12) & 0x3f];
    } else if (rest == 2) {
      int bits = (in[i] & 0xff) << 16 | (in[i + 1] & 0xff) << 8;
      out[at++] = ALPHABET[bits >>> 18];
      out[at++] = ALPHABET[(bits >>> 12) & 0x3f];
      out[at] = ALPHABET[(bits >>> 6) & 0x3f];
    }
  }

  private static Mac mac(SecretKeySpec key) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
    }
  }

  private static byte[] sha256(String text) {
    return sha256(text.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] sha256(byte[] bytes) {
    return sha256Digest().digest(bytes);
  }

  /**
   * HMAC-SHA256 (RFC 2104) with the key's inner and outer pad already hashed, as RFC 2104 section 4
   * suggests: a MAC costs two SHA-256 states copied and two short digests, instead of the JCE Mac's
   * re-hashing of both pads on every token. Equal to {@code Mac.getInstance("HmacSHA256")}, which
   * verification uses and a test compares it with. Thread-safe: the pad states are only copied.
   */
  static final class Hmac {
    private static final int BLOCK = 64;
    private final MessageDigest inner;
    private final MessageDigest outer;

    Hmac(byte[] key) {
      byte[] k = key.length > BLOCK ? sha256(key) : key;
      byte[] ipad = new byte[BLOCK];
      byte[] opad = new byte[BLOCK];
      for (int i = 0; i < BLOCK; i++) {
        byte b = i < k.length ? k[i] : 0;
        ipad[i] = (byte) (b ^ 0x36);
        opad[i] = (byte) (b ^ 0x5c);
      }
      inner = sha256Digest();
      inner.update(ipad);
      outer = sha256Digest();
      outer.update(opad);
    }

    byte[] mac(byte[] data, int offset, int length) {
      try {
        MessageDigest in = (MessageDigest) inner.clone();
        in.update(data, offset, length);
        MessageDigest out = (MessageDigest) outer.clone();
        out.update(in.digest());
        return out.digest();
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException("the SHA-256 implementation cannot be cloned", e);
      }
    }
  }

  private static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /** A growable byte buffer for a token's payload and MAC. */
  private static final class Payload {
    byte[] buf;
    int size;

    Payload(int capacity) {
      buf = new byte[capacity];
    }

    void put(int b) {
      if (size == buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      buf[size++] = (byte) b;
    }

    void bytes(byte[] b, int off, int len) {
      if (size + len > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + len));
      }
      System.arraycopy(b, off, buf, size, len);
      size += len;
    }

    void varint(long v) {
      while ((v & ~0x7FL) != 0) {
        put((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      put((int) v);
    }
  }

  /** Reads a payload, noting instead of throwing when it runs past its end. */
  private static final class Reader {
    final byte[] raw;
    final int end;
    int pos;
    boolean failed;

    Reader(byte[] raw, int pos, int end) {
      this.raw = raw;
      this.pos = pos;
      this.end = end;
    }

    int next() {
      if (pos >= end) {
        failed = true;
        return -1;
      }
      return raw[pos++] & 0xff;
    }

    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = next();
        if (b < 0) {
          return -1;
        }
        value |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
      failed = true;
      return -1;
    }

    boolean done() {
      return !failed && pos == end;
    }
  }
}
