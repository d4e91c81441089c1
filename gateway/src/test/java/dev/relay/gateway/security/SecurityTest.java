package dev.relay.gateway.security;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The API's access rules, checked route by route from the OpenAPI document itself, so that a route
 * added later without them fails here: every operation needs an API key but the signed ones
 * (webhooks); no tenant reaches another tenant's batches, campaigns or messages; failed keys are
 * rate-limited per address; and the listener speaks TLS when configured.
 */
@DisplayName("Security")
class SecurityTest {

  private TestGateway gateway;

  @AfterEach
  void close() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
  }

  /** Every operation of the contract: method, path template, operation id, whether it needs a key. */
  private record Operation(HttpMethod method, String path, String id, boolean needsKey) {
  }

  private static List<Operation> operations() throws Exception {
    JsonObject contract = new JsonObject(Files.readString(Path.of("src/main/resources/openapi.json")));
    boolean keyByDefault = contract.getJsonArray("security", new io.vertx.core.json.JsonArray()).size() > 0;
    List<Operation> operations = new ArrayList<>();
    JsonObject paths = contract.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (!(item.getValue(method) instanceof JsonObject operation) || !operation.containsKey("operationId")) {
          continue;
        }
        io.vertx.core.json.JsonArray security = operation.getJsonArray("security");
        boolean needsKey = security == null ? keyByDefault : !security.isEmpty();
        operations.add(new Operation(HttpMethod.valueOf(method.toUpperCase(java.util.Locale.ROOT)), path,
          operation.getString("operationId"), needsKey));
      }
    }
    assertThat(operations).as("operations in openapi.json").hasSizeGreaterThanOrEqualTo(5);
    return operations;
  }

  /** The path with every parameter filled with a value of the right shape that names nothing. */
  private static String filled(String path) {
    return path.replaceAll("\\{[^}]+}", "1");
  }

  @Test
  @DisplayName("every operation but the signed webhooks and links answers 401 without a key, with a bad key and with a revoked-looking one")
  void everyOperationNeedsAKey() throws Exception {
    // The failed-key limiter off: this test presents hundreds of bad keys from one address.
    gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false", Setting.API_AUTH_FAILURE_LIMIT, "0"));
    List<Operation> secured = operations().stream().filter(Operation::needsKey).toList();
    assertThat(secured).extracting(Operation::id).contains("createBatch", "getBatch", "getMessage");
    assertThat(operations().stream().filter(o -> !o.needsKey()).map(Operation::path))
      .as("only provider webhooks (verified by the provider's signature) and recipients' tracking and unsubscribe "
        + "links (verified by their signed token) go without a key")
      .allMatch(path -> path.startsWith("/v1/webhooks/") || path.startsWith("/t/") || path.startsWith("/u/"));
    for (Operation signed : operations().stream().filter(o -> !o.needsKey() && !o.path().startsWith("/v1/")).toList()) {
      HttpResponse<Buffer> response = await(gateway.get(filled(signed.path()), null).method(signed.method()).send());
      assertThat(response.statusCode()).as("%s %s with a token that does not verify", signed.method(), signed.path())
        .isEqualTo(404);
    }
    String[] badKeys = {null, "nonsense", "rly_aaaaaaaaaaaa_" + "A".repeat(43), "Basic dXNlcjpwYXNz"};
    for (Operation operation : secured) {
      for (String key : badKeys) {
        var request = gateway.get(filled(operation.path()), null).method(operation.method());
        if (key != null) {
          request.putHeader("Authorization", key.startsWith("Basic") ? key : "Bearer " + key);
        }
        HttpResponse<Buffer> response = await(operation.method() == HttpMethod.POST
          ? request.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{}"))
          : request.send());
        assertThat(response.statusCode()).as("%s %s with key %s: %s", operation.method(), operation.path(), key,
          response.bodyAsString()).isEqualTo(401);
        assertThat(response.getHeader("Content-Type")).startsWith("application/problem+json");
        assertThat(response.getHeader("WWW-Authenticate")).startsWith("Bearer");
      }
    }
  }

  @Test
  @DisplayName("no tenant reaches another tenant's resources on any route, and nothing of the owner changes")
  void tenantIsolationOnEveryRoute() throws Exception {
    gateway = TestGateway.start();
    String acme = gateway.apiKey("acme");
    String globex = gateway.apiKey("globex");
    HttpResponse<Buffer> posted = gateway.postBatch(acme, null, Batches.batch("spring", "a", 1));
    assertThat(posted.statusCode()).isEqualTo(202);
    String batchId = posted.bodyAsJsonObject().getString("batch_id");
    long messageId = gateway.database().count("SELECT id FROM messages WHERE recipient_id = 'a-0'");
    JsonObject promo = new JsonObject().put("locales", new JsonObject().put("en", new JsonObject()
      .put("sms", new JsonObject().put("text", "Acme only {{name}}"))));
    assertThat(await(gateway.post("/v1/templates/promo", acme).method(HttpMethod.PUT).sendJsonObject(promo))
      .statusCode()).isEqualTo(201);
    JsonObject sample = new JsonObject().put("channel", "sms").put("address", "+905551234567")
      .put("variables", new JsonObject().put("name", "x"));

    // One case per operation; the test fails when an operation of the contract has none.
    Map<String, Function<String, HttpResponse<Buffer>>> asOtherTenant = new LinkedHashMap<>();
    asOtherTenant.put("getBatch", key -> await(gateway.get("/v1/batches/" + batchId, key).send()));
    asOtherTenant.put("getMessage", key -> await(gateway.get("/v1/messages/" + messageId, key).send()));
    asOtherTenant.put("pauseCampaign", key -> await(gateway.post("/v1/campaigns/spring/pause", key).send()));
    asOtherTenant.put("resumeCampaign", key -> await(gateway.post("/v1/campaigns/spring/resume", key).send()));
    asOtherTenant.put("listTemplateVersions", key -> await(gateway.get("/v1/templates/promo", key).send()));
    asOtherTenant.put("previewTemplate", key -> await(gateway.post("/v1/templates/promo/preview", key)
      .sendJsonObject(new JsonObject().put("variables", new JsonObject().put("name", "x")))));
    asOtherTenant.put("testTemplate", key -> await(gateway.post("/v1/templates/promo/test", key).sendJsonObject(sample)));
    assertThat(await(gateway.post("/v1/suppressions", acme).sendJsonObject(new JsonObject().put("channel", "email")
      .put("address", "owner@example.com"))).statusCode()).isEqualTo(201);
    asOtherTenant.put("getCampaignStats", key -> await(gateway.get("/v1/campaigns/spring/stats", key).send()));
    asOtherTenant.put("getRecipientEngagement", key -> await(gateway.get("/v1/recipients/a-0/engagement", key).send()));
    asOtherTenant.put("eraseRecipient", key -> await(gateway.get("/v1/recipients/a-0", key).method(HttpMethod.DELETE)
      .send()));
    asOtherTenant.put("removeSuppression", key -> await(gateway.get("/v1/suppressions", key).method(HttpMethod.DELETE)
      .addQueryParam("channel", "email").addQueryParam("address", "owner@example.com").send()));
    Map<String, Integer> expected = new HashMap<>();
    asOtherTenant.keySet().forEach(id -> expected.put(id, 404));
    // Another tenant's list is its own: empty to read; adding to it leaves the owner's as it was.
    asOtherTenant.put("listSuppressions", key -> await(gateway.get("/v1/suppressions", key).send()));
    expected.put("listSuppressions", 200);
    asOtherTenant.put("addSuppression", key -> await(gateway.post("/v1/suppressions", key)
      .sendJsonObject(new JsonObject().put("channel", "email").put("address", "owner@example.com"))));
    expected.put("addSuppression", 201);
    // PUT by another tenant makes that tenant's own first version; the owner's stay as they were.
    asOtherTenant.put("putTemplate", key -> await(gateway.post("/v1/templates/promo", key).method(HttpMethod.PUT)
      .sendJsonObject(new JsonObject().put("locales", new JsonObject().put("en", new JsonObject()
        .put("sms", new JsonObject().put("text", "Globex {{name}}")))))));
    expected.put("putTemplate", 201);
    // Topics and preferences: another tenant's topic of the same name is its own, and so are its recipients' choices.
    assertThat(await(gateway.get("/v1/topics/offers", acme).method(HttpMethod.PUT).sendJsonObject(new JsonObject()
      .put("description", "Acme offers").put("default", "opted_in"))).statusCode()).isEqualTo(201);
    assertThat(await(gateway.get("/v1/recipients/a-0/preferences", acme).method(HttpMethod.PUT)
      .sendJsonObject(new JsonObject().put("topics", new JsonObject().put("offers", new JsonObject()
        .put("opted_in", false))))).statusCode()).isEqualTo(200);
    asOtherTenant.put("getTopic", key -> await(gateway.get("/v1/topics/offers", key).send()));
    expected.put("getTopic", 404);
    asOtherTenant.put("listTopics", key -> await(gateway.get("/v1/topics", key).send()));
    expected.put("listTopics", 200);
    asOtherTenant.put("getRecipientPreferences", key -> await(gateway.get("/v1/recipients/a-0/preferences", key)
      .send()));
    expected.put("getRecipientPreferences", 200);
    asOtherTenant.put("putRecipientPreferences", key -> await(gateway.get("/v1/recipients/a-0/preferences", key)
      .method(HttpMethod.PUT).sendJsonObject(new JsonObject().put("topics", new JsonObject().put("offers",
        new JsonObject().put("opted_in", true))))));
    expected.put("putRecipientPreferences", 422);
    asOtherTenant.put("putTopic", key -> await(gateway.get("/v1/topics/offers", key).method(HttpMethod.PUT)
      .sendJsonObject(new JsonObject().put("description", "Globex offers").put("default", "opted_out"))));
    expected.put("putTopic", 201);

    List<String> uncovered = new ArrayList<>();
    for (Operation operation : operations()) {
      if (operation.needsKey() && !asOtherTenant.containsKey(operation.id()) && !"createBatch".equals(operation.id())) {
        uncovered.add(operation.id());
      }
    }
    assertThat(uncovered).as("operations without a tenant-isolation case in this test").isEmpty();

    for (var entry : asOtherTenant.entrySet()) {
      HttpResponse<Buffer> response = entry.getValue().apply(globex);
      assertThat(response.statusCode()).as(entry.getKey() + " by another tenant: " + response.bodyAsString())
        .isEqualTo(expected.get(entry.getKey()));
      // The owner still sees it all, unchanged.
      assertThat(await(gateway.get("/v1/batches/" + batchId, acme).send()).statusCode()).isEqualTo(200);
      assertThat(gateway.database().count("SELECT count(*) FROM campaigns WHERE name = 'spring' AND status = 'active'"))
        .isEqualTo(1);
      assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = 'a-0'"
        + " AND addresses ? 'email'")).as("acme's recipient a-0, not erased").isEqualTo(1);
      JsonObject acmeVersions = await(gateway.get("/v1/templates/promo", acme).send()).bodyAsJsonObject();
      assertThat(acmeVersions.getJsonArray("versions").size()).as("acme's versions of promo").isEqualTo(1);
      JsonObject acmeList = await(gateway.get("/v1/suppressions", acme).send()).bodyAsJsonObject();
      assertThat(acmeList.getJsonArray("suppressions").size()).as("acme's suppressions").isEqualTo(1);
      assertThat(acmeList.getJsonArray("suppressions").getJsonObject(0).getString("source")).isEqualTo("api");
    }
    JsonObject acmeOffers = await(gateway.get("/v1/topics/offers", acme).send()).bodyAsJsonObject();
    assertThat(acmeOffers.getString("description")).isEqualTo("Acme offers");
    JsonObject acmeChoice = await(gateway.get("/v1/recipients/a-0/preferences", acme).send()).bodyAsJsonObject();
    assertThat(acmeChoice.getJsonObject("topics").getJsonObject("offers").getBoolean("opted_in")).isFalse();
    JsonObject globexChoice = await(gateway.get("/v1/recipients/a-0/preferences", globex).send()).bodyAsJsonObject();
    assertThat(globexChoice.getJsonObject("topics").getJsonObject("offers").getBoolean("opted_in"))
      .as("globex's own topic, opted out by default, never chosen").isFalse();
    assertThat(globexChoice.getJsonObject("topics").getJsonObject("offers").getString("origin")).isEqualTo("default");
    JsonObject globexList = await(gateway.get("/v1/suppressions", globex).send()).bodyAsJsonObject();
    assertThat(globexList.getJsonArray("suppressions").stream().map(e -> ((JsonObject) e).getString("address")))
      .as("globex sees only what it added").containsExactly("owner@example.com");
    assertThat(gateway.database().count("SELECT count(*) FROM suppressions s JOIN tenants t ON t.id = s.tenant_id"
      + " WHERE t.name = 'acme'")).isEqualTo(1);

    // createBatch: another tenant's campaign of the same name is its own; pausing it leaves acme's alone.
    assertThat(gateway.postBatch(globex, null, Batches.batch("spring", "g", 1)).statusCode()).isEqualTo(202);
    assertThat(await(gateway.post("/v1/campaigns/spring/pause", globex).send()).statusCode()).isEqualTo(200);
    assertThat(gateway.database().count("SELECT count(*) FROM campaigns WHERE name = 'spring'")).isEqualTo(2);
    assertThat(gateway.database().count("SELECT count(*) FROM campaigns c JOIN tenants t ON t.id = c.tenant_id "
      + "WHERE c.name = 'spring' AND t.name = 'acme' AND c.status = 'active'")).isEqualTo(1);
    assertThat(await(gateway.get("/v1/batches/" + batchId, globex).send()).statusCode()).isEqualTo(404);
    assertThat(gateway.database().count("SELECT count(*) FROM templates t JOIN tenants n ON n.id = t.tenant_id "
      + "WHERE t.name = 'promo' AND n.name = 'globex' AND t.definition::text LIKE '%Globex%'")).isEqualTo(1);
    assertThat(gateway.database().count("SELECT count(*) FROM templates t JOIN tenants n ON n.id = t.tenant_id "
      + "WHERE t.name = 'promo' AND n.name = 'acme' AND t.definition::text LIKE '%Acme only%'")).isEqualTo(1);
  }

  @Test
  @DisplayName("an address presenting too many bad keys is answered 429 with Retry-After, before any lookup")
  void failedKeysAreRateLimited() throws Exception {
    gateway = TestGateway.start(Map.of(Setting.API_AUTH_FAILURE_LIMIT, "5",
      Setting.API_AUTH_FAILURE_WINDOW_SECONDS, "30", Setting.DISPATCH_ENABLED, "false"));
    String good = gateway.apiKey("acme");
    assertThat(await(gateway.get("/v1/batches/" + java.util.UUID.randomUUID(), good).send()).statusCode())
      .isEqualTo(404);
    String guessed = good.substring(0, good.length() - 4) + "AAAA";
    for (int i = 0; i < 5; i++) {
      assertThat(await(gateway.get("/v1/batches/" + java.util.UUID.randomUUID(), guessed).send()).statusCode())
        .isEqualTo(401);
    }
    HttpResponse<Buffer> refused = await(gateway.get("/v1/batches/" + java.util.UUID.randomUUID(), guessed).send());
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.getHeader("Retry-After")).isEqualTo("30");
    assertThat(refused.bodyAsJsonObject().getString("type")).isEqualTo("urn:relay:problem:too-many-auth-failures");
    // The limit is per address: the same address is refused even with the right key until the window ends.
    assertThat(await(gateway.get("/v1/batches/" + java.util.UUID.randomUUID(), good).send()).statusCode())
      .isEqualTo(429);
  }

  @Test
  @DisplayName("with a certificate and key configured, the listener speaks HTTPS and HTTP/2 through OpenSSL")
  void tlsListener() throws Exception {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    gateway = TestGateway.start(Map.of(Setting.HTTP_TLS_CERT, certificate.certificatePath(),
      Setting.HTTP_TLS_KEY, certificate.privateKeyPath(), Setting.DISPATCH_ENABLED, "false"));
    WebClient https = WebClient.create(gateway.vertx(), new WebClientOptions()
      .setSsl(true).setTrustAll(true).setVerifyHost(false).setUseAlpn(true)
      .setProtocolVersion(HttpVersion.HTTP_2));
    WebClient plain = WebClient.create(gateway.vertx());
    try {
      HttpResponse<Buffer> live = await(https.get(gateway.port(), "127.0.0.1", "/health/live").send());
      assertThat(live.statusCode()).isEqualTo(200);
      assertThat(live.version()).isEqualTo(HttpVersion.HTTP_2);
      HttpResponse<Buffer> unauthorized = await(https.get(gateway.port(), "127.0.0.1", "/v1/batches/x").send());
      assertThat(unauthorized.statusCode()).isEqualTo(401);
      assertThatThrownBy(() -> await(plain.get(gateway.port(), "127.0.0.1", "/health/live")
        .timeout(5000).send())).as("plain HTTP to the TLS listener").isInstanceOf(AssertionError.class);
    } finally {
      https.close();
      plain.close();
      certificate.delete();
    }
  }

  @Test
  @DisplayName("a certificate without its key, or a file that cannot be read, stops start-up naming the setting")
  void tlsMisconfigured() throws Exception {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    try {
      assertThatThrownBy(() -> TestGateway.start(Map.of(Setting.HTTP_TLS_CERT, certificate.certificatePath())))
        .hasMessageContaining("http.tls-key");
      assertThatThrownBy(() -> TestGateway.start(Map.of(Setting.HTTP_TLS_CERT, certificate.certificatePath(),
        Setting.HTTP_TLS_KEY, "/nonexistent/key.pem")))
        .hasMessageContaining("http.tls-key").hasMessageContaining("/nonexistent/key.pem");
    } finally {
      certificate.delete();
    }
  }
}
