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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code relay demo}: a campaign end to end on the sandbox provider. Uses the gateway that answers
 * {@code /health/live} at {@code --url} or at this configuration's port when one does and sends to the sandbox,
 * else starts one in this process on free ports (its log in {@code <data-dir>/demo.log}); says which in one line.
 * Makes a key for the tenant {@code demo}, sends the shipped {@code welcome} template to sample recipients by
 * email, plays recipients and machines opening and clicking through the tracking URLs found in what the sandbox
 * received, and prints the campaign's funnel on standard output. Progress goes to standard error: a bar redrawn
 * in place on a terminal, plain lines otherwise.
 */
@Command(name = "demo", description = "Send a sample campaign through the sandbox provider, simulate opens and "
  + "clicks (human and machine), and print the campaign's funnel. Uses the gateway running at --url or at "
  + "http.port when one answers there, else starts one in this process on free ports.")
public final class DemoCommand implements Task {

  static final String HUMAN_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    + "Chrome/131.0.0.0 Safari/537.36";
  /** What Apple Mail Privacy Protection's image proxy sends: a bare Mozilla/5.0. */
  static final String APPLE_PROXY_AGENT = "Mozilla/5.0";
  static final String SCANNER_AGENT = "Mozilla/5.0 (compatible; Barracuda Sentinel link scanner)";
  private static final Pattern TRACKING_URL = Pattern.compile("https?://[^\\s\"'<>\\\\]+?/t/([oc])/[A-Za-z0-9_\\-.~%=]+");
  private static final long POLL_MS = 100;
  private static final long PROBE_TIMEOUT_MS = 1000;

  @Option(names = "--url", paramLabel = "URL", description = "The gateway to use (it must send to the sandbox provider "
    + "at sandbox.port and use this configuration's database). Default: the one at http.port on this machine when "
    + "one answers there, else one started in this process on free ports.")
  String url;

  @Option(names = "--recipients", paramLabel = "N", defaultValue = "200", description = "Sample recipients, 1 to 10000 (default ${DEFAULT-VALUE}).")
  int recipients;

