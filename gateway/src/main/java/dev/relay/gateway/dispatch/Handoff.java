package dev.relay.gateway.dispatch;

import dev.relay.gateway.lifecycle.Priority;
import dev.relay.adapters.spi.Channel;
import io.vertx.core.Context;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * The way from intake to this process's dispatcher without a round trip through the queue: intake
 * reserves room here, stores the batch's messages already leased to this process (state
 * {@code sending}, attempt 1, the dispatcher's lease), and hands them over once committed. The
 * dispatcher then sends them as if it had claimed them. A message handed over is as safe as a
 * claimed one: if this process dies, its lease expires and any instance reclaims it.
 *
 * <p>Claims and handoffs share one count of the messages the dispatcher holds. Claims stop at
 * {@code dispatch.max-pending}; handoffs may go further, up to about {@value #PACE_SECONDS} seconds of the
 * pace the dispatcher has been sending at (messages its providers accepted), never under
 * {@code dispatch.max-pending} nor over {@code dispatch.handoff-max-pending}: a gateway that sends fast
 * takes a large batch straight from intake (a claim costs the database about as much as the insert and
 * the outcome together), while one held back by a slow or rate-limited provider holds no more than
 * before, far less than its lease. Safe to use from any thread.
 */
public final class Handoff {

  /**
   * A batch intake stored leased to this process: its envelope and its messages' ids by recipient id.
   *
   * @param templateId         the batch's one template (null when it has variants)
   * @param variantTemplateIds each variant's template id by name (null when the batch has none); a recipient's
   *                           {@code variant} member names its variant
   * @param recipients         the recipients stored leased (those to send now)
   */
  public record Batch(long tenantId, long campaignId, String tenant, String campaign, List<Channel> channels,
                      Long templateId, Map<String, Long> variantTemplateIds, JsonArray recipients,
                      Map<String, Long> idsByRecipient, long leaseDeadlineNanos, Priority priority, String onCap,
                      String topic) {
  }

  /** How many seconds of the dispatcher's measured pace handoffs may put in its hands. */
  static final int PACE_SECONDS = 5;

  private final int maxPending;
  private final int handoffMaxPending;
  private final int leaseSeconds;
  private final AtomicInteger pending = new AtomicInteger();
  private volatile int handoffBound;
  private double pace;
  /** Whether the dispatcher has held messages ever since the last {@link #paced} (its context only). */
  private boolean busy;
  private volatile Receiver receiver;
  private volatile boolean accepting;

  private record Receiver(Context context, BiConsumer<List<Claimed>, Long> target) {
  }

  /**
   * @param maxPending        most messages the dispatcher holds when it claims, and the least handoffs may reach
   * @param handoffMaxPending most messages it may hold through handoffs, whatever its pace
   * @param leaseSeconds      the lease a handed-over message is stored with
   */
  public Handoff(int maxPending, int handoffMaxPending, int leaseSeconds) {
    this.maxPending = maxPending;
    this.handoffMaxPending = Math.max(maxPending, handoffMaxPending);
    this.leaseSeconds = leaseSeconds;
    this.handoffBound = maxPending;
  }

  /** The lease a handed-over message is stored with, as the dispatcher's claims set it. */
  public int leaseSeconds() {
    return leaseSeconds;
  }

  /**
   * Reserves room for a batch of {@code n} messages if a dispatcher takes handoffs and is under its
   * bound; all or nothing. A batch may take the dispatcher over its bound by less than its own size:
   * claims wait until it is back under, handoffs until it has room again, so intake keeps handing
   * over while the dispatcher keeps up and queues when it does not. A transactional batch is handed over up to
   * the absolute bound ({@code handoffMaxPending}) rather than the pace's, so that it is not left to wait for a
   * claim behind a campaign's backlog. A reservation is either {@link #deliver delivered} or
   * {@link #cancel cancelled}.
   */
  public boolean tryReserve(int n, boolean transactional) {
    if (!accepting) {
      return false;
    }
    int bound = transactional ? handoffMaxPending : handoffBound;
    while (true) {
      int current = pending.get();
      if (current >= bound) {
        return false;
      }
      if (pending.compareAndSet(current, current + n)) {
        return true;
      }
    }
  }

  /** Gives back a reservation whose messages were not stored leased. */
  public void cancel(int n) {
    pending.addAndGet(-n);
  }

  /**
   * Hands a committed batch to the dispatcher (on its event loop). Its messages were reserved with
   * {@link #tryReserve}.
   */
  public void deliver(Batch batch) {
    List<Claimed> messages = new ArrayList<>(batch.recipients().size());
    for (int i = 0; i < batch.recipients().size(); i++) {
      JsonObject r = batch.recipients().getJsonObject(i);
      Long id = batch.idsByRecipient().get(r.getString("id"));
      if (id == null) {
        throw new IllegalStateException("recipient '" + r.getString("id") + "' was stored without an id");
      }
      JsonObject variables = r.getJsonObject("variables");
      messages.add(new Claimed(id, 1, batch.tenantId(), batch.campaignId(), batch.tenant(), batch.campaign(),
        r.getString("id"), r.getJsonObject("addresses"), r.getString("locale"),
        variables == null ? new JsonObject() : variables, false, 0, batch.channels(),
        batch.variantTemplateIds() == null ? batch.templateId() : batch.variantTemplateIds().get(r.getString("variant")),
        batch.priority(), r.getString("time_zone"), "defer".equals(batch.onCap()), batch.topic()));
    }
    Receiver target = receiver;
    target.context().runOnContext(v -> target.target().accept(messages, batch.leaseDeadlineNanos()));
  }

  /** Room left for claims: under {@code dispatch.max-pending}. */
  int room() {
    return maxPending - pending.get();
  }

  /**
   * The dispatcher sent {@code sent} messages in the last second (provider accepted them): the handoff
   * bound follows that pace, smoothed over a few seconds. Deferrals and retries do not count, so a
   * dispatcher held back by its provider does not take more. A second in which the dispatcher held
   * nothing at some moment (it began idle, ran out, or ended idle) says what it was given, not what it
   * can send, and leaves the pace as it was: a gateway idle between campaigns takes the next one at the
   * pace it last sent at, and the first second of a burst, which sends little while the messages
   * arrive, does not cut the room for the rest of it. Called once a second from the dispatcher's context.
   */
  void paced(int sent) {
    boolean heldAllSecond = busy;
    busy = pending.get() > 0;
    if (!heldAllSecond || !busy) {
      return;
    }
    pace = pace * 0.5 + sent * 0.5;
    handoffBound = (int) Math.min(handoffMaxPending, Math.max(maxPending, pace * PACE_SECONDS));
  }

  /** The most messages handoffs may bring the dispatcher to now. */
  int handoffBound() {
    return handoffBound;
  }

  /** The dispatcher took {@code n} messages by claiming them. */
  void claimed(int n) {
    pending.addAndGet(n);
  }

  /** The dispatcher is done with {@code n} messages (completed or released). */
  void done(int n) {
    if (pending.addAndGet(-n) <= 0) {
      busy = false;
    }
  }

  /** The dispatcher takes handoffs on its context: the messages and the deadline of their lease. */
  void open(Context context, BiConsumer<List<Claimed>, Long> target) {
    receiver = new Receiver(context, target);
    accepting = true;
  }

  /** No more reservations; batches already reserved are still delivered (a stopping dispatcher releases them). */
  void close() {
    accepting = false;
  }
}
