package dev.relay.gateway.cli;

import dev.relay.gateway.RelayServer;
import dev.relay.gateway.api.ApiKeys;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.store.Database;
import dev.relay.gateway.store.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code relay demo}: a campaign end to end on the sandbox provider. Starts a gateway in this process (or
 * uses {@code --url}), makes a key for the tenant {@code demo}, sends the shipped {@code welcome} template to
 * sample recipients by email with a progress bar on standard error, plays recipients and machines opening
 * and clicking through the tracking URLs found in what the sandbox received, and prints the campaign's
 * funnel on standard output.
 */
@Command(name = "demo", description = "Send a sample campaign through the sandbox provider, simulate opens and "
  + "clicks (human and machine), and print the campaign's funnel.")
public final class DemoCommand implements Task {

  static final String HUMAN_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    + "Chrome/131.0.0.0 Safari/537.36";
  /** What Apple Mail Privacy Protection's image proxy sends: a bare Mozilla/5.0. */
  static final String APPLE_PROXY_AGENT = "Mozilla/5.0";
  static final String SCANNER_AGENT = "Mozilla/5.0 (compatible; Barracuda Sentinel link scanner)";
  private static final Pattern TRACKING_URL = Pattern.compile("https?://[^\\s\"'<>\\\\]+?/t/([oc])/[A-Za-z0-9_\\-.~%=]+");
  private static final long POLL_MS = 200;
  private static final int BAR_WIDTH = 40;

  @Option(names = "--url", description = "A running gateway to use instead of starting one in this process "
    + "(it must send to the sandbox and use this configuration's database).")
  String url;

  @Option(names = "--recipients", defaultValue = "200", description = "Sample recipients (default ${DEFAULT-VALUE}).")
  int recipients;

  @Option(names = "--timeout-seconds", defaultValue = "120", description = "How long sending may take.")
  int timeoutSeconds;

  PrintStream out = System.out;
  PrintStream err = System.err;

  private record Target(String api, String sandbox, RelayServer server) {
  }

  @Override
  public boolean runsGateway() {
    return url == null;
  }

