package dev.relay.gateway.track;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.Chromium;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A recipient's browser: headless Chromium opens a delivered email, clicks its link through the
 * gateway's redirect to the link's target, and unsubscribes on the unsubscribe page.
 */
class BrowserTrackingTest {

  @Test
  @DisplayName("In Chromium, an email's link lands on its target and counts as a human click; the unsubscribe button suppresses the address")
  void browser() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (TestGateway gateway = TestGateway.start(Map.of(Setting.HTTP_PORT, Integer.toString(port),
           Setting.HTTP_PUBLIC_BASE_URL, "http://127.0.0.1:" + port, Setting.TRACKING_FLUSH_MS, "100",
           Setting.TRACKING_SCANNER_WINDOW_SECONDS, "1"));
         // A person's browser: headless Chromium says HeadlessChrome, which is a sandbox's user agent (machine).
         Chromium chromium = Chromium.start(gateway.vertx(), "--user-agent=" + TrackingTest.CHROME)) {
      AtomicReference<String> mail = new AtomicReference<>("");
      List<String> landings = new CopyOnWriteArrayList<>();
      HttpServer site = await(gateway.vertx().createHttpServer().requestHandler(request -> {
        if (request.path().equals("/mail")) {
          request.response().putHeader("Content-Type", "text/html; charset=utf-8").end(mail.get());
        } else if (request.path().equals("/landing")) {
          landings.add(request.uri());
          request.response().putHeader("Content-Type", "text/html; charset=utf-8")
            .end("<!doctype html><title>Landing</title><h1 id=\"landed\">Welcome</h1>");
        } else {
          request.response().setStatusCode(404).end();
        }
      }).listen(0, "127.0.0.1"));
      String site0 = "http://127.0.0.1:" + site.actualPort();
      String acme = gateway.apiKey("acme");
      gateway.putTemplate(acme, "browser", new JsonObject().put("description", "browser").put("list_unsubscribe", true)
        .put("locales", new JsonObject().put("en", new JsonObject().put("email", new JsonObject()
          .put("subject", "Hi").put("text", "Hi")
          .put("html", "<html><body><p>Hi {{first_name}}</p><p><a id=\"go\" href=\"" + site0
            + "/landing?from=mail\">Shop</a></p><p><a id=\"u\" href=\"{{unsubscribe_url}}\">Unsubscribe</a></p>"
            + "</body></html>")))));
      assertThat(gateway.postBatch(acme, null, Batches.batch("browsing", "br", 1).put("template", "browser"))
        .statusCode()).isEqualTo(202);
      TrackingTest.eventually("sent", () -> gateway.sandbox().receipts().stream()
        .anyMatch(r -> r.recipientId().equals("br-0")));
      SandboxServer.Receipt receipt = gateway.sandbox().receipts().stream()
        .filter(r -> r.recipientId().equals("br-0")).findFirst().orElseThrow();
      mail.set(receipt.content().getString("html"));
      assertThat(mail.get()).contains("href=\"http://127.0.0.1:" + port + "/t/c/");
      Thread.sleep(1_500);

      chromium.navigate(site0 + "/mail");
      chromium.waitFor("the email shown with its pixel", "document.readyState === 'complete' "
        + "&& document.images.length === 1 && document.images[0].complete && document.images[0].naturalWidth === 1");
      chromium.evaluate("document.getElementById('go').click()");
      chromium.waitFor("landed on the link's target", "location.href === '" + site0 + "/landing?from=mail' "
        + "&& document.getElementById('landed') !== null");
      assertThat(landings).containsExactly("/landing?from=mail");

      String events = "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE m.recipient_id = 'br-0' ";
      TrackingTest.eventually("the click written", () -> gateway.database().count(events + "AND e.type = 'clicked'") == 1);
      assertThat(gateway.database().count(events + "AND e.type = 'clicked' AND e.class = 'human'")).isEqualTo(1);
      assertThat(gateway.database().count(events + "AND e.type = 'opened' AND e.class = 'human'")).isEqualTo(1);
      assertThat(gateway.database().count(events + "AND e.type = 'clicked' AND e.data->>'user_agent' LIKE '%Chrome/%'"))
        .isEqualTo(1);

      chromium.navigate(receipt.content().getString("list_unsubscribe"));
      chromium.waitFor("the unsubscribe page", "document.getElementById('unsubscribe') !== null");
      assertThat(gateway.database().count("SELECT count(*) FROM suppressions")).isZero();
      chromium.evaluate("document.getElementById('unsubscribe').click()");
      chromium.waitFor("the confirmation", "document.getElementById('done') !== null");
      assertThat(gateway.database().count("SELECT count(*) FROM suppressions WHERE address = 'br-0@example.com' "
        + "AND channel = 'email' AND reason = 'unsubscribed' AND source = 'unsubscribe-link'")).isEqualTo(1);
      assertThat(gateway.database().count(events + "AND e.type = 'unsubscribed'")).isEqualTo(1);
      await(site.close());
    }
  }
}