  @Option(names = "--timeout-seconds", paramLabel = "SECONDS", defaultValue = "120", description = "How long sending may take (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  PrintStream out = System.out;
  PrintStream err = System.err;
  /** A terminal redraws one progress line in place; anything else (a pipe, a file, CI) gets plain lines. */
  boolean terminal = System.console() != null;

  private record Target(String api, String sandbox, RelayServer server) {
  }

  /**
   * The demo may use a gateway that is already running, so it shares that gateway's embedded PostgreSQL when there
   * is one (a gateway it starts itself then runs on it too); with none running, it starts its own for the run.
   */
  @Override
  public boolean runsGateway() {
    return false;
  }

  @Override
  public Future<Integer> run(Vertx vertx, RelayConfig config) {
    if (recipients < 1 || recipients > 10_000) {
      err.println("--recipients must be 1 to 10000");
      return Future.succeededFuture(2);
    }
    WebClient client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false)
      .setUserAgentEnabled(false));
    // The bar and the funnel are the demo's output: the gateway's log lines go to a file meanwhile.
    Path log = config.dataDir("demo.log");
    Runnable restoreLog = DemoLog.toFile(log);
    return target(vertx, config, client, log)
      .compose(target -> demo(vertx, config, client, target)
        .eventually(() -> target.server() == null ? Future.succeededFuture() : target.server().stop()))
      .eventually(() -> {
        client.close();
        restoreLog.run();
        return Future.succeededFuture();
      });
  }

  /** The gateway at --url; else the one answering at http.port with its sandbox; else one in this process. */
  private Future<Target> target(Vertx vertx, RelayConfig config, WebClient client, Path log) {
    String sandbox = "http://127.0.0.1:" + config.integer(Setting.SANDBOX_PORT);
    if (url != null) {
      String api = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
      out.printf("gateway: %s (--url), sandbox provider at %s%n", api, sandbox);
      return Future.succeededFuture(new Target(api, sandbox, null));
    }
    if (!config.accounts().isEmpty()) {
      return Future.failedFuture(new IllegalStateException(
        "the demo sends to the sandbox provider: run it with no provider accounts configured"));
    }
    int port = config.integer(Setting.HTTP_PORT);
    if (port == 0) {
      return inProcess(vertx, config, log, "http.port is 0");
    }
    String host = config.string(Setting.HTTP_HOST);
    String running = "http://" + (host.equals("0.0.0.0") || host.isBlank() ? "127.0.0.1" : host) + ":" + port;
    return answers(client, running + "/health/live").compose(gateway -> {
      if (!gateway) {
        return inProcess(vertx, config, log, "no gateway answers at " + running);
      }
      return answers(client, sandbox + "/v1/messages?last=1").compose(sandboxed -> {
        if (!sandboxed) {
          return inProcess(vertx, config, log, "the gateway at " + running + " has no sandbox provider at " + sandbox);
        }
        out.printf("gateway: the one already running at %s, sandbox provider at %s%n", running, sandbox);
        return Future.succeededFuture(new Target(running, sandbox, null));
      });
    });
  }

  /** A gateway in this process on free loopback ports, its tracking journal beside the running gateway's. */
  private Future<Target> inProcess(Vertx vertx, RelayConfig config, Path log, String why) {
    RelayConfig own = config.with(Setting.HTTP_HOST, "127.0.0.1").with(Setting.HTTP_PORT, "0")
      .with(Setting.SANDBOX_PORT, "0")
      .with(Setting.TRACKING_JOURNAL_DIR, config.dataDir("demo-tracking-journal").toString());
    return RelayServer.start(vertx, own).map(server -> {
      String api = "http://127.0.0.1:" + server.port();
      out.printf("gateway: %s, so one runs in this process at %s (sandbox provider at %s, log in %s)%n", why, api,
        server.sandbox().url(), log);
      return new Target(api, server.sandbox().url(), server);
    });
  }

  private static Future<Boolean> answers(WebClient client, String url) {
    return client.getAbs(url).timeout(PROBE_TIMEOUT_MS).send()
      .map(response -> response.statusCode() == 200)
      .otherwise(false);
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
        if (posted.statusCode() == 401) {
          return Future.failedFuture("the gateway at " + target.api() + " did not know the demo's API key: it uses "
            + "another database than this configuration's (" + config.string(Setting.DB_NAME) + " at "
            + config.string(Setting.DB_HOST) + ":" + config.integer(Setting.DB_PORT) + "); give the demo the "
            + "gateway's configuration, or --url of a gateway on this database");
        }
        if (posted.statusCode() != 202) {
          return Future.failedFuture("the batch was not accepted: " + posted.statusCode() + " " + posted.bodyAsString());
        }
        out.printf("campaign %s: %d recipients, template welcome, email through the sandbox%n", campaign, recipients);
        return sending(vertx, client, target, key.text(), posted.bodyAsJsonObject().getString("batch_id"),
          new Bar("sending", recipients), System.nanoTime() + timeoutSeconds * 1_000_000_000L);
      })
      .compose(v -> engage(client, target, campaign))
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

  /** Polls the batch, moving the bar, until no message is queued, sending or due for retry. */
  private Future<Void> sending(Vertx vertx, WebClient client, Target target, String key, String batchId, Bar bar,
                               long deadline) {
    return client.getAbs(target.api() + "/v1/batches/" + batchId).bearerTokenAuthentication(key).send()
      .compose(response -> {
        if (response.statusCode() != 200) {
          return Future.failedFuture("GET /v1/batches/" + batchId + " answered " + response.statusCode() + " "
            + response.bodyAsString());
        }
        JsonObject states = response.bodyAsJsonObject().getJsonObject("states");
        long pending = states.getLong("queued", 0L) + states.getLong("sending", 0L) + states.getLong("retry", 0L);
        bar.show(recipients - pending, "(" + (states.getLong("sent", 0L) + states.getLong("delivered", 0L)) + " sent)");
        if (pending == 0) {
          bar.end();
          return Future.succeededFuture();
        }
        if (System.nanoTime() > deadline) {
          bar.end();
          return Future.failedFuture("sending did not finish within " + timeoutSeconds + " s (" + pending + " left)");
        }
        return delay(vertx, POLL_MS).compose(v -> sending(vertx, client, target, key, batchId, bar, deadline));
      });
  }

  /**
   * One progress line on standard error. On a terminal it is redrawn in place at most every {@value #POLL_MS} ms
   * (and at its end); elsewhere a plain line is printed at the start and at each quarter.
   */
  private final class Bar {
    private static final int WIDTH = 40;
    private final String label;
    private final long total;
    private long drawnAt;
    private int drawnWidth;
    private long quarter = -1;
    private String last = "";

    Bar(String label, long total) {
      this.label = label;
      this.total = Math.max(1, total);
    }

    void show(long done, String detail) {
      int filled = (int) (WIDTH * Math.min(done, total) / total);
      String line = String.format(Locale.ROOT, "%-8s [%s%s] %d/%d %s", label, "#".repeat(filled),
        ".".repeat(WIDTH - filled), done, total, detail);
      if (line.equals(last)) {
        return;
      }
      last = line;
      if (terminal) {
        long now = System.nanoTime();
        if (done >= total || now - drawnAt >= POLL_MS * 1_000_000) {
          err.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
          err.flush();
          drawnAt = now;
          drawnWidth = line.length();
        }
      } else if (4 * Math.min(done, total) / total != quarter) {
        quarter = 4 * Math.min(done, total) / total;
        err.println(line);
      }
    }

    void end() {
      if (terminal) {
        err.print("\r" + last + " ".repeat(Math.max(0, drawnWidth - last.length())));
        err.println();
      }
    }
  }

  /**
   * Plays the audience: of every 10 recipients, 4 open as humans (browser agent) and 2 of them click; 3 have
   * their open fetched by Apple's proxy, and 1 has its links fetched by a scanner (HEAD). Failed hits are
   * counted and reported, not fatal: a build without the tracking endpoints answers 404.
   */
  private Future<Void> engage(WebClient client, Target target, String campaign) {
    return client.getAbs(target.sandbox() + "/v1/messages?last=" + Math.max(100, recipients * 2)).send().compose(listed -> {
      JsonArray messages = listed.bodyAsJsonObject().getJsonArray("messages", new JsonArray());
      // Machines come first (a proxy fetching images, a scanner following links as mail arrives), then people.
      // Timing alone makes no hit a machine's, so people need not wait for anything.
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
      out.printf("machines: %d image-proxy opens and scanner clicks; then people open and click%n", machines.size());
      return Future.join(new ArrayList<>(hits))
        .compose(v -> {
          Bar bar = new Bar("people", people.size());
          AtomicInteger answered = new AtomicInteger();
          bar.show(0, "opens and clicks");
          List<Future<Boolean>> peopleHits = new ArrayList<>();
          // The answers arrive on this command's event loop, one at a time.
          people.forEach(h -> peopleHits.add(h.get().onComplete(ar -> bar.show(answered.incrementAndGet(),
            "opens and clicks"))));
          hits.addAll(peopleHits);
          return Future.join(new ArrayList<>(peopleHits)).onComplete(ar -> bar.end());
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
