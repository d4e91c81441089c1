package dev.relay.gateway.engagement;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The engagement ladder")
class LadderTest {

  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

  private static Ladder.Fact fact(String type, String eventClass, int daysAgo, String campaign, String template,
                                  String url) {
    return new Ladder.Fact(type, dev.relay.gateway.track.EventClass.of(eventClass), NOW.minus(Duration.ofDays(daysAgo)), campaign, template, url);
  }

  @Test
  @DisplayName("no human open or click in 90 days is unengaged: machine opens and clicks, and older human ones, do not count")
  void unengaged() {
    assertThat(Ladder.stage(List.of(), NOW)).isEqualTo(Ladder.Stage.UNENGAGED);
    assertThat(Ladder.stage(List.of(fact("delivered", null, 1, "a", "welcome", null),
      fact("opened", "machine", 1, "a", "welcome", null), fact("clicked", "machine", 1, "a", "welcome", "https://x/refer"),
      fact("clicked", "human", 91, "b", "welcome", null), fact("clicked", "human", 120, "c", "advocacy-ask", null)), NOW))
      .isEqualTo(Ladder.Stage.UNENGAGED);
  }

  @Test
  @DisplayName("one human open in 90 days is engaged; human clicks in two campaigns still are")
  void engaged() {
    assertThat(Ladder.stage(List.of(fact("opened", "human", 89, "a", "welcome", null)), NOW))
      .isEqualTo(Ladder.Stage.ENGAGED);
    assertThat(Ladder.stage(List.of(fact("clicked", "human", 3, "a", "welcome", "https://shop.example.com/offer"),
      fact("clicked", "human", 4, "b", "win-back", "https://shop.example.com/offer"),
      fact("clicked", "human", 5, "b", "win-back", "https://shop.example.com/other")), NOW))
      .isEqualTo(Ladder.Stage.ENGAGED);
  }

  @Test
  @DisplayName("human clicks in three distinct campaigns within 90 days is loyal; a machine click does not make the third")
  void loyal() {
    List<Ladder.Fact> two = List.of(fact("clicked", "human", 3, "a", "welcome", "https://shop.example.com/x"),
      fact("clicked", "human", 40, "b", "win-back", "https://shop.example.com/y"));
    assertThat(Ladder.stage(concat(two, fact("clicked", "human", 80, "c", "welcome", "https://shop.example.com/z")), NOW))
      .isEqualTo(Ladder.Stage.LOYAL);
    assertThat(Ladder.stage(concat(two, fact("clicked", "machine", 80, "c", "welcome", "https://shop.example.com/z")), NOW))
      .isEqualTo(Ladder.Stage.ENGAGED);
  }

  @Test
  @DisplayName("a human click on an advocacy-ask message, or on a referral or review link, is advocate")
  void advocate() {
    assertThat(Ladder.stage(List.of(fact("clicked", "human", 10, "ask", "advocacy-ask", "https://shop.example.com/x")), NOW))
      .isEqualTo(Ladder.Stage.ADVOCATE);
    assertThat(Ladder.stage(List.of(fact("clicked", "human", 10, "n", "welcome", "https://shop.example.com/referral?c=1")), NOW))
      .isEqualTo(Ladder.Stage.ADVOCATE);
    assertThat(Ladder.stage(List.of(fact("clicked", "human", 10, "n", "welcome", "https://shop.example.com/p/reviews")), NOW))
      .isEqualTo(Ladder.Stage.ADVOCATE);
    assertThat(Ladder.stage(List.of(fact("opened", "human", 10, "ask", "advocacy-ask", null)), NOW))
      .as("an open of the ask is not advocacy").isEqualTo(Ladder.Stage.ENGAGED);
    assertThat(Ladder.stage(List.of(fact("clicked", "human", 10, "n", "welcome", "https://preview.example.com/x")), NOW))
      .isEqualTo(Ladder.Stage.ENGAGED);
  }

  private static List<Ladder.Fact> concat(List<Ladder.Fact> facts, Ladder.Fact more) {
    List<Ladder.Fact> all = new java.util.ArrayList<>(facts);
    all.add(more);
    return all;
  }
}
