package dev.relay.gateway.intake;

import dev.relay.gateway.lifecycle.Priority;
import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.dispatch.Handoff;
import dev.relay.gateway.experiment.Assignment;
import dev.relay.gateway.experiment.ExperimentConfig;
import dev.relay.gateway.experiment.ExperimentPlan;
import dev.relay.gateway.experiment.Experiments;
import dev.relay.gateway.store.ExperimentStore;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.sendtime.SendTimeOptimizer;
import dev.relay.gateway.store.BatchStore;
import dev.relay.gateway.store.NewBatch;
import dev.relay.gateway.store.PreferenceStore;
import dev.relay.gateway.store.SendSchedule;
import dev.relay.gateway.store.TemplateStore;
import dev.relay.gateway.store.Tenant;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The intake step: validate a batch, admit it under the queue bound, and store it atomically under
 * its Idempotency-Key, or replay the first answer given for that key.
 */
public final class IntakeService {

  private static final Logger LOG = LoggerFactory.getLogger(IntakeService.class);

  private final BatchValidator validator;
  private final BatchStore store;
  private final QueueDepth queueDepth;
  private final TemplateStore templates;
  private final Handoff handoff;
  private final RelayMetrics metrics;
  private final PreferenceStore topics;
  private final SendTimeOptimizer sendTimes;
  private final Experiments experiments;

  /**
   * @param handoff this process's dispatcher, to store due batches leased to it and hand them over
   *                after the commit; null to store every batch queued for any instance to claim
   * @param topics  the tenants' subscription topics, which a batch may name
   * @param experiments campaign tests: their settings, and the test a batch's campaign runs
   */
  public IntakeService(BatchValidator validator, BatchStore store, QueueDepth queueDepth, TemplateStore templates,
                       Handoff handoff, RelayMetrics metrics, PreferenceStore topics,
                       SendTimeOptimizer sendTimes, Experiments experiments) {
    this.topics = topics;
    this.sendTimes = sendTimes;
    this.experiments = experiments;
    this.templates = templates;
    this.validator = validator;
    this.metrics = metrics;
    this.store = store;
    this.queueDepth = queueDepth;
    this.handoff = handoff;
  }

  /** The answer to a batch request. */
  public record Answer(int status, String body, UUID batchId, boolean replayed) {
  }

  /** The queue is over its bound; the batch was not stored. */
  public static final class QueueFullException extends RuntimeException {
    public QueueFullException(long depth, long max) {
      super("The send queue holds " + depth + " messages, its bound is " + max + "; nothing was stored.", null,
        false, false);
    }
  }

  /** The Idempotency-Key was used before for another body; nothing was stored. */
  public static final class KeyReusedException extends RuntimeException {
    public KeyReusedException(String key) {
      super("Idempotency-Key '" + key + "' was already used for a request with a different body; nothing was stored.",
        null, false, false);
    }
  }

  /**
   * Takes a batch request. Fails with {@link InvalidBatchException}, {@link QueueFullException} or
   * {@link KeyReusedException} when nothing is stored for a reason the client can act on.
   */
  public Future<Answer> submit(Tenant tenant, String idempotencyKey, Buffer rawBody, JsonObject body) {
    ValidatedBatch batch = validator.validate(body);
    SendTimeRequest sendTime = SendTimeRequest.of(body);
    JsonArray rejected = new JsonArray();
    batch.rejected().forEach(r -> rejected.add(r.toJson()));
    if (batch.accepted().isEmpty()) {
      metrics.intake("rejected", batch.rejected().size());
      Rejection first = batch.rejected().get(0);
      throw new InvalidBatchException("no-valid-recipients",
        "None of the batch's " + batch.rejected().size() + " recipients is valid; nothing was stored. The first: "
          + first.pointer() + ": " + first.reason() + ".",
        new JsonObject().put("pointer", first.pointer()).put("rejected", rejected));
    }
    int count = batch.accepted().size();
    if (!queueDepth.admits(count)) {
      throw new QueueFullException(queueDepth.current(), queueDepth.max());
    }
    UUID batchId = UUID.randomUUID();
    String answer = new JsonObject()
      .put("batch_id", batchId.toString())
      .put("status_url", "/v1/batches/" + batchId)
      .put("accepted", count)
      .put("rejected", rejected)
      .encode();
    byte[] hash = sha256(rawBody);
    ExperimentConfig experiment = experiment(body, batch);
    Future<Boolean> topicKnown = batch.topic() == null ? Future.succeededFuture(true)
      : topics.topic(tenant.id(), batch.topic()).map(Optional::isPresent);
    return topicKnown
      .compose(known -> known ? resolveTemplates(tenant, batch)
        : Future.failedFuture(new InvalidBatchException("unknown-topic", "There is no topic '" + batch.topic()
          + "'; define it with PUT /v1/topics/" + batch.topic() + " first. Nothing was stored.",
          new JsonObject().put("topic", batch.topic()).put("pointer", "/topic"))))
      .compose(resolved -> schedule(tenant, batch, sendTime)
        .compose(schedule -> storeUnderTest(tenant, idempotencyKey, hash, batchId, answer, batch, resolved, experiment,
          schedule, true)))
      .map(stored -> {
        BatchStore.Outcome outcome = stored.outcome();
        switch (outcome.kind()) {
          case STORED:
            queueDepth.added(stored.sendNow());
            metrics.intake("accepted", count);
            metrics.intake("rejected", batch.rejected().size());
            return new Answer(outcome.status(), outcome.body(), batchId, false);
          case REPLAYED:
            return new Answer(outcome.status(), outcome.body(), UUID.fromString(
              new JsonObject(outcome.body()).getString("batch_id")), true);
          default:
            throw new KeyReusedException(idempotencyKey);
        }
      });
  }

