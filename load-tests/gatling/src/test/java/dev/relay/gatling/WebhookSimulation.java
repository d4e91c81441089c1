package dev.relay.gatling;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Choice;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * Channel providers reporting what happened to messages: each virtual user posts one webhook of a provider
 * chosen at random among {@code relay.providers}, signed with that provider's own scheme (see
 * {@link ProviderWebhooks}). A genuine call must be answered {@code 200} with its one event stored as new; a
 * forged one ({@code relay.forgedShare} percent, signed with the wrong secret) must be answered {@code 401}.
 * The events name provider message ids that no message of the gateway has, so the gateway stores them and
 * keeps them pending (see load-tests/README.md).
 */
public final class WebhookSimulation extends Simulation {

  private final LoadSettings settings = LoadSettings.read(50);
  /** The URL providers call, over which Twilio signs: the gateway's {@code http.public-base-url}. */
  private final String publicUrl = trimSlash(LoadSettings.string("relay.publicUrl", settings.url));
  private final List<String> providerNames = List.of(LoadSettings.string("relay.providers", "twilio,whatsapp,mailgun")
    .toLowerCase(Locale.ROOT).split("\\s*,\\s*"));
  private final double forgedShare = LoadSettings.decimal("relay.forgedShare", 5, 0, 100);
  private final List<ProviderWebhooks.Provider> providers = new ArrayList<>();

  private final HttpProtocolBuilder protocol = http.baseUrl(settings.url)
    .acceptHeader("*/*")
    .userAgentHeader("relay-gatling provider")
    // Providers post from pools of keep-alive connections.
    .shareConnections();

  {
    for (String name : providerNames) {
      providers.add(switch (name) {
        case "twilio" -> ProviderWebhooks.twilio(publicUrl,
          LoadSettings.string("relay.twilio.account", ExampleGateway.TWILIO_ACCOUNT),
          LoadSettings.string("relay.twilio.authToken", ExampleGateway.TWILIO_AUTH_TOKEN));
        case "whatsapp" -> ProviderWebhooks.whatsapp(
          LoadSettings.string("relay.whatsapp.account", ExampleGateway.WHATSAPP_ACCOUNT),
          LoadSettings.string("relay.whatsapp.appSecret", ExampleGateway.WHATSAPP_APP_SECRET));
        case "mailgun" -> ProviderWebhooks.mailgun(
          LoadSettings.string("relay.mailgun.account", ExampleGateway.MAILGUN_ACCOUNT),
          LoadSettings.string("relay.mailgun.signingKey", ExampleGateway.MAILGUN_SIGNING_KEY));
        default -> throw new IllegalArgumentException("relay.providers: '" + name
          + "' is not one of twilio, whatsapp, mailgun");
      });
    }
    // Weights in percent, rounded down to hundredths so that they never add up to more than 100.
    double genuineWeight = Math.floor((100 - forgedShare) / providers.size() * 100) / 100;
    double forgedWeight = Math.floor(forgedShare / providers.size() * 100) / 100;
    List<Choice.WithWeight> choices = new ArrayList<>();
    for (ProviderWebhooks.Provider provider : providers) {
      choices.add(percent(genuineWeight).then(post(provider, false)));
      if (forgedWeight > 0) {
        choices.add(percent(forgedWeight).then(post(provider, true)));
      }
    }
    ScenarioBuilder scenario = scenario("webhooks").exec(randomSwitch().on(choices));

    System.out.println(settings.describe("WebhookSimulation: " + providerNames + ", " + forgedShare + "% forged"));
    setUp(scenario.injectOpen(settings.injection())).protocols(protocol).assertions(settings.assertions());
  }

  private static ChainBuilder post(ProviderWebhooks.Provider provider, boolean forged) {
    HttpRequestActionBuilder request = http(provider.name() + (forged ? " forged" : " status"))
      .post("#{path}")
      .header("Content-Type", "#{contentType}")
      .body(StringBody("#{body}"));
    if (forged) {
      request = request.check(status().is(401));
    } else {
      request = request.check(status().is(200))
        .check(jsonPath("$.events").ofInt().is(1))
        .check(jsonPath("$.new").ofInt().is(1));
    }
    if (provider.signatureHeader() != null) {
      request = request.header(provider.signatureHeader(), "#{signature}");
    }
    return exec(session -> {
      ProviderWebhooks.Call call = provider.call(forged);
      Session prepared = session.set("path", call.path()).set("contentType", call.contentType())
        .set("body", call.body());
      return call.signature() == null ? prepared : prepared.set("signature", call.signature());
    }).exec(request);
  }

  /**
   * Checks that every chosen provider's account takes webhooks at the gateway: an unsigned call must be refused
   * ({@code 401}), where a missing account would be {@code 404}. Nothing is stored for such a call.
   */
  @Override
  public void before() {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    for (ProviderWebhooks.Provider provider : providers) {
      ProviderWebhooks.Call call = provider.call(false);
      int status;
      try {
        status = client.send(HttpRequest.newBuilder(URI.create(settings.url + call.path()))
          .timeout(Duration.ofSeconds(30))
          .header("Content-Type", call.contentType())
          .POST(HttpRequest.BodyPublishers.ofString("{}"))
          .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException e) {
        throw new IllegalStateException("the gateway at " + settings.url + " cannot be reached: " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      if (status != 401) {
        throw new IllegalStateException("an unsigned " + provider.name() + " webhook to " + call.path() + " was answered "
          + status + ", not 401: is the gateway started with load-tests/gatling/gateway.yaml (or an account of that "
          + "name and adapter)?");
      }
    }
  }

  private static String trimSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
