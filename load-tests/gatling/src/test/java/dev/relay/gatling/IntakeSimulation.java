package dev.relay.gatling;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * Campaign systems handing batches to the gateway: each virtual user posts one {@code POST /v1/batches} of
 * {@code relay.batchSize} valid recipients with the shipped {@code welcome} template on the email channel, and
 * expects {@code 202} with every recipient accepted. Recipient ids ({@code g<run>-<n>}) are distinct across the
 * run and across runs; so are the {@code Idempotency-Key}s, when sent.
 */
public final class IntakeSimulation extends Simulation {

  private static final String[] FIRST_NAMES = {"Ayse", "Mehmet", "Elif", "Can", "Zeynep", "Emre", "Deniz", "Selin"};
  private static final String[] PLANS = {"free", "silver", "gold"};
  private static final String[] LOCALES = {"en-US", "tr-TR", "de-DE"};
  private static final String[] ZONES = {"Europe/Istanbul", "Europe/Berlin", "America/New_York"};

  private final LoadSettings settings = LoadSettings.read(10);
  private final String apiKey = LoadSettings.required("relay.apiKey",
    "an API key of the gateway (java -jar gateway/target/relay.jar api-key create --tenant gatling)");
  private final int batchSize = LoadSettings.integer("relay.batchSize", 100, 1, 10_000);
  private final String campaign = LoadSettings.string("relay.campaign", "gatling-intake");
  private final String template = LoadSettings.string("relay.template", "welcome");
  private final boolean idempotencyKeys = Boolean.parseBoolean(LoadSettings.string("relay.idempotencyKeys", "true"));
  /** Distinguishes this run's recipient ids and idempotency keys from every earlier run's. */
  private final String run = Long.toString(System.currentTimeMillis(), 36);
  private final AtomicLong nextBatch = new AtomicLong();

  private final HttpProtocolBuilder protocol = http.baseUrl(settings.url)
    .authorizationHeader("Bearer " + apiKey)
    .contentTypeHeader("application/json")
    .acceptHeader("application/json")
    .userAgentHeader("relay-gatling campaign system")
    // A campaign system keeps a pool of keep-alive connections rather than one per batch.
    .shareConnections();

  {
    if (!campaign.matches("[A-Za-z0-9._-]{1,200}") || !template.matches("[a-z0-9][a-z0-9._-]*")) {
      throw new IllegalArgumentException("relay.campaign must be 1-200 letters, digits, '.', '_' or '-', and "
        + "relay.template a template name ([a-z0-9][a-z0-9._-]*)");
    }
    HttpRequestActionBuilder post = http("POST /v1/batches")
      .post("/v1/batches")
      .body(StringBody(this::body))
      .check(status().is(202))
      .check(jsonPath("$.batch_id").exists())
      .check(jsonPath("$.accepted").ofInt().is(batchSize));
    if (idempotencyKeys) {
      post = post.header("Idempotency-Key", session -> "gatling-" + run + "-" + session.getLong("batch"));
    }
    ScenarioBuilder scenario = scenario("intake")
      .feed(Stream.generate(() -> Map.<String, Object>of("batch", nextBatch.getAndIncrement())).iterator())
      .exec(post);
    System.out.println(settings.describe("IntakeSimulation: batches of " + batchSize + " recipients, template "
      + template + ", campaign " + campaign));
    setUp(scenario.injectOpen(settings.injection())).protocols(protocol).assertions(settings.assertions());
  }

  /** Batch {@code n} of this run: recipients {@code n * batchSize} to {@code n * batchSize + batchSize - 1}. */
  private String body(Session session) {
    long first = session.getLong("batch") * batchSize;
    StringBuilder json = new StringBuilder(batchSize * 240 + 160);
    json.append("{\"campaign\":\"").append(campaign).append("\",\"template\":\"").append(template)
      .append("\",\"channels\":[\"email\"],\"priority\":\"marketing\",\"recipients\":[");
    for (int i = 0; i < batchSize; i++) {
      long g = first + i;
      if (i > 0) {
        json.append(',');
      }
      json.append("{\"id\":\"g").append(run).append('-').append(g)
        .append("\",\"addresses\":{\"email\":\"g").append(run).append('.').append(g).append("@example.com\"}")
        .append(",\"locale\":\"").append(LOCALES[(int) (g % LOCALES.length)])
        .append("\",\"time_zone\":\"").append(ZONES[(int) (g / 7 % ZONES.length)])
        .append("\",\"variables\":{\"first_name\":\"").append(FIRST_NAMES[(int) (g % FIRST_NAMES.length)])
        .append("\",\"plan\":\"").append(PLANS[(int) (g / 3 % PLANS.length)])
        .append("\",\"points\":").append(g * 37 % 5000).append("}}");
    }
    return json.append("]}").toString();
  }
}
