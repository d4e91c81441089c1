package dev.relay.gateway.experiment;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The stable assignment of a campaign's recipients: a value in [0, 1) drawn from a hash of the recipient, so that
 * a repost, a retry, another batch of the same campaign or another process after a restart gives the same
 * recipient the same answer, with no state kept.
 *
 * <p>{@link #unit} hashes the UTF-8 bytes of {@code salt + "|" + tenantId + "|" + campaign + "|" + recipientId}
 * (the tenant id in decimal) with SHA-256, reads the first 8 bytes as an unsigned big-endian 64-bit integer
 * {@code x} and returns {@code floor(x / 2^11) / 2^53}: {@code x / 2^64} truncated to the 53 bits a double holds,
 * so that it is never rounded up to 1. Each salt gives an independent draw:
 * <ul>
 *   <li>{@value #VARIANT}: which variant the recipient gets ({@link #variant});</li>
 *   <li>{@value #HOLDOUT}: held out when {@code unit(HOLDOUT, …) < holdout};</li>
 *   <li>{@value #TEST}: in the test share when {@code unit(TEST, …) < share}.</li>
 * </ul>
 */
public final class Assignment {

  /** The salt of the variant choice. */
  public static final String VARIANT = "variant";
  /** The salt of the holdout. */
  public static final String HOLDOUT = "holdout";
  /** The salt of the test share. */
  public static final String TEST = "test";

  /** What a variant's name looks like: also the form of {@code messages.variant}. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

  private static final double TWO_TO_MINUS_53 = 0x1.0p-53;
  private static final Comparator<Weighted> BY_NAME = Comparator.comparing(Weighted::name);
  /** Intake draws twice per recipient of a batch: one digest per thread, not one per draw. */
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Assignment::sha256);

  private Assignment() {
  }

  /** A variant's name and its weight (a positive finite number; shares are weight / sum of the weights). */
  public record Weighted(String name, double weight) {
    public Weighted {
      if (!(weight > 0) || Double.isInfinite(weight)) {
        throw new IllegalArgumentException("the weight of variant '" + name + "' must be positive and finite");
      }
    }
  }

  /** A uniform value in [0, 1), the same for the same arguments wherever and whenever it is computed. */
  public static double unit(String salt, long tenantId, String campaign, String recipientId) {
    byte[] digest = SHA256.get().digest((salt + "|" + tenantId + "|" + campaign + "|" + recipientId)
      .getBytes(StandardCharsets.UTF_8));
    long x = ByteBuffer.wrap(digest, 0, 8).getLong();
    return (x >>> 11) * TWO_TO_MINUS_53;
  }

  /**
   * The variant that {@code u} (in [0, 1)) picks: the variants are laid out in the order of their names (whatever
   * the order given, so that two batches listing the same variants differently agree), each on a stretch of
   * [0, 1) as long as its share; the one whose stretch holds {@code u}.
   */
  public static String variant(List<Weighted> variants, double u) {
    if (variants.isEmpty()) {
      throw new IllegalArgumentException("no variants to choose from");
    }
    if (!(u >= 0 && u < 1)) {
      throw new IllegalArgumentException("u must be in [0, 1), not " + u);
    }
    List<Weighted> ordered = variants.stream().sorted(BY_NAME).toList();
    double total = 0;
    for (Weighted w : ordered) {
      total += w.weight();
    }
    double point = u * total;
    double cumulative = 0;
    for (Weighted w : ordered) {
      cumulative += w.weight();
      if (point < cumulative) {
        return w.name();
      }
    }
    // u * total may round up to total itself; it belongs to the last stretch.
    return ordered.get(ordered.size() - 1).name();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
