package dev.relay.gatling;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * Recipients' mail clients and the machines in front of them hitting the tracking endpoints. Before the run,
 * a seed batch is posted and its messages' open and click tokens are minted as the gateway mints them (see
 * {@link TrackingTargets}). Each virtual user then makes one request on a random seeded message:
 * <ul>
 *   <li>people: {@code GET /t/o/{token}} (the open pixel) or {@code GET /t/c/{token}} (a click) with a desktop
 *       browser's {@code User-Agent};</li>
 *   <li>machines ({@code relay.machineShare} percent): the open fetched by Gmail's image proxy, or the click
 *       checked by a link scanner with {@code HEAD} and a scanner's {@code User-Agent}.</li>
 * </ul>
 * An open must be {@code 200 image/gif}; a click {@code 302} to exactly the URL of the link its token names.
 * Redirects are not followed: the link targets are not on this machine.
 */
public final class TrackingSimulation extends Simulation {

  static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    + "Chrome/120.0.0.0 Safari/537.36";
  static final String IMAGE_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com "
    + "GoogleImageProxy)";
  static final String SCANNER = "Mozilla/5.0 (compatible; Barracuda Sentinel; +https://barracuda.com)";

  private final LoadSettings settings = LoadSettings.read(50);
  private final String apiKey = LoadSettings.required("relay.apiKey",
    "an API key of the gateway, to post the seed batch (java -jar gateway/target/relay.jar api-key create "
      + "--tenant gatling)");
  private final TrackingTargets.Database database = new TrackingTargets.Database(
    LoadSettings.string("relay.db.url", "jdbc:postgresql://127.0.0.1:5432/relay_gatling"),
    LoadSettings.string("relay.db.user", "postgres"),
    LoadSettings.string("relay.db.password", ""));
  private final String trackingKeys = LoadSettings.string("relay.trackingKeys", ExampleGateway.TRACKING_KEYS);
  private final int seedRecipients = LoadSettings.integer("relay.seedRecipients", 200, 1, 10_000);
  private final String template = LoadSettings.string("relay.template", "welcome");
  private final String campaign = LoadSettings.string("relay.campaign", "gatling-tracking");
  private final double clickShare = LoadSettings.decimal("relay.clickShare", 50, 0, 100);
  private final double machineShare = LoadSettings.decimal("relay.machineShare", 20, 0, 100);

  /** Set by {@link #before()}, read only once the injection has started. */
  private volatile TrackingTargets targets;

  private final HttpProtocolBuilder protocol = http.baseUrl(settings.url)
    .acceptHeader("image/avif,image/webp,*/*")
    .disableFollowRedirect();

  {
    ChainBuilder humanOpen = exec(http("open (browser)")
      .get("#{open}")
      .header("User-Agent", BROWSER)
      .check(status().is(200))
      .check(header("Content-Type").is("image/gif")));
    ChainBuilder humanClick = exec(http("click (browser)")
      .get("#{click}")
      .header("User-Agent", BROWSER)
      .check(status().is(302))
      .check(header("Location").isEL("#{location}")));
    ChainBuilder proxyOpen = exec(http("open (image proxy)")
      .get("#{open}")
      .header("User-Agent", IMAGE_PROXY)
      .check(status().is(200))
      .check(header("Content-Type").is("image/gif")));
    ChainBuilder scannerClick = exec(http("click (scanner, HEAD)")
      .head("#{click}")
      .header("User-Agent", SCANNER)
      .check(status().is(302))
      .check(header("Location").isEL("#{location}")));

    // Weights in percent, rounded down to hundredths so that they never add up to more than 100.
    double human = 100 - machineShare;
    double humanOpenWeight = floor2(human * (100 - clickShare) / 100);
    double humanClickWeight = floor2(human * clickShare / 100);
    double proxyOpenWeight = floor2(machineShare * (100 - clickShare) / 100);
    double scannerClickWeight = floor2(machineShare * clickShare / 100);
    Iterator<Map<String, Object>> feeder = Stream.generate(() -> targets.random()).iterator();
    ScenarioBuilder scenario = scenario("tracking")
      .feed(feeder)
      .exec(randomSwitch().on(
        percent(humanOpenWeight).then(humanOpen),
        percent(humanClickWeight).then(humanClick),
        percent(proxyOpenWeight).then(proxyOpen),
        percent(scannerClickWeight).then(scannerClick)));

    System.out.println(settings.describe("TrackingSimulation: " + clickShare + "% clicks, " + machineShare
      + "% machine hits"));
    setUp(scenario.injectOpen(settings.injection())).protocols(protocol).assertions(settings.assertions());
  }

  @Override
  public void before() {
    try {
      targets = TrackingTargets.seed(settings.url, apiKey, template, campaign, seedRecipients, database, trackingKeys);
    } catch (Exception e) {
      throw new IllegalStateException("could not prepare the tracking URLs: " + e.getMessage(), e);
    }
    System.out.println("TrackingSimulation: " + targets.size() + " tracked links of " + seedRecipients
      + " seeded messages");
  }

  private static double floor2(double percent) {
    return Math.floor(percent * 100) / 100;
  }
}