  /** Each recipient's due time when the batch asks for send-time optimization (null when it does not). */
  private Future<SendSchedule> schedule(Tenant tenant, ValidatedBatch batch, SendTimeRequest sendTime) {
    if (sendTime == null) {
      return Future.succeededFuture(null);
    }
    Instant start = batch.sendAt() == null ? Instant.now() : batch.sendAt().toInstant();
    return sendTimes.plan(tenant.id(), sendTime, batch.accepted(), start, batch.ttlSeconds());
  }

  /**
   * The templates a batch renders, resolved at intake: its one template, or each variant's.
   *
   * @param templateId      the one template's id (null with variants)
   * @param templateVersion the one template's version (null with variants)
   * @param variants        what {@code batches.variants} stores (null without variants)
   * @param weighted        the variants' weights, for {@link Assignment#variant} (null without variants)
   * @param variantTemplateIds each variant's template id (null without variants)
   */
  private record Resolved(Long templateId, Integer templateVersion, JsonObject variants,
                          List<Assignment.Weighted> weighted, Map<String, Long> variantTemplateIds) {
  }

  private Future<Resolved> resolveTemplates(Tenant tenant, ValidatedBatch batch) {
    if (batch.variants() == null) {
      return templates.resolve(tenant.id(), batch.templateName(), batch.templateVersion())
        .compose(template -> template.isEmpty()
          ? Future.failedFuture(unknownTemplate("/template", batch.templateName(), batch.templateVersion()))
          : Future.succeededFuture(new Resolved(template.get().id(), template.get().version(), null, null, null)));
    }
    List<Future<Optional<TemplateStore.Version>>> lookups = new ArrayList<>();
    for (ValidatedBatch.Variant v : batch.variants()) {
      lookups.add(templates.resolve(tenant.id(), v.template(), v.templateVersion()));
    }
    return Future.all(lookups).compose(all -> {
      JsonObject stored = new JsonObject();
      List<Assignment.Weighted> weighted = new ArrayList<>();
      Map<String, Long> ids = new HashMap<>();
      for (int i = 0; i < batch.variants().size(); i++) {
        ValidatedBatch.Variant v = batch.variants().get(i);
        Optional<TemplateStore.Version> version = lookups.get(i).result();
        if (version.isEmpty()) {
          return Future.failedFuture(unknownTemplate("/variants/" + i + "/template", v.template(), v.templateVersion()));
        }
        stored.put(v.name(), new JsonObject().put("template", v.template())
          .put("template_version", version.get().version()).put("template_id", version.get().id())
          .put("weight", v.weight()));
        weighted.add(new Assignment.Weighted(v.name(), v.weight()));
        ids.put(v.name(), version.get().id());
      }
      return Future.succeededFuture(new Resolved(null, null, stored, List.copyOf(weighted), Map.copyOf(ids)));
    });
  }

  /** The batch's {@code experiment}, checked against its variants; null when it gives none. */
  private ExperimentConfig experiment(JsonObject body, ValidatedBatch batch) {
    Object given = body.getValue("experiment");
    if (given == null) {
      return null;
    }
    if (!(given instanceof JsonObject)) {
      throw new InvalidBatchException("invalid-experiment", "experiment must be an object; nothing was stored.",
        new JsonObject().put("pointer", "/experiment"));
    }
    ExperimentConfig config = ExperimentConfig.parse((JsonObject) given, variantNames(batch),
      experiments.options().minWaitSeconds());
    return config;
  }

