package dev.relay.gateway.dispatch;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.store.SuppressionStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The suppression step before routing: one look-up for a whole claimed or handed-over group. A message
 * keeps only the addresses that are not suppressed, so routing and channel failover pass over suppressed
 * channels as if the recipient had no address there; a message left with no address on any remaining
 * channel of its list because of suppressions ends {@code suppressed}, naming them.
 */
final class SuppressionCheck {

  /**
   * The message to route (its suppressed addresses removed), or, when {@code suppressedReason} is not
   * null, a message to end suppressed for that reason.
   */
  record Verdict(Claimed message, String suppressedReason) {
  }

  private final SuppressionStore store;

  SuppressionCheck(SuppressionStore store) {
    this.store = store;
  }

  Future<List<Verdict>> check(List<Claimed> messages) {
    Set<SuppressionStore.Entry> wanted = new LinkedHashSet<>();
    for (Claimed m : messages) {
      for (int i = m.channelIndex(); i < m.channels().size(); i++) {
        String channel = m.channels().get(i).wireName();
        String address = m.addresses().getString(channel);
        if (address != null) {
          wanted.add(new SuppressionStore.Entry(m.tenantId(), channel, address));
        }
      }
    }
    return store.findMany(new ArrayList<>(wanted)).map(found -> verdicts(messages, found));
  }

  private static List<Verdict> verdicts(List<Claimed> messages, Map<SuppressionStore.Entry, String> found) {
    List<Verdict> verdicts = new ArrayList<>(messages.size());
    for (Claimed m : messages) {
      if (found.isEmpty()) {
        verdicts.add(new Verdict(m, null));
        continue;
      }
      JsonObject addresses = null;
      List<String> reasons = new ArrayList<>();
      for (int i = m.channelIndex(); i < m.channels().size(); i++) {
        Channel channel = m.channels().get(i);
        String address = m.addresses().getString(channel.wireName());
        String reason = address == null ? null
          : found.get(new SuppressionStore.Entry(m.tenantId(), channel.wireName(), address));
        if (reason != null) {
          if (addresses == null) {
            addresses = m.addresses().copy();
          }
          addresses.remove(channel.wireName());
          reasons.add(channel.wireName() + " (" + reason + ")");
        }
      }
      if (addresses == null) {
        verdicts.add(new Verdict(m, null));
        continue;
      }
      Claimed kept = new Claimed(m.id(), m.attempt(), m.tenantId(), m.campaignId(), m.tenant(), m.campaign(),
        m.recipientId(), addresses, m.locale(), m.variables(), m.expired(), m.channelIndex(), m.channels(),
        m.templateId(), m.priority(), m.timeZone(), m.deferWhenCapped());
      verdicts.add(new Verdict(kept, kept.reachableChannel(m.channelIndex()) < 0
        ? "the address is suppressed on " + String.join(", ", reasons) : null));
    }
    return verdicts;
  }
}
