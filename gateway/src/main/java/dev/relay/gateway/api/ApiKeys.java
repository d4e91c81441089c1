package dev.relay.gateway.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * API keys of the form {@code rly_<id>_<secret>}. The id is public and finds the key; the secret has
 * 256 random bits, and only its SHA-256 is stored, compared in constant time.
 */
public final class ApiKeys {

  private static final Pattern FORMAT = Pattern.compile("rly_([a-z0-9]{12})_([A-Za-z0-9_-]{43})");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  private ApiKeys() {
  }

  /** A key as parsed from a request: its id and its secret's hash. */
  public record Presented(String id, byte[] secretHash) {
  }

  /** A newly made key: the text shown once to its owner, and what is stored. */
  public record Issued(String id, String text, byte[] secretHash) {
  }

  public static Issued issue() {
    StringBuilder id = new StringBuilder(12);
    for (int i = 0; i < 12; i++) {
      id.append(ID_ALPHABET[RANDOM.nextInt(ID_ALPHABET.length)]);
    }
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    String secretText = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    return new Issued(id.toString(), "rly_" + id + "_" + secretText, hash(secretText));
  }

  /** Parses a presented key; empty when it is not of the key format at all. */
  public static Optional<Presented> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    Matcher m = FORMAT.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new Presented(m.group(1), hash(m.group(2))));
  }

  /** Whether a presented secret's hash equals the stored one, in time independent of where they differ. */
  public static boolean matches(byte[] presentedHash, byte[] storedHash) {
    return MessageDigest.isEqual(presentedHash, storedHash);
  }

  private static byte[] hash(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