  private static Set<String> variantNames(ValidatedBatch batch) {
    if (batch.variants() == null) {
      return Set.of();
    }
    Set<String> names = new HashSet<>();
    batch.variants().forEach(v -> names.add(v.name()));
    return names;
  }

  /**
   * Reads the campaign's holdout and test, places the recipients under both and stores the batch; when the test
   * changed between the read and the store (created, decided or cancelled meanwhile), reads and places once more.
   */
  private Future<Stored> storeUnderTest(Tenant tenant, String idempotencyKey, byte[] hash, UUID batchId,
                                        String answer, ValidatedBatch batch, Resolved resolved,
                                        ExperimentConfig experiment, SendSchedule schedule, boolean mayRetry) {
    return store.campaignHoldout(tenant.id(), batch.campaign())
      .compose(campaignHoldout -> experiments.find(tenant.id(), batch.campaign())
        .map(test -> test.map(t -> new ExperimentStore.Locked(t.config(), t.status(), t.winner())))
        .compose(current -> storePlaced(tenant, idempotencyKey, hash, batchId, answer, batch, resolved,
          campaignHoldout, ExperimentPlan.of(batch.campaign(), experiment,
            batch.variants() == null ? null : variantNames(batch), current), schedule, true)))
      .recover(err -> {
        if (err instanceof ExperimentStore.Mismatch) {
          return mayRetry
            ? storeUnderTest(tenant, idempotencyKey, hash, batchId, answer, batch, resolved, experiment, schedule,
              false)
            : Future.failedFuture(new InvalidBatchException(409, "experiment-changed", "The test of campaign '"
              + batch.campaign() + "' changed while this batch was stored; nothing was stored. Send it again.",
              new JsonObject().put("pointer", "/experiment")));
        }
        return Future.failedFuture(err);
      });
  }

  /**
   * Places every recipient under the campaign's holdout (the batch's own when it gives one) and stores the batch.
   * A batch giving a holdout other than the campaign's is refused; one giving none whose campaign got a holdout
   * between the read and the store is placed again under it, once.
   */
  private Future<Stored> storePlaced(Tenant tenant, String idempotencyKey, byte[] hash, UUID batchId, String answer,
                                     ValidatedBatch batch, Resolved resolved, double campaignHoldout,
                                     ExperimentPlan plan, SendSchedule schedule, boolean mayRetry) {
    if (batch.holdout() != null && campaignHoldout != 0 && campaignHoldout != batch.holdout()) {
      return Future.failedFuture(holdoutConflict(batch.campaign(), campaignHoldout, batch.holdout()));
    }
    double holdout = batch.holdout() != null ? batch.holdout() : campaignHoldout;
    JsonArray sendNow = new JsonArray(new ArrayList<>(batch.accepted().size()));
    int heldOut = 0;
    for (int i = 0; i < batch.accepted().size(); i++) {
      JsonObject r = batch.accepted().getJsonObject(i);
      r.remove("variant");
      r.remove("state");
      Placement placement = place(tenant.id(), batch.campaign(), r.getString("id"), resolved.weighted(), holdout);
      if (plan != null) {
        placement = plan.adjust(placement, tenant.id(), batch.campaign(), r.getString("id"));
      }
      if (placement.variant() != null) {
        r.put("variant", placement.variant());
      }
      if (placement.sendNow()) {
        sendNow.add(r);
      } else {
        r.put("state", placement.state());
        heldOut += Placement.HELD_OUT.equals(placement.state()) ? 1 : 0;
      }
    }
    NewBatch row = new NewBatch(tenant.id(), idempotencyKey, hash, batchId, batch.campaign(),
      batch.templateName(), resolved.templateVersion(),
      batch.channels().stream().map(Channel::wireName).toArray(String[]::new), batch.priority(), batch.sendAt(),
      batch.ttlSeconds(), batch.accepted(), batch.rejected().size(), 202, answer, resolved.templateId(),
      batch.onCap(), resolved.variants(), holdout, batch.holdout(), heldOut, batch.topic(),
      plan == null ? null : plan.stored());
    return store(tenant, batch, batchId, row, resolved, sendNow, schedule)
      .recover(err -> {
        if (err instanceof BatchStore.HoldoutMismatch mismatch) {
          if (!mismatch.given() && mayRetry) {
            return storePlaced(tenant, idempotencyKey, hash, batchId, answer, batch, resolved,
              mismatch.campaignHoldout(), plan, schedule, false);
          }
          return Future.failedFuture(holdoutConflict(batch.campaign(), mismatch.campaignHoldout(),
            batch.holdout() != null ? batch.holdout() : holdout));
        }
        return Future.failedFuture(err);
      });
  }

