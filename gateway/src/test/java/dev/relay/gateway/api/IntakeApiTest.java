package dev.relay.gateway.api;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("POST /v1/batches and GET /v1/batches/{id}")
class IntakeApiTest {

  private static TestGateway gateway;
  private static String acme;
  private static String globex;

  @BeforeAll
  static void start() {
    // Intake alone: no dispatcher moves the stored messages on while the tests look at them.
    gateway = TestGateway.start(Map.of(Setting.INTAKE_MAX_BODY_BYTES, Integer.toString(8 * 1024 * 1024),
      Setting.DISPATCH_ENABLED, "false"));
    acme = gateway.apiKey("acme");
    globex = gateway.apiKey("globex");
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static long stored() {
    return gateway.database().count("SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM batches)"
      + " + (SELECT count(*) FROM idempotency_keys)");
  }

  private static JsonObject json(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject();
  }

  @Test
  @DisplayName("accepts the valid recipients, rejects each invalid one with its index and reason, and stores the rest")
  void acceptsValidRejectsInvalid() {
    JsonObject body = Batches.batch("spring-welcome", "mixed", 3);
    body.getJsonArray("recipients")
      .add(new JsonObject().put("id", "bad-email").put("addresses", new JsonObject().put("email", "not-an-address")))
      .add(new JsonObject().put("id", "no-channel").put("addresses", new JsonObject().put("sms", "+905551234567")))
      .add("not an object");

    HttpResponse<Buffer> response = gateway.postBatch(acme, null, body);

    assertThat(response.statusCode()).isEqualTo(202);
    JsonObject answer = json(response);
    assertThat(answer.getInteger("accepted")).isEqualTo(3);
    assertThat(answer.getJsonArray("rejected")).containsExactly(
      new JsonObject().put("index", 3).put("id", "bad-email").put("reason", "addresses.email is not a valid email address")
        .put("pointer", "/recipients/3/addresses/email"),
      new JsonObject().put("index", 4).put("id", "no-channel").put("reason", "no address for any of the batch's channels (email)")
        .put("pointer", "/recipients/4/addresses"),
      new JsonObject().put("index", 5).put("reason", "a recipient must be a JSON object").put("pointer", "/recipients/5"));
    String batchId = answer.getString("batch_id");
    assertThat(response.getHeader("Location")).isEqualTo("/v1/batches/" + batchId);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE batch_id = '" + batchId
      + "' AND recipient_id LIKE 'mixed-%' AND state = 'queued'")).isEqualTo(3);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE batch_id = '" + batchId
      + "' AND variables ->> 'first_name' = 'Ayşe' AND locale = 'tr-TR' AND time_zone = 'Europe/Istanbul'")).isEqualTo(3);

    JsonObject status = json(await(gateway.get("/v1/batches/" + batchId, acme).send()));
    assertThat(status.getString("campaign")).isEqualTo("spring-welcome");
    assertThat(status.getJsonObject("recipients")).isEqualTo(new JsonObject().put("accepted", 3).put("rejected", 3));
    assertThat(status.getJsonObject("states").getLong("queued")).isEqualTo(3);
    assertThat(status.getJsonObject("states").getLong("sent")).isZero();
  }

  @Test
  @DisplayName("a request repeated with the same Idempotency-Key and body gets the first answer and stores nothing new")
  void replaysSameKeySameBody() {
    Buffer body = Batches.batch("replay", "replay", 5).toBuffer();
    HttpResponse<Buffer> first = gateway.postBatch(acme, "replay-key-1", body);
    assertThat(first.statusCode()).isEqualTo(202);
    long before = stored();

    HttpResponse<Buffer> second = gateway.postBatch(acme, "replay-key-1", body);

    assertThat(second.statusCode()).isEqualTo(202);
    assertThat(second.getHeader("Idempotent-Replayed")).isEqualTo("true");
    assertThat(json(second).getString("batch_id")).isEqualTo(json(first).getString("batch_id"));
    assertThat(second.bodyAsString()).isEqualTo(first.bodyAsString());
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("the same Idempotency-Key with a different body is 422 and stores nothing")
  void rejectsSameKeyDifferentBody() {
    assertThat(gateway.postBatch(acme, "reused-key", Batches.batch("reuse", "a", 2)).statusCode()).isEqualTo(202);
    long before = stored();

    HttpResponse<Buffer> response = gateway.postBatch(acme, "reused-key", Batches.batch("reuse", "b", 2));

    assertThat(response.statusCode()).isEqualTo(422);
    assertThat(json(response).getString("type")).isEqualTo("urn:relay:problem:idempotency-key-reused");
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("keys are per tenant: another tenant may use the same Idempotency-Key for its own batch")
  void idempotencyKeysArePerTenant() {
    Buffer body = Batches.batch("shared-key", "s", 1).toBuffer();
    HttpResponse<Buffer> a = gateway.postBatch(acme, "shared-key", body);
    HttpResponse<Buffer> b = gateway.postBatch(globex, "shared-key", body);
    assertThat(a.statusCode()).isEqualTo(202);
    assertThat(b.statusCode()).isEqualTo(202);
    assertThat(json(b).getString("batch_id")).isNotEqualTo(json(a).getString("batch_id"));
  }

  static Stream<Arguments> badRequests() {
    JsonObject valid = Batches.batch("bad-input", "bad", 1);
    byte[] invalidUtf8 = valid.encode().replace("bad-input", "bad\u00ff").getBytes(StandardCharsets.ISO_8859_1);
    JsonArray tooManyVariables = new JsonArray();
    JsonObject variables = new JsonObject();
    for (int i = 0; i < 101; i++) {
      variables.put("v" + i, i);
    }
    tooManyVariables.add(Batches.recipient("r").put("variables", variables));
    return Stream.of(
      Arguments.of("malformed JSON", Buffer.buffer("{\"campaign\": \"x\", "), 400, "malformed-json"),
      Arguments.of("invalid UTF-8", Buffer.buffer(invalidUtf8), 400, "invalid-utf8"),
      Arguments.of("a JSON array instead of an object", Buffer.buffer("[1, 2]"), 422, "schema-violation"),
      Arguments.of("a wrong type", valid.copy().put("campaign", 42).toBuffer(), 422, "schema-violation"),
      Arguments.of("a missing field", removed(valid, "channels").toBuffer(), 422, "schema-violation"),
      Arguments.of("an unknown field", valid.copy().put("chanels", new JsonArray()).toBuffer(), 422, "schema-violation"),
      Arguments.of("an unknown channel", valid.copy().put("channels", new JsonArray().add("fax")).toBuffer(), 422,
        "schema-violation"),
      Arguments.of("no recipients", valid.copy().put("recipients", new JsonArray()).toBuffer(), 422, "schema-violation"),
      Arguments.of("a campaign name over 200 characters", valid.copy().put("campaign", "c".repeat(201)).toBuffer(), 422,
        "schema-violation"),
      Arguments.of("a NUL in the campaign name", valid.copy().put("campaign", "a\u0000b").toBuffer(), 422,
        "schema-violation"),
      Arguments.of("a ttl over the limit", valid.copy().put("ttl_seconds", 10_000_000).toBuffer(), 422, "ttl-too-long"),
      Arguments.of("a send_at that is no date", valid.copy().put("send_at", "tomorrow").toBuffer(), 422,
        "schema-violation"),
      Arguments.of("too many variables on the only recipient",
        valid.copy().put("recipients", tooManyVariables).toBuffer(), 422, "no-valid-recipients"),
      Arguments.of("a variable string over the length limit",
        valid.copy().put("recipients", new JsonArray().add(Batches.recipient("r")
          .put("variables", new JsonObject().put("bio", "x".repeat(10_001))))).toBuffer(), 422, "no-valid-recipients"));
  }

  private static JsonObject removed(JsonObject json, String field) {
    JsonObject copy = json.copy();
    copy.remove(field);
    return copy;
  }

  @ParameterizedTest(name = "{0} is {2} {3}")
  @MethodSource("badRequests")
  @DisplayName("bad input gets a specific 4xx problem and stores nothing")
  void badInput(String description, Buffer body, int status, String kind) {
    long before = stored();

    HttpResponse<Buffer> response = gateway.postBatch(acme, "bad-" + kind + "-" + description.hashCode(), body);

    assertThat(response.statusCode()).as(description).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/problem+json");
    JsonObject problem = json(response);
    assertThat(problem.getString("type")).isEqualTo("urn:relay:problem:" + kind);
    assertThat(problem.getInteger("status")).isEqualTo(status);
    assertThat(problem.getString("detail")).isNotBlank();
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("a 100,000-recipient batch is 422 too-many-recipients, naming the limit, and stores nothing")
  void tooManyRecipients() {
    long before = stored();
    JsonArray recipients = new JsonArray();
    for (int i = 0; i < 100_000; i++) {
      recipients.add(new JsonObject().put("id", "r" + i).put("addresses", new JsonObject().put("email", "r" + i + "@x.io")));
    }
    HttpResponse<Buffer> response = gateway.postBatch(acme, null, Batches.envelope("huge").put("recipients", recipients));

    assertThat(response.statusCode()).isEqualTo(422);
    JsonObject problem = json(response);
    assertThat(problem.getString("type")).isEqualTo("urn:relay:problem:too-many-recipients");
    assertThat(problem.getInteger("limit")).isEqualTo(10_000);
    assertThat(problem.getInteger("actual")).isEqualTo(100_000);
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("a body over the size limit is 413 body-too-large and stores nothing")
  void bodyTooLarge() {
    long before = stored();
    Buffer body = Buffer.buffer("{\"campaign\":\"" + "x".repeat(9 * 1024 * 1024) + "\"}");

    HttpResponse<Buffer> response = gateway.postBatch(acme, null, body);

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(json(response).getString("type")).isEqualTo("urn:relay:problem:body-too-large");
    assertThat(json(response).getInteger("limit")).isEqualTo(8 * 1024 * 1024);
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("a body that is not application/json is 415")
  void notJson() {
    HttpResponse<Buffer> response = await(gateway.post("/v1/batches", acme)
      .putHeader("Content-Type", "text/plain").sendBuffer(Buffer.buffer("hello")));
    assertThat(response.statusCode()).isEqualTo(415);
    assertThat(json(response).getString("type")).isEqualTo("urn:relay:problem:unsupported-media-type");
  }

  @Test
  @DisplayName("a tenant's key cannot read another tenant's batch: it is 404 as if it did not exist")
  void tenantIsolation() {
    String batchId = json(gateway.postBatch(acme, null, Batches.batch("isolated", "iso", 1))).getString("batch_id");

    HttpResponse<Buffer> own = await(gateway.get("/v1/batches/" + batchId, acme).send());
    HttpResponse<Buffer> other = await(gateway.get("/v1/batches/" + batchId, globex).send());

    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(json(other).getString("type")).isEqualTo("urn:relay:problem:batch-not-found");
    assertThat(other.bodyAsString()).doesNotContain("isolated");
  }

  @Test
  @DisplayName("a request without a key, with a malformed key or with a wrong secret is 401 and stores nothing")
  void unauthorized() {
    long before = stored();
    String wrongSecret = acme.substring(0, acme.length() - 4) + "AAAA";
    for (String key : new String[] {null, "not-a-key", wrongSecret}) {
      HttpResponse<Buffer> response = gateway.postBatch(key, null, Batches.batch("unauth", "u", 1));
      assertThat(response.statusCode()).as("key %s", key).isEqualTo(401);
      assertThat(response.getHeader("WWW-Authenticate")).startsWith("Bearer");
      assertThat(json(response).getString("type")).isEqualTo("urn:relay:problem:unauthorized");
    }
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("GET of a malformed batch id is 400 and of an unknown one 404")
  void unknownBatch() {
    assertThat(await(gateway.get("/v1/batches/not-a-uuid", acme).send()).statusCode()).isEqualTo(400);
    assertThat(await(gateway.get("/v1/batches/00000000-0000-4000-8000-000000000000", acme).send()).statusCode())
      .isEqualTo(404);
  }

  @Test
  @DisplayName("a 10,000-recipient batch is stored whole in one transaction")
  void storesTenThousand() {
    HttpResponse<Buffer> response = gateway.postBatch(acme, "ten-thousand", Batches.batch("big", "big", 10_000));

    assertThat(response.statusCode()).isEqualTo(202);
    String batchId = json(response).getString("batch_id");
    assertThat(gateway.database().count("SELECT count(DISTINCT recipient_id) FROM messages WHERE batch_id = '"
      + batchId + "'")).isEqualTo(10_000);
    JsonObject status = json(await(gateway.get("/v1/batches/" + batchId, acme).send()));
    assertThat(status.getJsonObject("states").getLong("queued")).isEqualTo(10_000);
  }

  @Test
  @DisplayName("/openapi.json serves the OpenAPI 3 document of the API")
  void servesOpenApi() {
    HttpResponse<Buffer> response = await(gateway.get("/openapi.json", null).send());
    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject document = json(response);
    assertThat(document.getString("openapi")).startsWith("3.");
    assertThat(document.getJsonObject("paths").fieldNames()).contains("/v1/batches", "/v1/batches/{id}");
  }
}
