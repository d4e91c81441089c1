package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code relay-bench track}: click redirects per second, and their latency, while a campaign is being
 * sent. The steps: start the sink and the gateway (as {@code e2e} does); send a seed batch and take the
 * tracked links ({@code /t/c/...}) of what the sink received; then post the campaign and, while it is
 * sending, keep {@code --connections} closed-loop clients requesting those links with a browser's user
 * agent until the sink has the whole campaign; finally check that every redirect became a
 * {@code clicked} event in PostgreSQL.
 */
@Command(name = "track", mixinStandardHelpOptions = true, sortOptions = false,
  description = {"Measures click redirects per second (GET /t/c/{token}) and their latency while a campaign is "
    + "sending through the same gateway, and checks that every redirect was recorded. Run it from the repository root."})
final class TrackCommand implements Callable<Integer> {

  /** A tracked link, but not the hidden decoy (a click on it is a scanner's, answered 200 without a redirect). */
  private static final Pattern CLICK = Pattern.compile("href=\"[^\"]*(/t/c/[A-Za-z0-9_-]+)\"(?! style=\"display:none\")");
  private static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    + "Chrome/120.0.0.0 Safari/537.36";
  private static final long HIGHEST_LATENCY_US = TimeUnit.MINUTES.toMicros(10);

  @Spec
  CommandSpec spec;

  @Option(names = "--messages", defaultValue = "20000",
    description = "Messages of the campaign sent while the redirects are measured (default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--seed-messages", defaultValue = "2000",
    description = "Messages sent first, whose tracked links the clients request (default: ${DEFAULT-VALUE}).")
  int seedMessages;

