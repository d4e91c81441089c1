package dev.relay.gateway.api;

import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.config.Networks;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.Eventually;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Trusted proxies: the client address behind a load balancer")
class TrustedProxiesTest {

  private static final ClientAddress XFF = ClientAddress.of(
    Networks.parse("http.trusted-proxies", "10.0.0.0/8, 2001:db8:ffff::/48"), ClientAddress.Header.X_FORWARDED_FOR);
  private static final ClientAddress FORWARDED = ClientAddress.of(
    Networks.parse("http.trusted-proxies", "10.0.0.0/8, 2001:db8:ffff::/48"), ClientAddress.Header.FORWARDED);

  @Test
  @DisplayName("from a trusted peer the forwarded address is the client; from an untrusted peer the header is ignored")
  void trustedPeerOnly() {
    assertThat(XFF.resolve("10.1.2.3", List.of("203.0.113.7"))).isEqualTo("203.0.113.7");
    assertThat(XFF.resolve("198.51.100.1", List.of("203.0.113.7"))).isEqualTo("198.51.100.1");
    assertThat(XFF.resolve("10.1.2.3", List.of())).as("no header: the proxy itself").isEqualTo("10.1.2.3");
    assertThat(ClientAddress.direct().resolve("10.1.2.3", List.of("203.0.113.7")))
      .as("no trusted proxies configured").isEqualTo("10.1.2.3");
  }

  @Test
  @DisplayName("the walk goes from the right past trusted hops; a spoofed leftmost entry is never taken")
  void nearestUntrusted() {
    assertThat(XFF.resolve("10.0.0.1", List.of("17.1.1.1, 203.0.113.7"))).as("client wrote 17.1.1.1 itself")
      .isEqualTo("203.0.113.7");
    assertThat(XFF.resolve("10.0.0.1", List.of("17.1.1.1, 203.0.113.7, 10.9.9.9"))).as("two trusted hops")
      .isEqualTo("203.0.113.7");
    assertThat(XFF.resolve("10.0.0.1", List.of("17.1.1.1", "203.0.113.7"))).as("the header twice: in order")
      .isEqualTo("203.0.113.7");
    assertThat(XFF.resolve("10.0.0.1", List.of("10.2.2.2, 10.3.3.3"))).as("every hop trusted: the leftmost")
      .isEqualTo("10.2.2.2");
    assertThat(XFF.resolve("10.0.0.1", List.of("203.0.113.7, garbage"))).as("an entry that is no address stops the walk")
      .isEqualTo("10.0.0.1");
    assertThat(XFF.resolve("10.0.0.1", List.of("203.0.113.7:4711"))).as("a port is dropped").isEqualTo("203.0.113.7");
  }

  @Test
  @DisplayName("IPv6 peers, hops and networks, with and without brackets and ports")
  void ipv6() {
    assertThat(XFF.resolve("2001:db8:ffff::5", List.of("2001:db8:1::17"))).isEqualTo("2001:db8:1::17");
    assertThat(XFF.resolve("2001:db8:ffff::5", List.of("[2001:db8:1::17]:443"))).isEqualTo("2001:db8:1::17");
    assertThat(XFF.resolve("2001:db8:eeee::5", List.of("2001:db8:1::17"))).as("peer outside the /48")
      .isEqualTo("2001:db8:eeee::5");
    assertThat(XFF.resolve("::ffff:10.0.0.1", List.of("203.0.113.7"))).as("an IPv4-mapped peer is its IPv4 address")
      .isEqualTo("203.0.113.7");
  }

  @Test
  @DisplayName("RFC 7239 Forwarded: the for= of each element, quoted IPv6 with port, obfuscated and unknown nodes")
  void forwardedHeader() {
    // RFC 7239 section 4's examples.
    assertThat(ClientAddress.forwardedFor("for=\"_gazonk\"")).containsExactly("_gazonk");
    assertThat(ClientAddress.forwardedFor("For=\"[2001:db8:cafe::17]:4711\"")).containsExactly("[2001:db8:cafe::17]:4711");
    assertThat(ClientAddress.forwardedFor("for=192.0.2.60;proto=http;by=203.0.113.43"))
      .containsExactly("192.0.2.60");
    assertThat(ClientAddress.forwardedFor("for=192.0.2.43, for=198.51.100.17")).containsExactly("192.0.2.43",
      "198.51.100.17");
    assertThat(FORWARDED.resolve("10.0.0.1", List.of("for=17.1.1.1, for=\"[2001:db8:cafe::17]:4711\";proto=https")))
      .isEqualTo("2001:db8:cafe::17");
    assertThat(FORWARDED.resolve("10.0.0.1", List.of("for=192.0.2.60;proto=http;by=203.0.113.43")))
      .isEqualTo("192.0.2.60");
    assertThat(FORWARDED.resolve("10.0.0.1", List.of("for=unknown"))).isEqualTo("10.0.0.1");
    assertThat(FORWARDED.resolve("10.0.0.1", List.of("proto=https"))).as("no for=").isEqualTo("10.0.0.1");
    assertThat(XFF.resolve("10.0.0.1", List.of())).isEqualTo("10.0.0.1");
  }

