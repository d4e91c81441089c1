package dev.relay.gateway.engagement;

import dev.relay.gateway.track.EventClass;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The engagement ladder of one recipient, computed from the recipient's history; only human opens and
 * clicks within the {@link #WINDOW} before {@code now} count (machine ones, Apple Mail Privacy Protection
 * and link scanners, never do). The first rule that holds wins:
 * <ol>
 *   <li>{@code advocate}: a human click on a message rendered from the {@value #ADVOCACY_TEMPLATE} template, or
 *       on a link whose path has a segment starting with {@code refer} or {@code review};</li>
 *   <li>{@code loyal}: human clicks on messages of at least {@value #LOYAL_CAMPAIGNS} distinct campaigns;</li>
 *   <li>{@code engaged}: at least one human open or click;</li>
 *   <li>{@code unengaged}: none of these.</li>
 * </ol>
 */
public final class Ladder {

  /** The stages, lowest first. */
  public enum Stage {
    UNENGAGED, ENGAGED, LOYAL, ADVOCATE;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One engagement fact as the ladder sees it. */
  public record Fact(String type, EventClass eventClass, Instant occurredAt, String campaign, String template, String url) {
  }

  public static final Duration WINDOW = Duration.ofDays(90);
  public static final String ADVOCACY_TEMPLATE = "advocacy-ask";
  public static final int LOYAL_CAMPAIGNS = 3;

  private Ladder() {
  }

  public static Stage stage(List<Fact> history, Instant now) {
    Instant from = now.minus(WINDOW);
    boolean engaged = false;
    Set<String> clickedCampaigns = new HashSet<>();
    for (Fact f : history) {
      if (f.eventClass() != EventClass.HUMAN || f.occurredAt().isBefore(from) || f.occurredAt().isAfter(now)) {
        continue;
      }
      if ("clicked".equals(f.type())) {
        if (ADVOCACY_TEMPLATE.equals(f.template()) || advocacyLink(f.url())) {
          return Stage.ADVOCATE;
        }
        clickedCampaigns.add(f.campaign());
        engaged = true;
      } else if ("opened".equals(f.type())) {
        engaged = true;
      }
    }
    if (clickedCampaigns.size() >= LOYAL_CAMPAIGNS) {
      return Stage.LOYAL;
    }
    return engaged ? Stage.ENGAGED : Stage.UNENGAGED;
  }

  /** Whether a link's path has a segment starting with {@code refer} or {@code review} (referral, review pages). */
  static boolean advocacyLink(String url) {
    if (url == null) {
      return false;
    }
    String path;
    try {
      path = URI.create(url).getPath();
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (path == null) {
      return false;
    }
    for (String segment : path.toLowerCase(Locale.ROOT).split("/")) {
      if (segment.startsWith("refer") || segment.startsWith("review")) {
        return true;
      }
    }
    return false;
  }
}
