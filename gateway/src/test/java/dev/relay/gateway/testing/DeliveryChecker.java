package dev.relay.gateway.testing;

import dev.relay.adapters.testkit.SandboxServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A drill's history checker, after Jepsen's: every recipient the gateway accepted (from the batch
 * and its 202 answer) and every arrival at the provider fake, then a verdict that counts what was
 * lost (accepted, never arrived), duplicated (arrived more than once) and unexpected (arrived, never
 * accepted). Recipients are told apart by campaign and recipient id.
 */
public final class DeliveryChecker {

  private final Set<String> accepted = ConcurrentHashMap.newKeySet();

  /** What a drill's history adds up to. */
  public record Verdict(int accepted, int delivered, int lost, int duplicated, int unexpected) {

    @Override
    public String toString() {
      return "accepted " + accepted + ", delivered " + delivered + ", lost " + lost + ", duplicated " + duplicated
        + ", unexpected " + unexpected;
    }
  }

  /** Records a batch the gateway answered 202, less the recipients the answer rejected. */
  public void accepted(JsonObject batch, JsonObject answer) {
    Set<Integer> rejected = new HashSet<>();
    JsonArray rejections = answer.getJsonArray("rejected", new JsonArray());
    for (int i = 0; i < rejections.size(); i++) {
      rejected.add(rejections.getJsonObject(i).getInteger("index"));
    }
    JsonArray recipients = batch.getJsonArray("recipients");
    for (int i = 0; i < recipients.size(); i++) {
      if (!rejected.contains(i)) {
        accepted.add(key(batch.getString("campaign"), recipients.getJsonObject(i).getString("id")));
      }
    }
  }

  public int acceptedCount() {
    return accepted.size();
  }

  /** The verdict over what the provider received. */
  public Verdict check(List<SandboxServer.Receipt> receipts) {
    Map<String, Integer> arrivals = new HashMap<>();
    for (SandboxServer.Receipt receipt : receipts) {
      arrivals.merge(key(receipt.campaign(), receipt.recipientId()), 1, Integer::sum);
    }
    int lost = 0;
    for (String recipient : accepted) {
      if (!arrivals.containsKey(recipient)) {
        lost++;
      }
    }
    int duplicated = 0;
    int unexpected = 0;
    for (Map.Entry<String, Integer> arrival : arrivals.entrySet()) {
      if (!accepted.contains(arrival.getKey())) {
        unexpected++;
      } else if (arrival.getValue() > 1) {
        duplicated++;
      }
    }
    return new Verdict(accepted.size(), arrivals.size() - unexpected, lost, duplicated, unexpected);
  }

  private static String key(String campaign, String recipientId) {
    return campaign + "\u0000" + recipientId;
  }
}
