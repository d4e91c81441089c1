package dev.relay.gateway.track;

import dev.relay.gateway.config.Networks;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Tells human opens and clicks from machine ones, with the reason. Raw events are all kept; the class only decides
 * which figures count them. A request is judged first on its own ({@link #request}), then, when it is written, with
 * the rest of its message's traffic ({@link #judge}).
 *
 * <p>On the request alone, first match wins: {@code head-request} (a HEAD); {@code decoy-link} (the hidden link no
 * person sees); {@code apple-mpp} (an open from {@code tracking.proxy-cidrs}); the published networks of
 * {@code tracking.network-lists} ({@link NetworkLists}: each list's reason, on the hits it marks); {@code no-user-agent};
 * {@code apple-mpp} (an open with the bare {@code Mozilla/5.0} Apple's proxy sends); then the user-agent rules ({@link UserAgents}: {@code bot-user-agent},
 * {@code script-user-agent}, {@code scanner-user-agent}, {@code headless-browser}, {@code link-preview}). A weak
 * user-agent rule ({@code image-proxy}: image proxies load the pixel both for a reader and for a prefetch) leaves the
 * hit human with a signal that only counts together with timing.
 *
 * <p>With the message's traffic, for hits still human: {@code decoy-taint} (a click within
 * {@code tracking.taint-seconds} of a decoy hit, or an open from the decoy's client); {@code head-then-get} (a GET of a
 * link its client, same address and user agent, sent a HEAD for within {@code tracking.sweep-seconds});
 * {@code link-sweep} ({@code tracking.sweep-links} or more different links clicked within
 * {@code tracking.sweep-seconds}: all of them); {@code same-client} (the address and user agent of a hit shown to be a
 * scanner's by its behaviour, at any time: scanners come back hours later); {@code link-burst} (different links within
 * {@code tracking.burst-ms} and within {@code tracking.scanner-window-seconds} of the send); and a weak signal within
 * {@code tracking.scanner-window-seconds} of the send becomes machine with its reason. Timing alone never makes a hit
 * machine: people click a sign-in link seconds after it arrives.
 */
public final class Classifier {

  /** Reasons that show a client to be a scanner by what it did; its other hits on the message follow it. */
  private static final Set<String> SCANNER_BEHAVIOUR = Set.of("decoy-link", "decoy-taint", "head-then-get", "link-sweep",
    "link-burst", "scanner-network");

  /**
   * A class and, for a machine event, why. A human verdict may carry a weak signal as its reason (not yet
   * machine: {@link #judge} decides); events are written human with no reason.
   */
  public record Verdict(EventClass klass, String reason) {
    public static final Verdict HUMAN = new Verdict(EventClass.HUMAN, null);

    static Verdict machine(String reason) {
      return new Verdict(EventClass.MACHINE, reason);
    }

    static Verdict weak(String signal) {
      return new Verdict(EventClass.HUMAN, signal);
    }

    public boolean human() {
      return klass == EventClass.HUMAN;
    }

    /** As written to the events table: a human verdict without its weak signal. */
    public Verdict written() {
      return human() ? HUMAN : this;
    }
  }

  /**
   * One open or click of a message as the traffic rules see it.
   *
   * @param link   the link clicked ({@code decoy} for the decoy), null for an open
   * @param at     epoch milliseconds
   */
  public record Seen(String type, String link, String method, String ip, String userAgent, long at, Verdict verdict) {
    boolean click() {
      return Hit.CLICKED.equals(type);
    }

    boolean decoy() {
      return click() && "decoy".equals(link);
    }

    boolean sameClient(Seen other) {
      return ip != null && ip.equals(other.ip) && Objects.equals(userAgent, other.userAgent);
    }
  }

  /** The timing of the traffic rules, in milliseconds, and how many links make a sweep. */
  public record Timing(long scannerWindowMs, long burstMs, long sweepMs, int sweepLinks, long taintMs) {
  }

  private final Networks proxyNetworks;
  private final NetworkLists networkLists;
  private final UserAgents agents;
  private final Timing timing;

  public Classifier(List<String> proxyCidrs, String userAgentsFile, List<String> proxyAgents, List<String> scannerAgents,
                    Timing timing) {
    this(proxyCidrs, List.of(), userAgentsFile, proxyAgents, scannerAgents, timing);
  }

  public Classifier(List<String> proxyCidrs, List<String> networkLists, String userAgentsFile, List<String> proxyAgents,
                    List<String> scannerAgents, Timing timing) {
    this.proxyNetworks = Networks.parse(Setting.TRACKING_PROXY_CIDRS.key(), proxyCidrs);
    this.networkLists = NetworkLists.load(networkLists);
    this.agents = UserAgents.load(userAgentsFile, scannerAgents, proxyAgents);
    this.timing = timing;
  }

  public static Classifier from(RelayConfig config) {
    return new Classifier(Networks.split(config.string(Setting.TRACKING_PROXY_CIDRS)),
      Networks.split(config.string(Setting.TRACKING_NETWORK_LISTS)), config.string(Setting.TRACKING_USER_AGENTS_FILE), Networks.split(config.string(Setting.TRACKING_PROXY_USER_AGENTS)),
      Networks.split(config.string(Setting.TRACKING_SCANNER_USER_AGENTS)), timing(config));
  }

  static Timing timing(RelayConfig config) {
    return new Timing(config.integer(Setting.TRACKING_SCANNER_WINDOW_SECONDS) * 1000L, config.integer(Setting.TRACKING_BURST_MS),
      config.integer(Setting.TRACKING_SWEEP_SECONDS) * 1000L, config.integer(Setting.TRACKING_SWEEP_LINKS),
      config.integer(Setting.TRACKING_TAINT_SECONDS) * 1000L);
  }

  /** The rules that need only the request. */
  public Verdict request(boolean open, boolean head, boolean decoy, String userAgent, String ip) {
    if (head) {
      return Verdict.machine("head-request");
    }
    if (decoy) {
      return Verdict.machine("decoy-link");
    }
    if (open && proxyNetworks.contains(ip)) {
      return Verdict.machine("apple-mpp");
    }
    String network = networkLists.match(ip, open);
    if (network != null) {
      return Verdict.machine(network);
    }
    if (userAgent == null || userAgent.isBlank()) {
      return Verdict.machine("no-user-agent");
    }
    if (open && userAgent.trim().equals("Mozilla/5.0")) {
      return Verdict.machine("apple-mpp");
    }
    UserAgents.Rule rule = agents.match(userAgent.trim(), open);
    if (rule == null) {
      return Verdict.HUMAN;
    }
    return rule.strong() ? Verdict.machine(rule.reason()) : Verdict.weak(rule.reason());
  }

  /**
   * The verdicts of one message's hits (in the order given) judged with all of them: written ones and new ones, and
   * the time the message was sent (null: not known). A machine verdict is never turned human.
   */
  public List<Verdict> judge(List<Seen> hits, Long sentAt) {
    int n = hits.size();
    Verdict[] verdicts = new Verdict[n];
    for (int i = 0; i < n; i++) {
      verdicts[i] = hits.get(i).verdict();
    }
    for (int i = 0; i < n; i++) {
      if (verdicts[i].human()) {
        String reason = decoyTaint(hits, i);
        if (reason == null) {
          reason = headThenGet(hits, i);
        }
        if (reason != null) {
          verdicts[i] = Verdict.machine(reason);
        }
      }
    }
    sweeps(hits, verdicts);
    for (int i = 0; i < n; i++) {
      if (verdicts[i].human() && soon(hits.get(i), sentAt) && burst(hits, i)) {
        verdicts[i] = Verdict.machine("link-burst");
      }
    }
    for (int i = 0; i < n; i++) {
      if (verdicts[i].human()) {
        for (int j = 0; j < n; j++) {
          if (!verdicts[j].human() && SCANNER_BEHAVIOUR.contains(verdicts[j].reason())
            && hits.get(i).sameClient(hits.get(j))) {
            verdicts[i] = Verdict.machine("same-client");
            break;
          }
        }
      }
    }
    for (int i = 0; i < n; i++) {
      if (verdicts[i].human() && verdicts[i].reason() != null && soon(hits.get(i), sentAt)) {
        verdicts[i] = Verdict.machine(verdicts[i].reason());
      }
    }
    return List.of(verdicts);
  }

  /** How far back, before the oldest new hit, the written traffic of its message matters. */
  public long lookbackMs() {
    return Math.max(timing.taintMs(), Math.max(timing.sweepMs(), timing.burstMs()));
  }

  private String decoyTaint(List<Seen> hits, int i) {
    Seen hit = hits.get(i);
    for (Seen other : hits) {
      if (other.decoy() && Math.abs(other.at() - hit.at()) <= timing.taintMs()
        && (hit.click() || Objects.equals(hit.ip(), other.ip()))) {
        return "decoy-taint";
      }
    }
    return null;
  }

  private String headThenGet(List<Seen> hits, int i) {
    Seen get = hits.get(i);
    if (!get.click() || !"GET".equals(get.method())) {
      return null;
    }
    for (Seen other : hits) {
      if (other.click() && "HEAD".equals(other.method()) && Objects.equals(other.link(), get.link())
        && other.sameClient(get) && get.at() - other.at() >= 0 && get.at() - other.at() <= timing.sweepMs()) {
        return "head-then-get";
      }
    }
    return null;
  }

  /** Marks every click of a window of {@code sweepMs} in which {@code sweepLinks} different links were clicked. */
  private void sweeps(List<Seen> hits, Verdict[] verdicts) {
    List<Integer> clicks = new ArrayList<>();
    for (int i = 0; i < hits.size(); i++) {
      if (hits.get(i).click() && !hits.get(i).decoy()) {
        clicks.add(i);
      }
    }
    clicks.sort((a, b) -> Long.compare(hits.get(a).at(), hits.get(b).at()));
    for (int s = 0; s < clicks.size(); s++) {
      long start = hits.get(clicks.get(s)).at();
      Set<String> links = new HashSet<>();
      int e = s;
      while (e < clicks.size() && hits.get(clicks.get(e)).at() - start <= timing.sweepMs()) {
        links.add(String.valueOf(hits.get(clicks.get(e)).link()));
        e++;
      }
      if (links.size() >= timing.sweepLinks()) {
        for (int k = s; k < e; k++) {
          if (verdicts[clicks.get(k)].human()) {
            verdicts[clicks.get(k)] = Verdict.machine("link-sweep");
          }
        }
      }
    }
  }

  private boolean burst(List<Seen> hits, int i) {
    Seen hit = hits.get(i);
    if (!hit.click() || hit.decoy()) {
      return false;
    }
    for (Seen other : hits) {
      if (other.click() && !other.decoy() && !Objects.equals(other.link(), hit.link())
        && Math.abs(other.at() - hit.at()) <= timing.burstMs()) {
        return true;
      }
    }
    return false;
  }

  private boolean soon(Seen hit, Long sentAt) {
    return sentAt != null && hit.at() - sentAt <= timing.scannerWindowMs();
  }
}
