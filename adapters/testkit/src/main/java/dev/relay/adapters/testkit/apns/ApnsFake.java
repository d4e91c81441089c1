package dev.relay.adapters.testkit.apns;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fake of the Apple Push Notification service's provider API: HTTP/2 over TLS, negotiated with ALPN,
 * through netty-tcnative's OpenSSL (BoringSSL), with a self-signed certificate for {@code localhost} made at
 * start, listening on 127.0.0.1. A client trusts it through {@link #caCertPem()}.
 *
 * <h2>Protocol: {@code POST /3/device/{token}}</h2>
 * Requests over anything but HTTP/2 are answered {@code 505}. Token-based authentication as Apple
 * describes it: {@code authorization: bearer <JWT>}, the JWT signed ES256 by the {@link TestSigningKey} with a
 * raw 64-byte R||S signature, {@code kid} the key id, {@code iss} the team id and an {@code iat} at most an
 * hour old by the fake's clock ({@code 403 ExpiredProviderToken} when older; {@code 403
 * InvalidProviderToken} for any other fault, {@code 403 MissingProviderToken} without one). A provider
 * token the fake has not seen before whose {@code iat} is less than 20 minutes after the previous new
 * token's is answered {@code 429 TooManyProviderTokenUpdates}. Then the headers: {@code apns-topic} must be
 * the fake's topic ({@code 400 MissingTopic}, {@code 400 TopicDisallowed}), {@code apns-push-type},
 * {@code apns-id} (a UUID), {@code apns-priority} (10, 5 or 1), {@code apns-expiration} (digits) and
 * {@code apns-collapse-id} (at most 64 bytes) well-formed when present; the body a JSON object with an
 * {@code aps} object of at most 4096 bytes ({@code 413 PayloadTooLarge}); the device token hexadecimal
 * ({@code 400 BadDeviceToken}). Then it answers the next error queued with {@link #failNext}, or the error
 * the device token asks for by its prefix:
 * <ul>
 *   <li>{@code 410…}: {@code 410 {"reason":"Unregistered","timestamp":<ms>}};</li>
 *   <li>{@code bad…}: {@code 400 BadDeviceToken};</li>
 *   <li>{@code d1ff…}: {@code 400 DeviceTokenNotForTopic};</li>
 * </ul>
 * and otherwise records the push and answers {@code 200} with the request's {@code apns-id} (or a new
 * one). Every answer carries {@code apns-id}; errors have the body {@code {"reason":"…"}}.
 */
public final class ApnsFake {

  /**
   * One push the fake accepted.
   *
   * @param deviceToken     the device token in the path
   * @param headers         the request's headers (HTTP/2 names are lower case)
   * @param payload         the body
   * @param version         the HTTP version the request came over
   * @param sslSessionClass the class of the server connection's TLS session: names OpenSSL when
   *                        netty-tcnative carried it
   * @param tlsProtocol     the negotiated TLS version, such as {@code TLSv1.3}
   * @param apnsId          the {@code apns-id} the fake answered
   */
  public record Push(String deviceToken, MultiMap headers, JsonObject payload, HttpVersion version,
                     String sslSessionClass, String tlsProtocol, String apnsId) {

    /** The provider token of its {@code authorization} header. */
    public String providerToken() {
      String authorization = headers.get(HttpHeaders.AUTHORIZATION);
      return authorization == null ? null : authorization.substring(BEARER.length());
    }
  }

  /** The largest payload APNs takes for a regular push. */
  public static final int MAX_PAYLOAD_BYTES = 4096;

