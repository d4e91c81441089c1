package dev.relay.gateway.testing;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Headless Chromium (Debian's {@code chromium}) driven over the Chrome DevTools Protocol with Vert.x's
 * WebSocket client: one page, navigated and scripted from the test thread. A missing browser fails the
 * test (CI installs it), it is not skipped.
 */
public final class Chromium implements AutoCloseable {

  public static final Path BINARY = Path.of("/usr/bin/chromium");

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final String session;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, Promise<JsonObject>> pending = new ConcurrentHashMap<>();

  private Chromium(Process process, Path profile, WebSocket socket, String session) {
    this.process = process;
    this.profile = profile;
    this.socket = socket;
    this.session = session;
  }

  /** Starts the browser with one blank page; {@code arguments} are added to its command line. */
  public static Chromium start(Vertx vertx, String... arguments) throws Exception {
    assertThat(Files.isExecutable(BINARY)).as("Chromium must be installed at %s (apt-get install -y chromium)", BINARY)
      .isTrue();
    Path profile = Files.createTempDirectory("relay-chromium-");
    List<String> command = new java.util.ArrayList<>(List.of(BINARY.toString(), "--headless", "--no-sandbox",
      "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--remote-debugging-port=0", "--user-data-dir=" + profile));
    command.addAll(List.of(arguments));
    command.add("about:blank");
    Process process = new ProcessBuilder(command)
      .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
    try {
      return attach(vertx, process, profile);
    } catch (Exception | AssertionError e) {
      // A browser that did not come up must not keep running (and spinning) after the test.
      stop(process);
      deleteProfile(profile);
      throw e;
    }
  }

  private static Chromium attach(Vertx vertx, Process process, Path profile) throws Exception {
    Path active = profile.resolve("DevToolsActivePort");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<String> lines = List.of();
    while (lines.size() < 2) {
      assertThat(process.isAlive()).as("chromium exited: %s", log(profile)).isTrue();
      assertThat(System.nanoTime()).as("chromium did not open its DevTools port").isLessThan(deadline);
      Thread.sleep(100);
      if (Files.exists(active)) {
        lines = Files.readAllLines(active);
      }
    }
    var client = vertx.createWebSocketClient(new WebSocketClientOptions()
      .setMaxMessageSize(64 * 1024 * 1024).setMaxFrameSize(64 * 1024 * 1024));
    WebSocketConnectOptions devTools = new WebSocketConnectOptions().setHost("127.0.0.1")
      .setPort(Integer.parseInt(lines.get(0).trim())).setURI(lines.get(1).trim());
    // A browser that has just written its DevTools port can still close the first handshake: try a few times,
    // each connect started on a Vert.x context rather than this thread.
    WebSocket socket = null;
    for (int attempt = 1; socket == null; attempt++) {
      Promise<WebSocket> connected = Promise.promise();
      vertx.runOnContext(v -> client.connect(devTools).onComplete(connected));
      try {
        socket = TestGateway.await(connected.future());
      } catch (AssertionError e) {
        assertThat(process.isAlive()).as("chromium exited: %s", log(profile)).isTrue();
        if (attempt == 5) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
    Chromium browser = new Chromium(process, profile, socket, null);
    socket.textMessageHandler(browser::received);
    String target = browser.send(null, "Target.createTarget", new JsonObject().put("url", "about:blank"))
      .getString("targetId");
    String session = browser.send(null, "Target.attachToTarget",
      new JsonObject().put("targetId", target).put("flatten", true)).getString("sessionId");
    Chromium page = new Chromium(process, profile, socket, session);
    socket.textMessageHandler(text -> {
      browser.received(text);
      page.received(text);
    });
    page.send("Page.enable", new JsonObject());
    return page;
  }

  private void received(String text) {
    JsonObject message = new JsonObject(text);
    Integer id = message.getInteger("id");
    if (id == null || !java.util.Objects.equals(session, message.getString("sessionId"))) {
      return;
    }
    Promise<JsonObject> promise = pending.remove(id);
    if (promise == null) {
      return;
    }
    if (message.containsKey("error")) {
      promise.fail(message.getJsonObject("error").encode());
    } else {
      promise.complete(message.getJsonObject("result", new JsonObject()));
    }
  }

  /** Sends a command to the page and waits for its result. */
  public JsonObject send(String method, JsonObject params) {
    return send(session, method, params);
  }

  private JsonObject send(String sessionId, String method, JsonObject params) {
    int id = ids.incrementAndGet();
    Promise<JsonObject> promise = Promise.promise();
    pending.put(id, promise);
    JsonObject command = new JsonObject().put("id", id).put("method", method).put("params", params);
    if (sessionId != null) {
      command.put("sessionId", sessionId);
    }
    socket.writeTextMessage(command.encode());
    Future<JsonObject> result = promise.future();
    return TestGateway.await(result);
  }

  public void navigate(String url) {
    send("Page.navigate", new JsonObject().put("url", url));
  }

  /** Evaluates a JavaScript expression in the page; its value (strings, numbers, booleans). */
  public Object evaluate(String expression) {
    JsonObject result = send("Runtime.evaluate", new JsonObject().put("expression", expression)
      .put("returnByValue", true));
    return result.getJsonObject("result").getValue("value");
  }

  /** Waits until the expression is true in the page (across navigations). */
  public void waitFor(String what, String expression) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      Object value;
      try {
        value = evaluate(expression);
      } catch (AssertionError navigating) {
        value = null;
      }
      if (Boolean.TRUE.equals(value)) {
        return;
      }
      assertThat(System.nanoTime()).as("%s (page at %s)", what, evaluate("location.href")).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  private static String log(Path profile) {
    try {
      return Files.readString(profile.resolve("chromium.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
    stop(process);
    deleteProfile(profile);
  }

  /** Stops the browser and its helper processes (renderers, zygotes), which may outlive it. */
  private static void stop(Process process) {
    List<ProcessHandle> helpers = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping Chromium", e);
    } finally {
      helpers.forEach(ProcessHandle::destroyForcibly);
    }
  }

  /** Chromium's helpers may still write into the profile for a moment: delete until it is gone. */
  private static void deleteProfile(Path profile) {
    for (int attempt = 0; attempt < 20 && Files.exists(profile); attempt++) {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException | java.io.UncheckedIOException stillChanging) {
        // a file vanished or appeared during the walk: try again
      }
      if (Files.exists(profile)) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

}
