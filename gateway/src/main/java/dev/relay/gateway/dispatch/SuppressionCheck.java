package dev.relay.gateway.dispatch;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.store.PreferenceStore;
import dev.relay.gateway.store.SuppressionStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The suppression step before routing: one suppression look-up and, for messages whose batch names a topic, one
 * topic-preference look-up for a whole claimed or handed-over group. A message keeps only the addresses that are not
 * suppressed and whose channel the recipient did not opt out of the topic on, so routing and channel failover pass
 * over those channels as if the recipient had no address there. A message left with no address on any remaining
 * channel of its list ends {@code opted_out} when an opt-out took one of them away, {@code suppressed} otherwise,
 * naming them.
 */
final class SuppressionCheck {

  /**
   * The message to route (its suppressed and opted-out addresses removed), or, when {@code optedOutReason} or
   * {@code suppressedReason} is not null, a message to end opted out or suppressed for that reason.
   */
  record Verdict(Claimed message, String suppressedReason, String optedOutReason) {
  }

  private final SuppressionStore store;
  private final PreferenceStore preferences;

  SuppressionCheck(SuppressionStore store, PreferenceStore preferences) {
    this.store = store;
    this.preferences = preferences;
  }

  Future<List<Verdict>> check(List<Claimed> messages) {
    Set<SuppressionStore.Entry> wanted = new LinkedHashSet<>();
    Set<PreferenceStore.Lookup> topics = new LinkedHashSet<>();
    for (Claimed m : messages) {
      if (m.topic() != null) {
        topics.add(new PreferenceStore.Lookup(m.tenantId(), m.recipientId(), m.topic()));
      }
      for (int i = m.channelIndex(); i < m.channels().size(); i++) {
        String channel = m.channels().get(i).wireName();
        String address = m.addresses().getString(channel);
        if (address != null) {
          wanted.add(new SuppressionStore.Entry(m.tenantId(), channel, address));
        }
      }
    }
    Future<Map<SuppressionStore.Entry, String>> suppressed = store.findMany(new ArrayList<>(wanted));
    Future<Map<PreferenceStore.Lookup, PreferenceStore.Resolved>> choices =
      preferences.resolveMany(new ArrayList<>(topics));
    return Future.all(suppressed, choices).map(v -> verdicts(messages, suppressed.result(), choices.result()));
  }

  private static List<Verdict> verdicts(List<Claimed> messages, Map<SuppressionStore.Entry, String> found,
                                        Map<PreferenceStore.Lookup, PreferenceStore.Resolved> choices) {
    List<Verdict> verdicts = new ArrayList<>(messages.size());
    for (Claimed m : messages) {
      PreferenceStore.Resolved choice = m.topic() == null ? null
        : choices.get(new PreferenceStore.Lookup(m.tenantId(), m.recipientId(), m.topic()));
      if (found.isEmpty() && choice == null) {
        verdicts.add(new Verdict(m, null, null));
        continue;
      }
      JsonObject addresses = null;
      List<String> reasons = new ArrayList<>();
      List<String> optedOut = new ArrayList<>();
      for (int i = m.channelIndex(); i < m.channels().size(); i++) {
        Channel channel = m.channels().get(i);
        String address = m.addresses().getString(channel.wireName());
        if (address == null) {
          continue;
        }
        String reason = found.get(new SuppressionStore.Entry(m.tenantId(), channel.wireName(), address));
        boolean out = choice != null && !choice.optedIn(channel.wireName());
        if (reason != null || out) {
          if (addresses == null) {
            addresses = m.addresses().copy();
          }
          addresses.remove(channel.wireName());
          if (out) {
            optedOut.add(channel.wireName());
          } else {
            reasons.add(channel.wireName() + " (" + reason + ")");
          }
        }
      }
      if (addresses == null) {
        verdicts.add(new Verdict(m, null, null));
        continue;
      }
      Claimed kept = new Claimed(m.id(), m.attempt(), m.tenantId(), m.campaignId(), m.tenant(), m.campaign(),
        m.recipientId(), addresses, m.locale(), m.variables(), m.expired(), m.channelIndex(), m.channels(),
        m.templateId(), m.priority(), m.timeZone(), m.deferWhenCapped(), m.topic());
      if (kept.reachableChannel(m.channelIndex()) >= 0) {
        verdicts.add(new Verdict(kept, null, null));
      } else if (!optedOut.isEmpty()) {
        verdicts.add(new Verdict(kept, null, "the recipient opted out of topic '" + m.topic() + "' on "
          + String.join(", ", optedOut) + (reasons.isEmpty() ? "" : "; suppressed on " + String.join(", ", reasons))));
      } else {
        verdicts.add(new Verdict(kept, "the address is suppressed on " + String.join(", ", reasons), null));
      }
    }
    return verdicts;
  }
}
