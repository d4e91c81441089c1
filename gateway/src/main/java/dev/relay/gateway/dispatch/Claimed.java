package dev.relay.gateway.dispatch;

import dev.relay.gateway.lifecycle.Priority;
import dev.relay.adapters.spi.Channel;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A message this process has claimed: leased to it under {@code attempt}, which fences every
 * outcome it records.
 *
 * @param templateId      the template version its batch resolved at intake (null for a batch stored before templates)
 * @param priority        {@code transactional} or {@code marketing}
 * @param timeZone        the recipient's IANA time zone, or null
 * @param deferWhenCapped whether its batch asked for a capped message to wait ({@code on_cap: defer})
 *                        rather than end {@code capped}
 * @param topic           the subscription topic of its batch, or null
 */
record Claimed(long id, int attempt, long tenantId, long campaignId, String tenant, String campaign,
               String recipientId, JsonObject addresses, String locale, JsonObject variables, boolean expired,
               int channelIndex, List<Channel> channels, Long templateId, Priority priority, String timeZone,
               boolean deferWhenCapped, String topic) {

  /** The index of the first channel, from {@code from} on, that the recipient has an address for; -1 if none. */
  int reachableChannel(int from) {
    for (int i = from; i < channels.size(); i++) {
      if (addresses.getString(channels.get(i).wireName()) != null) {
        return i;
      }
    }
    return -1;
  }
}
