package dev.relay.gateway.experiment;

import dev.relay.gateway.intake.InvalidBatchException;
import dev.relay.gateway.intake.Placement;
import dev.relay.gateway.store.ExperimentStore;
import io.vertx.core.json.JsonObject;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * How intake places a batch's recipients under its campaign's test: while it is testing, a recipient in the test
 * share gets its own stable variant and is sent, the others wait (state {@value #WAITING}, no variant); once decided
 * with a winner, everyone gets the winner; decided without one (fallback split) or cancelled, everyone gets its own
 * stable variant. Held-out recipients stay held out.
 *
 * @param stored what the store checks under its lock (the test as read here), and the test to create
 */
public record ExperimentPlan(ExperimentConfig config, String status, String winner, ExperimentStore.Intake stored) {

  /** The state of a recipient that waits for its campaign's test to end. */
  public static final String WAITING = "waiting";

  /**
   * The plan of a batch: the campaign's test ({@code current}, as read) or the one the batch gives ({@code given});
   * null when neither. A batch of a campaign with a test must give the test's variants, and no other test.
   */
  public static ExperimentPlan of(String campaign, ExperimentConfig given, Set<String> variantNames,
                                  Optional<ExperimentStore.Locked> current) {
    if (current.isEmpty()) {
      return given == null ? null
        : new ExperimentPlan(given, "testing", null,
            new ExperimentStore.Intake(given.toJson(), given.waitSeconds(), null, null));
    }
    ExperimentConfig running = ExperimentConfig.fromJson(current.get().config());
    if (variantNames == null || !new TreeSet<>(variantNames).equals(new TreeSet<>(running.variants()))) {
      throw conflict(campaign, "runs a test among the variants " + String.join(", ", running.variants())
        + "; each of its batches gives exactly those variants", running);
    }
    if (given != null && !given.equals(running)) {
      throw conflict(campaign, "runs another test (" + running.toJson().encode() + "); a later batch may give the "
        + "same experiment or none", running);
    }
    return new ExperimentPlan(running, current.get().status(), current.get().winner(),
      new ExperimentStore.Intake(null, 0, current.get().status(), current.get().winner()));
  }

  private static InvalidBatchException conflict(String campaign, String why, ExperimentConfig running) {
    return new InvalidBatchException(409, "experiment-conflict", "Campaign '" + campaign + "' " + why
      + ". Nothing was stored.", new JsonObject().put("pointer", "/experiment").put("experiment", running.toJson()));
  }

  /** Where a recipient that intake placed goes under the test. */
  public Placement adjust(Placement placed, long tenantId, String campaign, String recipientId) {
    if (!placed.sendNow()) {
      return placed;
    }
    switch (status) {
      case "testing":
        return config.inTest(tenantId, campaign, recipientId) ? placed : new Placement(null, WAITING);
      case "decided":
        return winner == null ? placed : new Placement(winner, null);
      default:
        return placed;
    }
  }
}