  @Test
  @DisplayName("a network or header name that is wrong fails start-up naming the setting")
  void badSettings() {
    assertThatThrownBy(() -> Networks.parse("http.trusted-proxies", "10.0.0.0/8, lb.internal"))
      .isInstanceOf(ConfigException.class).hasMessageContaining("http.trusted-proxies").hasMessageContaining("lb.internal");
    assertThatThrownBy(() -> Networks.parse("http.trusted-proxies", "10.0.0.0/40"))
      .hasMessageContaining("10.0.0.0/40").hasMessageContaining("0..32");
    assertThatThrownBy(() -> ClientAddress.from(dev.relay.gateway.config.RelayConfig.of(Map.of(
      Setting.HTTP_FORWARDED_HEADER, "X-Real-IP")))).hasMessageContaining("http.forwarded-header")
      .hasMessageContaining("X-Real-IP");
  }

  /** A whole gateway behind a "load balancer" at 127.0.0.1 (the test client). */
  @Nested
  @DisplayName("through a gateway")
  class ThroughTheGateway {

    private static final Pattern PIXEL = Pattern.compile("src=\"[^\"]*(/t/o/[^\"]+)\"");
    private static final String APPLE_MAIL = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
      + "(KHTML, like Gecko)";

    @Test
    @DisplayName("an Apple Mail Privacy Protection open via the proxy is machine (apple-mpp) whatever its user agent; "
      + "a spoofed leftmost entry is not taken; the auth-failure limit counts the forwarded client")
    void behindALoadBalancer() throws Exception {
      try (TestGateway gateway = TestGateway.start(Map.of(Setting.HTTP_TRUSTED_PROXIES, "127.0.0.0/8",
        Setting.TRACKING_FLUSH_MS, "100", Setting.API_AUTH_FAILURE_LIMIT, "2"))) {
        String key = gateway.apiKey("acme");
        gateway.putTemplate(key, "welcome", Batches.echoTemplate());
        JsonObject batch = Batches.batch("proxied", "px", 3);
        for (Object r : batch.getJsonArray("recipients")) {
          ((JsonObject) r).getJsonObject("variables").put("subject", "Hi").put("html", "<p>Hi</p>").put("text", "Hi");
        }
        assertThat(gateway.postBatch(key, null, batch).statusCode()).isEqualTo(202);
        Eventually.until("the three emails at the sandbox",
          () -> gateway.sandbox().receipts().stream().filter(r -> r.recipientId().startsWith("px-")).count() == 3);
        Map<String, String> pixels = new java.util.HashMap<>();
        for (SandboxServer.Receipt receipt : gateway.sandbox().receipts()) {
          Matcher m = PIXEL.matcher(receipt.content().getString("html"));
          assertThat(m.find()).isTrue();
          pixels.put(receipt.recipientId(), m.group(1));
        }
        open(gateway, pixels.get("px-0"), "17.58.1.2");
        open(gateway, pixels.get("px-1"), "17.1.1.1, 203.0.113.9");
        open(gateway, pixels.get("px-2"), null);
        Eventually.until("the three opens written",
          () -> gateway.database().count("SELECT count(*) FROM events WHERE type = 'opened'") == 3);
        assertThat(opened(gateway, "px-0")).isEqualTo("machine apple-mpp 17.58.1.2");
        assertThat(opened(gateway, "px-1")).isEqualTo("human null 203.0.113.9");
        assertThat(opened(gateway, "px-2")).isEqualTo("human null 127.0.0.1");

        for (int i = 0; i < 2; i++) {
          assertThat(badKey(gateway, "198.51.100.1").statusCode()).isEqualTo(401);
        }
        assertThat(badKey(gateway, "198.51.100.1").statusCode()).as("this client used up its failures").isEqualTo(429);
        assertThat(badKey(gateway, "10.0.0.1, 198.51.100.1").statusCode()).as("a spoofed entry left of it changes nothing")
          .isEqualTo(429);
        assertThat(badKey(gateway, "198.51.100.2").statusCode()).as("another client behind the same balancer")
          .isEqualTo(401);
        assertThat(await(gateway.get("/v1/campaigns/proxied/stats", key).send()).statusCode()).isEqualTo(200);
      }
    }

    private void open(TestGateway gateway, String path, String forwardedFor) {
      HttpRequest<Buffer> request = gateway.get(path, null).putHeader("User-Agent", APPLE_MAIL);
      if (forwardedFor != null) {
        request.putHeader("X-Forwarded-For", forwardedFor);
      }
      assertThat(await(request.send()).statusCode()).isEqualTo(200);
    }

    private String opened(TestGateway gateway, String recipient) throws Exception {
      return string(gateway, "SELECT e.class || ' ' || coalesce(e.reason, 'null') || ' ' || (e.data ->> 'ip') "
        + "FROM events e JOIN messages m ON m.id = e.message_id WHERE e.type = 'opened' AND m.recipient_id = '"
        + recipient + "'");
    }

    private String string(TestGateway gateway, String sql) throws Exception {
      try (java.sql.Connection c = gateway.database().connect(); java.sql.Statement st = c.createStatement();
           java.sql.ResultSet rs = st.executeQuery(sql)) {
        assertThat(rs.next()).as(sql).isTrue();
        return rs.getString(1);
      }
    }

    private HttpResponse<Buffer> badKey(TestGateway gateway, String forwardedFor) {
      return await(gateway.get("/v1/campaigns/proxied/stats", "rly_notakey_0000000000000000")
        .putHeader("X-Forwarded-For", forwardedFor).send());
    }
  }
}