  @Option(names = "--batch-size", defaultValue = "1000", description = "Recipients per POST (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--clients", defaultValue = "2",
    description = "Clients posting the campaign's batches (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--connections", defaultValue = "32",
    description = "Closed-loop clients requesting redirects, one request in flight each (default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
    description = "Longest the measured phase may take (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Mixin
  GatewayOptions gateway;

  @Option(names = "--keep-db", description = "Keep the benchmark database instead of dropping it at the end.")
  boolean keepDb;

  @Option(names = "--out", defaultValue = "load-tests/results/track.json", paramLabel = "FILE",
    description = "JSON result; the gateway's log and config go next to it (default: ${DEFAULT-VALUE}).")
  Path out;

  private final Progress progress = new Progress();

  @Override
  public Integer call() throws Exception {
    if (messages < batchSize || messages % batchSize != 0 || seedMessages < batchSize || seedMessages % batchSize != 0) {
      throw new ParameterException(spec.commandLine(), "--messages and --seed-messages must be multiples of --batch-size");
    }
    if (connections < 1 || connections > 1024 || clients < 1 || clients > 64) {
      throw new ParameterException(spec.commandLine(), "--connections must be 1 to 1024 and --clients 1 to 64");
    }
    gateway.requireJar();
    try (BenchSession session = BenchSession.open(out, gateway.database(), keepDb)) {
      Vertx vertx = Vertx.vertx();
      SandboxServer sink = null;
      GatewayProcess child = null;
      try {
        sink = SandboxServer.start(vertx, "127.0.0.1", 0).await();
        Path config = session.sibling("-gateway.yaml");
        E2eCommand.writeConfig(config, sink.url());
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("RELAY_CONFIG", config.toAbsolutePath().toString());
        settings.put("RELAY_INTAKE_MAX_QUEUE_DEPTH", "100000000");
        settings.put("RELAY_SANDBOX_PORT", "0");
        settings.put("RELAY_TRACKING_KEYS", E2eCommand.TRACKING_KEYS);
        settings.put("RELAY_HTTP_PUBLIC_BASE_URL", E2eCommand.PUBLIC_BASE_URL);
        Map<String, String> env = gateway.environment(session.database(), settings);
        String apiKey = GatewayProcess.createApiKey(gateway.jar, env, session.gatewayLog(), Recipients.TENANT);
        child = GatewayProcess.start(gateway.jar, gateway.jvmArgs(), env, session.gatewayLog());
        WebClient probe = WebClient.create(vertx);
        child.awaitReady(vertx, probe, Duration.ofSeconds(90)).await();
        probe.close();
        progress.say("gateway (pid %d) on 127.0.0.1:%d, sink at %s", child.pid(), child.port(), sink.url());

        Recipients recipients = new Recipients(batchSize);
        AtomicLong nextBatch = new AtomicLong();
        List<String> links = seed(vertx, sink, child, apiKey, recipients, nextBatch);
        progress.say("seeded: %d tracked links from %d messages", links.size(), seedMessages);
        long clicksBefore = clickEvents(session);

        sink.reset();
        CpuUsage cpu = new CpuUsage(child.pid());
        CpuUsage.Snapshot before = cpu.snapshot();
        Hammer hammer = new Hammer(vertx, child.port(), links, connections);
        long started = System.nanoTime();
        JsonObject campaign;
        try (IntakeLoad load = new IntakeLoad(vertx, child.port(), apiKey, clients, false, child::isAlive)) {
          Arrivals arrivals = Arrivals.watch(vertx, sink, messages, started + TimeUnit.SECONDS.toNanos(timeoutSeconds),
            child::isAlive, progress);
          hammer.start();
          IntakeLoad.Phase posted = load.run(IntakeLoad.pregenerated(recipients, nextBatch, messages / batchSize),
            Duration.ofSeconds(timeoutSeconds)).await();
          arrivals.expect(Math.min(messages, posted.recipientsAccepted));
          Arrivals.Outcome arrival = arrivals.outcome().await();
          double campaignSeconds = (System.nanoTime() - started) / 1e9;
          campaign = new JsonObject().put("messages", messages).put("delivered", arrival.unique())
            .put("complete", arrival.complete()).put("aborted", arrival.reason())
            .put("seconds", Reports.round(campaignSeconds, 3))
            .put("messages_per_second", Reports.round(Reports.perSecond(arrival.unique(), campaignSeconds), 1))
            .put("post_errors", posted.errors);
        }
        Hammer.Result result = hammer.stop().await();
        CpuUsage.Snapshot after = cpu.snapshot();
        JsonObject split = CpuUsage.between(before, after, Runtime.getRuntime().availableProcessors());
        progress.say("campaign sent; %d redirects; waiting for their events", result.redirects);

        long expected = clicksBefore + result.redirects;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long written = clickEvents(session);
        while (written < expected && System.nanoTime() < deadline && child.isAlive()) {
          Thread.sleep(200);
          written = clickEvents(session);
        }
        int exit = child.stop();
        JsonObject report = report(session, campaign, result, split, written - clicksBefore, links.size(), exit);
        Files.writeString(out, report.encodePrettily() + "\n", StandardCharsets.UTF_8);
        System.out.print(summary(report));
        System.out.println("Result written to " + out);
        boolean ok = campaign.getBoolean("complete") && result.errors == 0 && result.other == 0
          && written - clicksBefore == result.redirects && result.redirects > 0;
        return ok ? 0 : 1;
      } finally {
        if (child != null) {
          child.close();
        }
        if (sink != null) {
          sink.close().await();
        }
        vertx.close().await();
      }
    }
  }

  /** Sends the seed batches and returns the paths of every tracked link the sink received. */
  private List<String> seed(Vertx vertx, SandboxServer sink, GatewayProcess child, String apiKey, Recipients recipients,
                            AtomicLong nextBatch) {
    try (IntakeLoad load = new IntakeLoad(vertx, child.port(), apiKey, clients, false, child::isAlive)) {
      Arrivals arrivals = Arrivals.watch(vertx, sink, seedMessages, System.nanoTime()
        + TimeUnit.SECONDS.toNanos(timeoutSeconds), child::isAlive, progress);
      Supplier<IntakeLoad.Batch> batches = IntakeLoad.pregenerated(recipients, nextBatch, seedMessages / batchSize);
      load.run(batches, Duration.ofSeconds(timeoutSeconds)).await();
      Arrivals.Outcome outcome = arrivals.outcome().await();
      if (!outcome.complete()) {
        throw new IllegalStateException("the seed batch did not arrive: " + outcome.reason());
      }
    }
    List<String> links = new ArrayList<>();
    for (SandboxServer.Receipt receipt : sink.receipts()) {
      Matcher m = CLICK.matcher(receipt.content().getString("html", ""));
      while (m.find()) {
        links.add(m.group(1));
      }
    }
    if (links.isEmpty()) {
      throw new IllegalStateException("the seed messages hold no tracked links");
    }
    return links;
  }

  private static long clickEvents(BenchSession session) throws java.sql.SQLException {
    try (Connection c = session.pg().connect(session.database()); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT count(*) FROM events WHERE type = 'clicked'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Closed-loop clients requesting random tracked links on one event loop, timing each answer. */
  private static final class Hammer {
    static final class Result {
      long redirects;
      long other;
      long errors;
      double seconds;
      final Histogram latency = new Histogram(HIGHEST_LATENCY_US, 3);
      final List<String> samples = new ArrayList<>();
    }

    private final HttpClient client;
    private final List<String> links;
    private final int connections;
    private final Context context;
    private final Result result = new Result();
    private final Promise<Result> done = Promise.promise();
    private volatile boolean stopping;
    private int running;
    private long startNanos;

    Hammer(Vertx vertx, int port, List<String> links, int connections) {
      this.client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setKeepAlive(true).setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(connections));
      this.links = links;
      this.connections = connections;
      this.context = vertx.getOrCreateContext();
    }

    void start() {
      context.runOnContext(v -> {
        startNanos = System.nanoTime();
        running = connections;
        for (int i = 0; i < connections; i++) {
          next();
        }
      });
    }

    Future<Result> stop() {
      stopping = true;
      return done.future();
    }

    private void next() {
      if (stopping) {
        if (--running == 0) {
          result.seconds = (System.nanoTime() - startNanos) / 1e9;
          client.close();
          done.complete(result);
        }
        return;
      }
      String link = links.get(ThreadLocalRandom.current().nextInt(links.size()));
      long sent = System.nanoTime();
      client.request(HttpMethod.GET, link)
        .compose(request -> request.putHeader("User-Agent", BROWSER).send()
          .compose(response -> response.body().map(body -> response.statusCode())))
        .onComplete(ar -> {
          long micros = (System.nanoTime() - sent) / 1_000;
          if (ar.succeeded() && ar.result() == 302) {
            result.redirects++;
            result.latency.recordValue(Math.min(HIGHEST_LATENCY_US, Math.max(1, micros)));
          } else if (ar.succeeded()) {
            result.other++;
            sample("status " + ar.result());
          } else {
            result.errors++;
            sample(ar.cause().toString());
          }
          next();
        });
    }

    private void sample(String what) {
      if (result.samples.size() < 5) {
        result.samples.add(what);
      }
    }
  }

  private JsonObject report(BenchSession session, JsonObject campaign, Hammer.Result r, JsonObject cpu, long written,
                            int links, int exit) {
    return new JsonObject()
      .put("benchmark", "track")
      .put("started_at", session.startedAt().toString())
      .put("machine", session.machine())
      .put("parameters", gateway.describe(new JsonObject().put("messages", messages).put("seed_messages", seedMessages)
        .put("batch_size", batchSize).put("clients", clients).put("connections", connections)
        .put("timeout_seconds", timeoutSeconds)).put("database", session.database()).put("database_kept", keepDb))
      .put("redirects", new JsonObject()
        .put("count", r.redirects)
        .put("seconds", Reports.round(r.seconds, 3))
        .put("per_second", Reports.round(Reports.perSecond(r.redirects, r.seconds), 1))
        .put("latency_ms", new JsonObject()
          .put("p50", Reports.millis(r.latency.getValueAtPercentile(50)))
          .put("p99", Reports.millis(r.latency.getValueAtPercentile(99)))
          .put("max", Reports.millis(r.latency.getMaxValue())))
        .put("other_statuses", r.other)
        .put("errors", r.errors)
        .put("error_samples", new JsonArray(new ArrayList<>(r.samples)))
        .put("distinct_links", links)
        .put("events_written", written))
      .put("campaign", campaign)
      .put("cpu_cores", cpu)
      .put("gateway_exit_code", exit)
      .put("gateway_log", session.gatewayLog().toString());
  }

  private static String summary(JsonObject r) {
    JsonObject p = r.getJsonObject("parameters");
    JsonObject d = r.getJsonObject("redirects");
    JsonObject lat = d.getJsonObject("latency_ms");
    JsonObject c = r.getJsonObject("campaign");
    StringBuilder s = new StringBuilder(Reports.header("Relay tracking benchmark", r));
    s.append(String.format(Locale.ROOT, "  parameters campaign of %d messages (batches of %d from %d clients); "
        + "%d redirect clients over %d tracked links%n", p.getInteger("messages"), p.getInteger("batch_size"),
      p.getInteger("clients"), p.getInteger("connections"), d.getInteger("distinct_links")));
    s.append(String.format(Locale.ROOT, "  redirects  %d in %.3f s = %.1f redirects/s; latency p50 %.2f ms, p99 %.2f ms, "
        + "max %.2f ms; other statuses %d, errors %d%n", d.getLong("count"), d.getDouble("seconds"),
      d.getDouble("per_second"), lat.getDouble("p50"), lat.getDouble("p99"), lat.getDouble("max"),
      d.getLong("other_statuses"), d.getLong("errors")));
    s.append(String.format(Locale.ROOT, "  events     %d clicked events written for %d redirects%n",
      d.getLong("events_written"), d.getLong("count")));
    s.append(String.format(Locale.ROOT, "  campaign   %d of %d delivered in %.3f s = %.1f messages/s while redirecting%n",
      c.getLong("delivered"), c.getInteger("messages"), c.getDouble("seconds"), c.getDouble("messages_per_second")));
    s.append(Reports.cpuLine(r.getJsonObject("cpu_cores")));
    return s.toString();
  }
}