  /**
   * Where one recipient goes: held out (state {@code held_out}, no variant) when its holdout draw is under the
   * campaign's holdout; otherwise sent now, with its variant when the batch has variants. The draws are
   * {@link Assignment#unit} with the salts {@code holdout} and {@code variant}, so a recipient lands in the same place
   * in every batch of the campaign.
   */
  static Placement place(long tenantId, String campaign, String recipientId, List<Assignment.Weighted> variants,
                         double holdout) {
    if (holdout > 0 && Assignment.unit(Assignment.HOLDOUT, tenantId, campaign, recipientId) < holdout) {
      return new Placement(null, Placement.HELD_OUT);
    }
    if (variants == null) {
      return Placement.SEND;
    }
    return new Placement(Assignment.variant(variants,
      Assignment.unit(Assignment.VARIANT, tenantId, campaign, recipientId)), null);
  }

  private static InvalidBatchException holdoutConflict(String campaign, double campaignHoldout, double given) {
    return new InvalidBatchException(409, "holdout-conflict", "Campaign '" + campaign + "' holds out " + campaignHoldout
      + " of its recipients; a batch of it may give that holdout or none, not " + given + ". Nothing was stored.",
      new JsonObject().put("pointer", "/holdout").put("campaign_holdout", campaignHoldout).put("holdout", given));
  }

  /** What the store made of a batch, and how many of its messages are to be sent now. */
  private record Stored(BatchStore.Outcome outcome, int sendNow) {
  }

  /**
   * Stores the batch: leased to this process's dispatcher and handed over after the commit when it
   * is due and the dispatcher has room, queued for any instance otherwise. Only the recipients to send
   * now count and are handed over. Messages due over a send-time window are never handed over: the
   * dispatchers claim each when it is due.
   */
  private Future<Stored> store(Tenant tenant, ValidatedBatch batch, UUID batchId, NewBatch row, Resolved resolved,
                               JsonArray sendNow, SendSchedule schedule) {
    int count = sendNow.size();
    if (schedule != null) {
      return store.persist(row, 0, schedule).map(outcome -> new Stored(outcome, count));
    }
    boolean due = batch.sendAt() == null || !batch.sendAt().isAfter(OffsetDateTime.now());
    boolean handingOver = handoff != null && due && count > 0
      && handoff.tryReserve(count, batch.priority() == Priority.TRANSACTIONAL);
    if (!handingOver) {
      return store.persist(row, 0).map(outcome -> new Stored(outcome, count));
    }
    long leaseDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(handoff.leaseSeconds());
    return store.persist(row, handoff.leaseSeconds()).andThen(ar -> {
      if (ar.succeeded() && ar.result().leasedIds() != null) {
        handOver(tenant, batch, batchId, resolved, sendNow, ar.result(), leaseDeadline);
      } else {
        handoff.cancel(count);
      }
    }).map(outcome -> new Stored(outcome, count));
  }

  private static InvalidBatchException unknownTemplate(String pointer, String name, Integer version) {
    JsonObject members = new JsonObject().put("pointer", pointer).put("template", name);
    if (version != null) {
      members.put("template_version", version);
    }
    return new InvalidBatchException("unknown-template", version == null
      ? "There is no template '" + name + "' (" + pointer + "); nothing was stored."
      : "Template '" + name + "' has no version " + version + " (" + pointer + "); nothing was stored.", members);
  }

  private void handOver(Tenant tenant, ValidatedBatch batch, UUID batchId, Resolved resolved, JsonArray sendNow,
                        BatchStore.Outcome outcome, long leaseDeadline) {
    try {
      handoff.deliver(new Handoff.Batch(tenant.id(), outcome.campaignId(), tenant.name(), batch.campaign(),
        batch.channels(), resolved.templateId(), resolved.variantTemplateIds(), sendNow, outcome.leasedIds(),
        leaseDeadline, batch.priority(), batch.onCap(), batch.topic()));
    } catch (RuntimeException e) {
      handoff.cancel(sendNow.size());
      LOG.error("batch {} is stored but could not be handed to the dispatcher; its messages are sent when their lease "
        + "expires and they are reclaimed", batchId, e);
    }
  }

  private static byte[] sha256(Buffer body) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(body.getBytes());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