  private static final String BEARER = "bearer ";
  private static final Pattern DEVICE_PATH = Pattern.compile("/3/device/([^/]+)");
  private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]+");
  private static final Set<String> PUSH_TYPES = Set.of("alert", "background", "location", "voip", "complication",
    "fileprovider", "mdm", "liveactivity", "pushtotalk", "widgets", "controls");
  private static final Duration TOKEN_LIFETIME = Duration.ofHours(1);
  private static final Duration MIN_TOKEN_INTERVAL = Duration.ofMinutes(20);
  private static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

  private static JsonObject certificate;

  private record Failure(int status, String reason) {
  }

  private record Refusal(int status, String reason) {
  }

  private final TestSigningKey key;
  private final String topic;
  private final Clock clock;
  private final JWTAuth jwt;
  private final String caCertPem;
  private final Queue<Failure> failures = new ConcurrentLinkedQueue<>();
  private final List<Push> pushes = new ArrayList<>();
  private final Set<String> providerTokens = ConcurrentHashMap.newKeySet();
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> refusals = new ArrayList<>();
  private long lastNewTokenIat = Long.MIN_VALUE;
  private HttpServer server;

  private ApnsFake(Vertx vertx, TestSigningKey key, String topic, Clock clock, String caCertPem) {
    this.key = key;
    this.topic = topic;
    this.clock = clock;
    this.caCertPem = caCertPem;
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions().setAlgorithm("ES256").setBuffer(key.publicKeyPem()))
      // The token's age is checked against the fake's own clock, which tests move.
      .setJWTOptions(new JWTOptions().setIgnoreExpiration(true)));
  }

  /**
   * Starts a fake for the apps of {@code topic} (a bundle id) that verifies provider tokens with {@code key}
   * and ages them by {@code clock}. Fails when OpenSSL is not available.
   */
  public static Future<ApnsFake> start(Vertx vertx, TestSigningKey key, String topic, Clock clock) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(clock, "clock");
    if (!OpenSSLEngineOptions.isAlpnAvailable()) {
      return Future.failedFuture(new IllegalStateException("OpenSSL with ALPN (netty-tcnative) is not available",
        io.netty.handler.ssl.OpenSsl.unavailabilityCause()));
    }
    return vertx.executeBlocking(ApnsFake::certificate).compose(pem -> {
      ApnsFake fake = new ApnsFake(vertx, key, topic, clock, pem.getString("cert"));
      HttpServerOptions options = new HttpServerOptions()
        .setSsl(true)
        .setUseAlpn(true)
        .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
        .setSslEngineOptions(new OpenSSLEngineOptions())
        .setKeyCertOptions(new PemKeyCertOptions()
          .setCertValue(Buffer.buffer(pem.getString("cert")))
          .setKeyValue(Buffer.buffer(pem.getString("key"))));
      return vertx.createHttpServer(options)
        .requestHandler(fake::handle)
        .listen(0, "127.0.0.1")
        .map(server -> {
          fake.server = server;
          return fake;
        });
    });
  }

  /**
   * Makes a self-signed certificate for {@code localhost} and reads it back, leaving no files behind; made
   * once per JVM, since making a key pair takes a while and tests start many fakes.
   */
  private static synchronized JsonObject certificate() throws IOException {
    if (certificate == null) {
      SelfSignedCertificate made = SelfSignedCertificate.create("localhost");
      try {
        certificate = new JsonObject()
          .put("cert", Files.readString(Path.of(made.certificatePath()), StandardCharsets.US_ASCII))
          .put("key", Files.readString(Path.of(made.privateKeyPath()), StandardCharsets.US_ASCII));
      } finally {
        made.delete();
      }
    }
    return certificate.copy();
  }

  /** The base URL, {@code https://localhost:<port>}: the adapter's {@code base-url}. */
  public String url() {
    return "https://localhost:" + server.actualPort();
  }

  /** The fake's self-signed certificate as PEM: the adapter's {@code ca-cert}. */
  public String caCertPem() {
    return caCertPem;
  }

  /** Queues an error answer ({@code {"reason":reason}}) for the next authenticated, well-formed push. */
  public void failNext(int status, String reason) {
    failures.add(new Failure(status, Objects.requireNonNull(reason, "reason")));
  }

  /** The pushes accepted so far, in order: a snapshot. */
  public List<Push> pushes() {
    synchronized (pushes) {
      return List.copyOf(pushes);
    }
  }

  /** The reasons of the requests refused for their provider token, in order: a snapshot. */
  public List<String> authRefusals() {
    synchronized (refusals) {
      return List.copyOf(refusals);
    }
  }

  /** How many distinct provider tokens were presented and verified. */
  public int distinctProviderTokens() {
    return providerTokens.size();
  }

  /** How many requests reached the fake, refused ones included. */
  public int requestCount() {
    return requests.get();
  }

  /** Stops listening. */
  public Future<Void> close() {
    return server.close();
  }

  @Override
  public String toString() {
    return "APNs fake at " + url();
  }

  private void handle(HttpServerRequest request) {
    requests.incrementAndGet();
    request.body().onSuccess(body -> {
      String apnsId = request.getHeader("apns-id");
      if (apnsId == null || !isUuid(apnsId)) {
        apnsId = UUID.randomUUID().toString();
      }
      HttpServerResponse response = request.response().putHeader("apns-id", apnsId);
      if (request.version() != HttpVersion.HTTP_2) {
        reason(response, 505, "HTTP/2 is required");
        return;
      }
      Matcher path = DEVICE_PATH.matcher(request.path());
      if (!path.matches()) {
        reason(response, 404, "BadPath");
        return;
      }
      if (request.method() != HttpMethod.POST) {
        reason(response, 405, "MethodNotAllowed");
        return;
      }
      String deviceToken = path.group(1);
      String finalApnsId = apnsId;
      authenticate(request.getHeader(HttpHeaders.AUTHORIZATION))
        .onFailure(e -> reason(response, 500, "InternalServerError"))
        .onSuccess(refusal -> {
          if (refusal != null) {
            synchronized (refusals) {
              refusals.add(refusal.reason());
            }
            reason(response, refusal.status(), refusal.reason());
            return;
          }
          push(request, response, deviceToken, body, finalApnsId);
        });
    });
  }

  /** Null when the token is good, else the refusal. */
  private Future<Refusal> authenticate(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Future.succeededFuture(new Refusal(403, "MissingProviderToken"));
    }
    String token = authorization.substring(BEARER.length());
    String[] parts = token.split("\\.");
    if (parts.length != 3) {
      return Future.succeededFuture(new Refusal(403, "InvalidProviderToken"));
    }
    JsonObject header;
    JsonObject claims;
    byte[] signature;
    try {
      header = decodePart(parts[0]);
      claims = decodePart(parts[1]);
      signature = Base64.getUrlDecoder().decode(parts[2]);
    } catch (IllegalArgumentException | DecodeException e) {
      return Future.succeededFuture(new Refusal(403, "InvalidProviderToken"));
    }
    if (!"ES256".equals(header.getValue("alg")) || !key.keyId().equals(header.getValue("kid"))
      || !key.teamId().equals(claims.getValue("iss")) || !(claims.getValue("iat") instanceof Number)
      // JWS (RFC 7518, section 3.4): the raw R || S, 64 bytes for P-256, not a DER sequence.
      || signature.length != 64) {
      return Future.succeededFuture(new Refusal(403, "InvalidProviderToken"));
    }
    long iat = claims.getLong("iat");
    return jwt.authenticate(new TokenCredentials(token)).transform(verified -> {
      if (verified.failed()) {
        return Future.succeededFuture(new Refusal(403, "InvalidProviderToken"));
      }
      long now = clock.instant().getEpochSecond();
      if (iat > now + CLOCK_SKEW.toSeconds()) {
        return Future.succeededFuture(new Refusal(403, "InvalidProviderToken"));
      }
      if (now - iat > TOKEN_LIFETIME.toSeconds()) {
        return Future.succeededFuture(new Refusal(403, "ExpiredProviderToken"));
      }
      synchronized (providerTokens) {
        if (!providerTokens.contains(token)) {
          if (lastNewTokenIat != Long.MIN_VALUE && iat < lastNewTokenIat + MIN_TOKEN_INTERVAL.toSeconds()) {
            return Future.succeededFuture(new Refusal(429, "TooManyProviderTokenUpdates"));
          }
          providerTokens.add(token);
          lastNewTokenIat = iat;
        }
      }
      return Future.succeededFuture(null);
    });
  }

  private void push(HttpServerRequest request, HttpServerResponse response, String deviceToken, Buffer body,
                    String apnsId) {
    String problem = headerProblem(request);
    if (problem != null) {
      reason(response, 400, problem);
      return;
    }
    if (body.length() > MAX_PAYLOAD_BYTES) {
      reason(response, 413, "PayloadTooLarge");
      return;
    }
    JsonObject payload;
    try {
      payload = body.length() == 0 ? null : body.toJsonObject();
    } catch (DecodeException e) {
      payload = null;
    }
    if (payload == null || !(payload.getValue("aps") instanceof JsonObject)) {
      reason(response, 400, "PayloadEmpty");
      return;
    }
    if (!HEX.matcher(deviceToken).matches()) {
      reason(response, 400, "BadDeviceToken");
      return;
    }
    Failure failure = failures.poll();
    if (failure != null) {
      reason(response, failure.status(), failure.reason());
      return;
    }
    if (deviceToken.startsWith("410")) {
      response.setStatusCode(410).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("reason", "Unregistered").put("timestamp", clock.millis()).toBuffer());
      return;
    }
    if (deviceToken.startsWith("bad")) {
      reason(response, 400, "BadDeviceToken");
      return;
    }
    if (deviceToken.startsWith("d1ff")) {
      reason(response, 400, "DeviceTokenNotForTopic");
      return;
    }
    SSLSession session = request.connection().sslSession();
    synchronized (pushes) {
      pushes.add(new Push(deviceToken, MultiMap.caseInsensitiveMultiMap().addAll(request.headers()), payload,
        request.version(), session == null ? null : session.getClass().getName(),
        session == null ? null : session.getProtocol(), apnsId));
    }
    response.setStatusCode(200).putHeader("apns-unique-id", UUID.randomUUID().toString()).end();
  }

  private String headerProblem(HttpServerRequest request) {
    String requestTopic = request.getHeader("apns-topic");
    if (requestTopic == null) {
      return "MissingTopic";
    }
    if (!topic.equals(requestTopic)) {
      return "TopicDisallowed";
    }
    String pushType = request.getHeader("apns-push-type");
    if (pushType != null && !PUSH_TYPES.contains(pushType)) {
      return "InvalidPushType";
    }
    String apnsId = request.getHeader("apns-id");
    if (apnsId != null && !isUuid(apnsId)) {
      return "BadMessageId";
    }
    String priority = request.getHeader("apns-priority");
    if (priority != null && !Set.of("10", "5", "1").contains(priority)) {
      return "BadPriority";
    }
    String expiration = request.getHeader("apns-expiration");
    if (expiration != null && !expiration.matches("[0-9]+")) {
      return "BadExpirationDate";
    }
    String collapseId = request.getHeader("apns-collapse-id");
    if (collapseId != null && collapseId.getBytes(StandardCharsets.UTF_8).length > 64) {
      return "BadCollapseId";
    }
    return null;
  }

  private static boolean isUuid(String value) {
    try {
      return UUID.fromString(value).toString().equalsIgnoreCase(value);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static JsonObject decodePart(String part) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
  }

  private static void reason(HttpServerResponse response, int status, String reason) {
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .end(new JsonObject().put("reason", reason).toBuffer());
  }
}
