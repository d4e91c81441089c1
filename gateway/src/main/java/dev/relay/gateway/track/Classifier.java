package dev.relay.gateway.track;

import dev.relay.gateway.config.Networks;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tells human opens and clicks from machine ones, with the reason. Raw events are all kept; the class
 * only decides which figures count them. Rules, first match wins:
 * <ol>
 *   <li>{@code head-request}: a HEAD request (link scanners check where a link goes without following it);</li>
 *   <li>{@code decoy-link}: a click on the hidden decoy link no person can see;</li>
 *   <li>{@code apple-mpp}: from a network of {@code tracking.proxy-cidrs} (Apple's Mail Privacy Protection
 *       egress), or an open whose user agent is the bare {@code Mozilla/5.0} Apple's proxy sends;</li>
 *   <li>{@code no-user-agent}: no user agent at all (every mail client and browser sends one);</li>
 *   <li>{@code image-proxy}: a user agent of {@code tracking.proxy-user-agents} (Gmail, Yahoo, Outlook image proxies);</li>
 *   <li>{@code scanner-user-agent}: a user agent of {@code tracking.scanner-user-agents} (security gateways, bots, scripts);</li>
 * </ol>
 * and, when the event is written (they need the message's history, read with the write batch):
 * <ol>
 *   <li>{@code soon-after-send}: a click within {@code tracking.scanner-window-seconds} of the message's send;</li>
 *   <li>{@code link-burst}: clicks on two or more different links of one message within {@code tracking.burst-ms}
 *       (a scanner following every link): all of them, also one already written as human.</li>
 * </ol>
 * Anything else is human.
 */
public final class Classifier {

  /** A class and, for a machine event, why. */
  public record Verdict(String klass, String reason) {
    public static final Verdict HUMAN = new Verdict("human", null);

    static Verdict machine(String reason) {
      return new Verdict("machine", reason);
    }

    public boolean human() {
      return reason == null;
    }
  }

  /** A click, for the burst rule: which message, which link, when, and its verdict so far. */
  public record Click(long messageId, String link, long at, Verdict verdict) {
  }

  private final Networks proxyNetworks;
  private final UserAgents agents;
  private final long scannerWindowMs;
  private final long burstMs;

  public Classifier(List<String> proxyCidrs, List<String> proxyAgents, List<String> scannerAgents,
                    long scannerWindowMs, long burstMs) {
    this(proxyCidrs, "", proxyAgents, scannerAgents, scannerWindowMs, burstMs);
  }

  Classifier(List<String> proxyCidrs, String userAgentsFile, List<String> proxyAgents, List<String> scannerAgents,
             long scannerWindowMs, long burstMs) {
    this.proxyNetworks = Networks.parse(Setting.TRACKING_PROXY_CIDRS.key(), proxyCidrs);
    this.agents = UserAgents.load(userAgentsFile, scannerAgents, proxyAgents);
    this.scannerWindowMs = scannerWindowMs;
    this.burstMs = burstMs;
  }

  public static Classifier from(RelayConfig config) {
    return new Classifier(list(config.string(Setting.TRACKING_PROXY_CIDRS)), config.string(Setting.TRACKING_USER_AGENTS_FILE),
      list(config.string(Setting.TRACKING_PROXY_USER_AGENTS)), list(config.string(Setting.TRACKING_SCANNER_USER_AGENTS)),
      config.integer(Setting.TRACKING_SCANNER_WINDOW_SECONDS) * 1000L, config.integer(Setting.TRACKING_BURST_MS));
  }

  /** The rules that need only the request. */
  public Verdict request(boolean open, boolean head, boolean decoy, String userAgent, String ip) {
    if (head) {
      return Verdict.machine("head-request");
    }
    if (decoy) {
      return Verdict.machine("decoy-link");
    }
    if (proxyNetworks.contains(ip)) {
      return Verdict.machine("apple-mpp");
    }
    if (userAgent == null || userAgent.isBlank()) {
      return Verdict.machine("no-user-agent");
    }
    if (open && userAgent.trim().equals("Mozilla/5.0")) {
      return Verdict.machine("apple-mpp");
    }
    UserAgents.Rule rule = agents.match(userAgent.trim(), open);
    return rule == null ? Verdict.HUMAN : Verdict.machine(rule.reason());
  }

  /** The rule that needs the message's send time: a click seconds after it is a scanner's. */
  public Verdict afterSend(Verdict verdict, long clickAt, Long sentAt) {
    if (verdict.human() && sentAt != null && clickAt - sentAt < scannerWindowMs) {
      return Verdict.machine("soon-after-send");
    }
    return verdict;
  }

  /**
   * The burst rule over clicks of some messages (the new ones and those already written near them): the
   * indexes of the clicks that another click of the same message on a different link came within
   * {@code tracking.burst-ms} of.
   */
  public List<Integer> bursts(List<Click> clicks) {
    Map<Long, List<Integer>> byMessage = new HashMap<>();
    for (int i = 0; i < clicks.size(); i++) {
      byMessage.computeIfAbsent(clicks.get(i).messageId(), k -> new ArrayList<>()).add(i);
    }
    List<Integer> burst = new ArrayList<>();
    for (List<Integer> ofMessage : byMessage.values()) {
      for (int i : ofMessage) {
        Click a = clicks.get(i);
        for (int j : ofMessage) {
          Click b = clicks.get(j);
          if (i != j && !a.link().equals(b.link()) && Math.abs(a.at() - b.at()) <= burstMs) {
            burst.add(i);
            break;
          }
        }
      }
    }
    return burst;
  }

  /** How far back written clicks matter to the burst rule. */
  public long burstMs() {
    return burstMs;
  }

  private static List<String> list(String setting) {
    return Networks.split(setting);
  }
}
