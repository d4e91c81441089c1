package dev.relay.gateway.intake;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.dispatch.Handoff;
import dev.relay.gateway.metrics.RelayMetrics;
import dev.relay.gateway.store.BatchStore;
import dev.relay.gateway.store.NewBatch;
import dev.relay.gateway.store.PreferenceStore;
import dev.relay.gateway.store.TemplateStore;
import dev.relay.gateway.store.Tenant;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.concurrent.TimeUnit;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.UUID;

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

  /**
   * @param handoff this process's dispatcher, to store due batches leased to it and hand them over
   *                after the commit; null to store every batch queued for any instance to claim
   * @param topics  the tenants' subscription topics, which a batch may name
   */
  public IntakeService(BatchValidator validator, BatchStore store, QueueDepth queueDepth, TemplateStore templates,
                       Handoff handoff, RelayMetrics metrics, PreferenceStore topics) {
    this.topics = topics;
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
    Future<Boolean> topicKnown = batch.topic() == null ? Future.succeededFuture(true)
      : topics.topic(tenant.id(), batch.topic()).map(Optional::isPresent);
    return templates.resolve(tenant.id(), batch.templateName(), batch.templateVersion())
      .compose(template -> topicKnown.compose(known -> {
        if (template.isEmpty()) {
          return Future.failedFuture(unknownTemplate(batch.templateName(), batch.templateVersion()));
        }
        if (!known) {
          return Future.failedFuture(new InvalidBatchException("unknown-topic", "There is no topic '" + batch.topic()
            + "'; define it with PUT /v1/topics/" + batch.topic() + " first. Nothing was stored.",
            new JsonObject().put("topic", batch.topic()).put("pointer", "/topic")));
        }
        NewBatch row = new NewBatch(tenant.id(), idempotencyKey, hash, batchId, batch.campaign(),
          batch.templateName(), template.get().version(),
          batch.channels().stream().map(Channel::wireName).toArray(String[]::new), batch.priority(), batch.sendAt(),
          batch.ttlSeconds(), batch.accepted(), batch.rejected().size(), 202, answer, template.get().id(),
          batch.onCap(), batch.topic());
        return store(tenant, batch, batchId, row, count);
      }))
      .map(outcome -> {
        switch (outcome.kind()) {
          case STORED:
            queueDepth.added(count);
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

  /**
   * Stores the batch: leased to this process's dispatcher and handed over after the commit when it
   * is due and the dispatcher has room, queued for any instance otherwise.
   */
  private Future<BatchStore.Outcome> store(Tenant tenant, ValidatedBatch batch, UUID batchId, NewBatch row, int count) {
    boolean due = batch.sendAt() == null || !batch.sendAt().isAfter(OffsetDateTime.now());
    boolean handingOver = handoff != null && due && handoff.tryReserve(count);
    if (!handingOver) {
      return store.persist(row, 0);
    }
    long leaseDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(handoff.leaseSeconds());
    return store.persist(row, handoff.leaseSeconds()).andThen(ar -> {
      if (ar.succeeded() && ar.result().leasedIds() != null) {
        handOver(tenant, batch, batchId, row.templateId(), ar.result(), leaseDeadline);
      } else {
        handoff.cancel(count);
      }
    });
  }

  private static InvalidBatchException unknownTemplate(String name, Integer version) {
    JsonObject members = new JsonObject().put("template", name);
    if (version != null) {
      members.put("template_version", version);
    }
    return new InvalidBatchException("unknown-template", version == null
      ? "There is no template '" + name + "'; nothing was stored."
      : "Template '" + name + "' has no version " + version + "; nothing was stored.", members);
  }

  private void handOver(Tenant tenant, ValidatedBatch batch, UUID batchId, long templateId, BatchStore.Outcome outcome,
                        long leaseDeadline) {
    try {
      handoff.deliver(new Handoff.Batch(tenant.id(), outcome.campaignId(), tenant.name(), batch.campaign(),
        batch.channels(), templateId, batch.accepted(), outcome.leasedIds(), leaseDeadline, batch.priority(),
        batch.onCap(), batch.topic()));
    } catch (RuntimeException e) {
      handoff.cancel(batch.accepted().size());
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