  @Override
  public Future<Integer> run(Vertx vertx, RelayConfig config) {
    if (recipients < 1 || recipients > 10_000) {
      err.println("--recipients must be 1 to 10000");
      return Future.succeededFuture(2);
    }
    WebClient client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false)
      .setUserAgentEnabled(false));
    return target(vertx, config)
      .compose(target -> demo(vertx, config, client, target)
        .eventually(() -> target.server() == null ? Future.succeededFuture() : target.server().stop()))
      .eventually(() -> {
        client.close();
        return Future.succeededFuture();
      });
  }

  private Future<Target> target(Vertx vertx, RelayConfig config) {
    if (url != null) {
      String api = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
      return Future.succeededFuture(new Target(api, "http://127.0.0.1:" + config.integer(Setting.SANDBOX_PORT), null));
    }
    if (!config.accounts().isEmpty()) {
      return Future.failedFuture(new IllegalStateException(
        "the demo sends to the sandbox provider: run it with no provider accounts configured"));
    }
    return RelayServer.start(vertx, config).map(server -> new Target("http://127.0.0.1:" + server.port(),
      server.sandbox().url(), server));
  }

  private Future<Integer> demo(Vertx vertx, RelayConfig config, WebClient client, Target target) {
    String campaign = "demo-" + System.currentTimeMillis();
    ApiKeys.Issued key = ApiKeys.issue();
    return Database.ensureSchema(vertx, config)
      .compose(v -> {
        Pool pool = Database.pool(vertx, config);
        return new TenantStore(pool).insertKey("demo", key.id(), key.secretHash()).eventually(pool::close);
      })
      .compose(tenant -> client.postAbs(target.api() + "/v1/batches").bearerTokenAuthentication(key.text())
        .sendJsonObject(batch(campaign)))
      .compose(posted -> {
        if (posted.statusCode() != 202) {
          return Future.failedFuture("the batch was not accepted: " + posted.statusCode() + " " + posted.bodyAsString());
        }
        out.printf("campaign %s: %d recipients, template welcome, email through the sandbox%n", campaign, recipients);
        return progress(vertx, client, target, key.text(), posted.bodyAsJsonObject().getString("batch_id"),
          System.nanoTime() + timeoutSeconds * 1_000_000_000L);
      })
      .compose(v -> engage(vertx, client, target, campaign, config.integer(Setting.TRACKING_SCANNER_WINDOW_SECONDS)))
      .compose(v -> delay(vertx, 1000))
      .compose(v -> client.getAbs(target.api() + "/v1/campaigns/" + campaign + "/stats")
        .bearerTokenAuthentication(key.text()).send())
      .map(stats -> {
        if (stats.statusCode() != 200) {
          throw new IllegalStateException("stats not available: " + stats.statusCode() + " " + stats.bodyAsString());
        }
        printFunnel(stats.bodyAsJsonObject());
        return 0;
      });
  }

  private JsonObject batch(String campaign) {
    JsonArray list = new JsonArray();
    for (int i = 0; i < recipients; i++) {
      list.add(new JsonObject().put("id", "demo-" + i)
        .put("addresses", new JsonObject().put("email", "demo-" + i + "@example.com"))
        .put("locale", "en")
        .put("variables", new JsonObject().put("first_name", "Reader " + i)));
    }
    return new JsonObject().put("campaign", campaign).put("template", "welcome")
      .put("channels", new JsonArray().add("email")).put("priority", "marketing").put("recipients", list);
  }

  /** Polls the batch, drawing a bar on standard error, until no message is queued, sending or due for retry. */
  private Future<Void> progress(Vertx vertx, WebClient client, Target target, String key, String batchId, long deadline) {
    return client.getAbs(target.api() + "/v1/batches/" + batchId).bearerTokenAuthentication(key).send()
      .compose(response -> {
        JsonObject states = response.bodyAsJsonObject().getJsonObject("states");
        long pending = states.getLong("queued", 0L) + states.getLong("sending", 0L) + states.getLong("retry", 0L);
        long done = recipients - pending;
        int filled = (int) (BAR_WIDTH * done / recipients);
        err.printf("\r[%s%s] %d/%d done (%d sent)", "#".repeat(filled), ".".repeat(BAR_WIDTH - filled), done,
          recipients, states.getLong("sent", 0L) + states.getLong("delivered", 0L));
        if (pending == 0) {
          err.println();
          return Future.succeededFuture();
        }
        if (System.nanoTime() > deadline) {
          err.println();
          return Future.failedFuture("sending did not finish within " + timeoutSeconds + " s (" + pending + " left)");
        }
        return delay(vertx, POLL_MS).compose(v -> progress(vertx, client, target, key, batchId, deadline));
      });
  }

  /**
   * Plays the audience: of every 10 recipients, 4 open as humans (browser agent) and 2 of them click; 3 have
   * their open fetched by Apple's proxy, and 1 has its links fetched by a scanner (HEAD). Failed hits are
   * counted and reported, not fatal: a build without the tracking endpoints answers 404.
   */
  private Future<Void> engage(Vertx vertx, WebClient client, Target target, String campaign, int scannerWindowSeconds) {
    return client.getAbs(target.sandbox() + "/v1/messages?last=" + Math.max(100, recipients * 2)).send().compose(listed -> {
      JsonArray messages = listed.bodyAsJsonObject().getJsonArray("messages", new JsonArray());
      // Machines come at once (a proxy fetching images, a scanner following links as mail arrives);
      // people later: a click within tracking.scanner-window-seconds of the send counts as a scanner's.
      List<Supplier<Future<Boolean>>> machines = new ArrayList<>();
      List<Supplier<Future<Boolean>>> people = new ArrayList<>();
      int i = 0;
      int linked = 0;
      for (Object item : messages) {
        JsonObject message = (JsonObject) item;
        if (!campaign.equals(message.getString("campaign"))) {
          continue;
        }
        String content = message.getJsonObject("content", new JsonObject()).encode();
        String open = null;
        String click = null;
        Matcher m = TRACKING_URL.matcher(content);
        while (m.find()) {
          if ("o".equals(m.group(1)) && open == null) {
            open = m.group();
          } else if ("c".equals(m.group(1)) && click == null) {
            click = m.group();
          }
        }
        if (open != null || click != null) {
          linked++;
        }
        int slot = i++ % 10;
        String openUrl = open == null ? null : onGateway(target, open);
        String clickUrl = click == null ? null : onGateway(target, click);
        if (slot < 4 && openUrl != null) {
          people.add(() -> hit(client, HttpMethod.GET, openUrl, HUMAN_AGENT));
          if (slot < 2 && clickUrl != null) {
            people.add(() -> hit(client, HttpMethod.GET, clickUrl, HUMAN_AGENT));
          }
        } else if (slot < 7 && openUrl != null) {
          machines.add(() -> hit(client, HttpMethod.GET, openUrl, APPLE_PROXY_AGENT));
        } else if (slot == 7 && clickUrl != null) {
          machines.add(() -> hit(client, HttpMethod.HEAD, clickUrl, SCANNER_AGENT));
        }
      }
      int withLinks = linked;
      List<Future<Boolean>> hits = new ArrayList<>();
      machines.forEach(h -> hits.add(h.get()));
      out.printf("machines: %d image-proxy opens and scanner clicks; people open and click after %d s (sooner counts "
        + "as a link scanner)%n", machines.size(), scannerWindowSeconds);
      return Future.join(new ArrayList<>(hits))
        .transform(ar -> delay(vertx, scannerWindowSeconds * 1000L + 500))
        .compose(v -> {
          people.forEach(h -> hits.add(h.get()));
          return Future.join(new ArrayList<>(hits));
        })
        .transform(ar -> {
        long failed = hits.stream().filter(h -> h.failed() || !h.result()).count();
        out.printf("simulated %d opens and clicks (%d messages had tracking links)%n", hits.size(), withLinks);
        if (failed > 0) {
          out.printf("%d of %d tracking hits failed (the /t/o and /t/c endpoints answered an error or were unreachable)%n",
            failed, hits.size());
        }
        return Future.succeededFuture();
      });
    });
  }

  /** The tracking URL on the gateway the demo talks to: links may name the public base URL, not this address. */
  private static String onGateway(Target target, String link) {
    URI uri = URI.create(link);
    return target.api() + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
  }

  private static Future<Boolean> hit(WebClient client, HttpMethod method, String url, String agent) {
    return client.requestAbs(method, url).putHeader("User-Agent", agent).send()
      .map(response -> response.statusCode() < 400);
  }

  private void printFunnel(JsonObject stats) {
    JsonObject channels = stats.getJsonObject("channels", new JsonObject());
    JsonObject email = channels.getJsonObject("email", stats.getJsonObject("total"));
    out.println("funnel (email):");
    for (String step : new String[] {"accepted", "sent", "delivered", "bounced", "failed", "suppressed"}) {
      out.printf(Locale.ROOT, "  %-14s %6d%n", step, email.getLong(step, 0L));
    }
    for (String step : new String[] {"opened", "clicked"}) {
      JsonObject c = email.getJsonObject(step, new JsonObject());
      out.printf(Locale.ROOT, "  %-14s %6d total, %d unique, %d unique human%n", step, c.getLong("total", 0L),
        c.getLong("unique", 0L), c.getLong("unique_human", 0L));
    }
    for (String step : new String[] {"unsubscribed", "complained"}) {
      out.printf(Locale.ROOT, "  %-14s %6d%n", step, email.getLong(step, 0L));
    }
    JsonObject rates = email.getJsonObject("rates", new JsonObject());
    out.printf(Locale.ROOT, "  rates over %s: open %s, human open %s, click %s, human click %s%n",
      rates.getString("rate_base", "sent"), percent(rates, "open_rate"), percent(rates, "human_open_rate"),
      percent(rates, "click_rate"), percent(rates, "human_click_rate"));
  }

  private static String percent(JsonObject rates, String name) {
    Double rate = rates.getDouble(name);
    return rate == null ? "n/a" : String.format(Locale.ROOT, "%.1f%%", rate * 100);
  }

  private static Future<Void> delay(Vertx vertx, long ms) {
    Promise<Void> done = Promise.promise();
    vertx.setTimer(ms, id -> done.complete());
    return done.future();
  }
}
