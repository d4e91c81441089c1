package dev.relay.adapters.testkit.fcm;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fake of Firebase Cloud Messaging's HTTP v1 API and of Google's OAuth 2.0 token endpoint, on one
 * HTTP/1.1 listener on the loopback interface, for one {@link TestServiceAccount}.
 *
 * <h2>Token endpoint: {@code POST /token}</h2>
 * Takes the form {@code grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>} (RFC 7523).
 * The JWT must be signed RS256 by the account's key (and name its {@code kid} if it names one), with
 * {@code iss} the account's e-mail, {@code aud} this endpoint's URL, a {@code scope} that includes
 * {@value #SCOPE}, {@code iat} not in the future and {@code exp} after now and at most an hour after
 * {@code iat}, by the fake's clock. It answers {@code 200 {"access_token":"ya29.…","expires_in":N,
 * "token_type":"Bearer"}}, an opaque token valid for {@link #accessTokenLifetime(Duration)} (an hour by
 * default), or {@code 400 {"error":"invalid_grant","error_description":…}} as Google does.
 *
 * <h2>Send endpoint: {@code POST /v1/projects/{project}/messages:send}</h2>
 * Needs {@code Authorization: Bearer <access token>} with a token it issued that has not expired or been
 * {@linkplain #revokeAccessTokens() revoked}, and not {@linkplain #refuseAccessTokens(boolean) refused}
 * ({@code 401 UNAUTHENTICATED} otherwise), the account's project
 * ({@code 403 PERMISSION_DENIED}) and a body {@code {"message":{"token":…,…}}} ({@code 400
 * INVALID_ARGUMENT}). Then, in this order, it answers the next error queued with {@link #failNext}, or
 * the error the device token asks for by its prefix:
 * <ul>
 *   <li>{@code unregistered…}: {@code 404 NOT_FOUND}, FCM error {@code UNREGISTERED};</li>
 *   <li>{@code invalid…}: {@code 400 INVALID_ARGUMENT} with a field violation on {@code message.token};</li>
 *   <li>{@code mismatch…}: {@code 403 PERMISSION_DENIED}, FCM error {@code SENDER_ID_MISMATCH};</li>
 * </ul>
 * and otherwise records the message and answers {@code 200 {"name":"projects/{project}/messages/<n>"}}.
 * Errors have FCM's shape: {@code {"error":{"code":404,"message":…,"status":"NOT_FOUND","details":
 * [{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}}.
 */
public final class FcmFake {

  /** The OAuth scope a JWT must ask for. */
  public static final String SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

  /** The path of the token endpoint. */
  public static final String TOKEN_PATH = "/token";

  /** The errors FCM answers, with their HTTP status and canonical status, as FCM's documentation lists them. */
  public enum Error {
    /** The token is no longer valid: the app was uninstalled or the token expired. */
    UNREGISTERED(404, "NOT_FOUND", "Requested entity was not found."),
    /** A request parameter was invalid; as the fake answers it, the device token. */
    INVALID_ARGUMENT(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"),
    /** The token belongs to another sender. */
    SENDER_ID_MISMATCH(403, "PERMISSION_DENIED", "SenderId mismatch"),
    /** The sending rate exceeded a quota. */
    QUOTA_EXCEEDED(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Send requests'"),
    /** FCM is overloaded. */
    UNAVAILABLE(503, "UNAVAILABLE", "The service is currently unavailable."),
    /** An unknown internal error. */
    INTERNAL(500, "INTERNAL", "Internal error encountered."),
    /** The APNs certificate or web push key is invalid or missing. */
    THIRD_PARTY_AUTH_ERROR(401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service");

    private final int httpStatus;
    private final String status;
    private final String message;

    Error(int httpStatus, String status, String message) {
      this.httpStatus = httpStatus;
      this.status = status;
      this.message = message;
    }

    /** The HTTP status FCM answers with. */
    public int httpStatus() {
      return httpStatus;
    }

    /** The canonical status in the error body, such as {@code NOT_FOUND}. */
    public String status() {
      return status;
    }
  }

  /**
   * One message FCM accepted.
   *
   * @param project       the project in the path
   * @param authorization the {@code Authorization} header it came with
   * @param message       the {@code message} object of the body
   * @param name          the name the fake answered
   */
  public record Received(String project, String authorization, JsonObject message, String name) {
  }

  private record Failure(Error error, Duration retryAfter) {
  }

  private static final Pattern SEND_PATH = Pattern.compile("/v1/projects/([^/]+)/messages:send");
  private static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  private static final Duration MAX_ASSERTION_LIFETIME = Duration.ofHours(1);
  private static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

  private final TestServiceAccount account;
  private final Clock clock;
  private final JWTAuth jwt;
  private final Map<String, Instant> accessTokens = new ConcurrentHashMap<>();
  private final Queue<Failure> failures = new ConcurrentLinkedQueue<>();
  private final List<Received> messages = new ArrayList<>();
  private final AtomicInteger exchanges = new AtomicInteger();
  private final AtomicInteger rejectedExchanges = new AtomicInteger();
  private final AtomicInteger sendRequests = new AtomicInteger();
  private final AtomicInteger unauthenticated = new AtomicInteger();
  private final AtomicLong names = new AtomicLong();
  private volatile Duration lifetime = Duration.ofHours(1);
  private volatile boolean refuseAll;
  private HttpServer server;

  private FcmFake(Vertx vertx, TestServiceAccount account, Clock clock) {
    this.account = account;
    this.clock = clock;
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(account.publicKeyPem()))
      // Lifetimes are checked below against the fake's own clock, which tests move.
      .setJWTOptions(new JWTOptions().setIgnoreExpiration(true)));
  }

  /** Starts a fake for {@code account} on 127.0.0.1 and a free port; token lifetimes follow {@code clock}. */
  public static Future<FcmFake> start(Vertx vertx, TestServiceAccount account, Clock clock) {
    FcmFake fake = new FcmFake(Objects.requireNonNull(vertx, "vertx"), Objects.requireNonNull(account, "account"),
      Objects.requireNonNull(clock, "clock"));
    return vertx.createHttpServer()
      .requestHandler(fake::handle)
      .listen(0, "127.0.0.1")
      .map(server -> {
        fake.server = server;
        return fake;
      });
  }

  /** The base URL, such as {@code http://127.0.0.1:41234}: the adapter's {@code base-url}. */
  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** The token endpoint's URL, the {@code token_uri} of {@link #serviceAccountJson()}. */
  public String tokenUri() {
    return url() + TOKEN_PATH;
  }

  /** The account's JSON key file pointing at this fake's token endpoint: the adapter's {@code service-account}. */
  public String serviceAccountJson() {
    return account.json(tokenUri());
  }

  /** How long access tokens issued from now on are valid (an hour unless changed). */
  public void accessTokenLifetime(Duration lifetime) {
    if (lifetime.isNegative() || lifetime.isZero()) {
      throw new IllegalArgumentException("an access token's lifetime must be positive, not " + lifetime);
    }
    this.lifetime = lifetime;
  }

  /** Makes every access token issued so far invalid, as if Google had revoked them. */
  public void revokeAccessTokens() {
    accessTokens.clear();
  }

  /** While {@code refuse} is true, every send is answered {@code 401 UNAUTHENTICATED}, fresh tokens or not. */
  public void refuseAccessTokens(boolean refuse) {
    this.refuseAll = refuse;
  }

  /** Queues an error for the next authenticated send, whatever its device token. */
  public void failNext(Error error) {
    failNext(error, null);
  }

  /** Queues an error with a {@code Retry-After} (whole seconds) for the next authenticated send. */
  public void failNext(Error error, Duration retryAfter) {
    failures.add(new Failure(Objects.requireNonNull(error, "error"), retryAfter));
  }

  /** How many JWTs were exchanged for access tokens. */
  public int tokenExchanges() {
    return exchanges.get();
  }

  /** How many token requests were refused. */
  public int rejectedExchanges() {
    return rejectedExchanges.get();
  }

  /** How many requests reached the send endpoint, refused ones included. */
  public int sendRequests() {
    return sendRequests.get();
  }

  /** How many sends were refused for a missing, unknown, expired or revoked access token. */
  public int unauthenticatedSends() {
    return unauthenticated.get();
  }

  /** The messages accepted so far, in order: a snapshot. */
  public List<Received> messages() {
    synchronized (messages) {
      return List.copyOf(messages);
    }
  }

  /** Stops listening. */
  public Future<Void> close() {
    return server.close();
  }

  @Override
  public String toString() {
    return "FCM fake at " + url();
  }

  private void handle(HttpServerRequest request) {
    if (request.method() == HttpMethod.POST && TOKEN_PATH.equals(request.path())) {
      request.setExpectMultipart(true);
      request.end().onSuccess(done -> exchange(request, request.formAttributes()));
      return;
    }
    Matcher send = SEND_PATH.matcher(request.path());
    if (request.method() == HttpMethod.POST && send.matches()) {
      sendRequests.incrementAndGet();
      String project = send.group(1);
      request.body().onSuccess(body -> send(request, project, body));
      return;
    }
    request.response().setStatusCode(404).end();
  }

  private void exchange(HttpServerRequest request, MultiMap form) {
    if (!GRANT_TYPE.equals(form.get("grant_type"))) {
      refuse(request, "unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type"));
      return;
    }
    String assertion = form.get("assertion");
    if (assertion == null || assertion.isBlank()) {
      refuse(request, "invalid_request", "Missing required parameter: assertion");
      return;
    }
    jwt.authenticate(new TokenCredentials(assertion)).onComplete(verified -> {
      if (verified.failed()) {
        refuse(request, "invalid_grant", "Invalid JWT Signature.");
        return;
      }
      String problem = claimsProblem(assertion);
      if (problem != null) {
        refuse(request, "invalid_grant", problem);
        return;
      }
      exchanges.incrementAndGet();
      String token = "ya29.fake-" + UUID.randomUUID();
      Duration validFor = lifetime;
      accessTokens.put(token, clock.instant().plus(validFor));
      json(request.response().setStatusCode(200), new JsonObject()
        .put("access_token", token)
        .put("expires_in", validFor.toSeconds())
        .put("token_type", "Bearer"));
    });
  }

  private String claimsProblem(String assertion) {
    String[] parts = assertion.split("\\.");
    JsonObject header = decodePart(parts[0]);
    JsonObject claims = decodePart(parts[1]);
    if (header.containsKey("kid") && !account.privateKeyId().equals(header.getString("kid"))) {
      return "Invalid JWT: unknown key id";
    }
    if (!account.clientEmail().equals(claims.getString("iss"))) {
      return "Invalid JWT: iss is not the service account";
    }
    if (!tokenUri().equals(claims.getValue("aud"))) {
      return "Invalid JWT: aud must be " + tokenUri();
    }
    String scope = claims.getString("scope", "");
    if (!List.of(scope.split(" ")).contains(SCOPE)) {
      return "Invalid JWT: scope does not include " + SCOPE;
    }
    Long iat = claims.getLong("iat");
    Long exp = claims.getLong("exp");
    if (iat == null || exp == null) {
      return "Invalid JWT: iat and exp are required";
    }
    long now = clock.instant().getEpochSecond();
    if (iat > now + CLOCK_SKEW.toSeconds() || exp <= now) {
      return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
        + "Check your iat and exp values in the JWT claim.";
    }
    if (exp - iat > MAX_ASSERTION_LIFETIME.toSeconds()) {
      return "Invalid JWT: exp may be at most 60 minutes after iat";
    }
    return null;
  }

  private static JsonObject decodePart(String part) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
  }

  private void refuse(HttpServerRequest request, String error, String description) {
    rejectedExchanges.incrementAndGet();
    json(request.response().setStatusCode(400),
      new JsonObject().put("error", error).put("error_description", description));
  }

  private void send(HttpServerRequest request, String project, Buffer body) {
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (!authorized(authorization)) {
      unauthenticated.incrementAndGet();
      error(request, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 "
        + "access token, login cookie or other valid authentication credential.", null, null, null);
      return;
    }
    if (!account.projectId().equals(project)) {
      error(request, 403, "PERMISSION_DENIED", "Permission 'cloudmessaging.messages.create' denied on resource "
        + "'//cloudresourcemanager.googleapis.com/projects/" + project + "'", null, null, null);
      return;
    }
    JsonObject message;
    try {
      message = body.toJsonObject().getJsonObject("message");
    } catch (DecodeException | ClassCastException e) {
      message = null;
    }
    if (message == null || !(message.getValue("token") instanceof String)) {
      error(request, 400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "INVALID_ARGUMENT",
        "message", null);
      return;
    }
    Failure failure = failures.poll();
    if (failure == null) {
      failure = byToken(message.getString("token"));
    }
    if (failure != null) {
      Error e = failure.error();
      error(request, e.httpStatus, e.status, e.message, e.name(), e == Error.INVALID_ARGUMENT ? "message.token" : null,
        failure.retryAfter());
      return;
    }
    String name = "projects/" + project + "/messages/0:" + names.incrementAndGet() + "%fake";
    synchronized (messages) {
      messages.add(new Received(project, authorization, message, name));
    }
    json(request.response().setStatusCode(200), new JsonObject().put("name", name));
  }

  private static Failure byToken(String token) {
    if (token.startsWith("unregistered")) {
      return new Failure(Error.UNREGISTERED, null);
    }
    if (token.startsWith("invalid")) {
      return new Failure(Error.INVALID_ARGUMENT, null);
    }
    if (token.startsWith("mismatch")) {
      return new Failure(Error.SENDER_ID_MISMATCH, null);
    }
    return null;
  }

  private boolean authorized(String authorization) {
    if (refuseAll || authorization == null || !authorization.startsWith("Bearer ")) {
      return false;
    }
    Instant expiresAt = accessTokens.get(authorization.substring("Bearer ".length()));
    return expiresAt != null && clock.instant().isBefore(expiresAt);
  }

  private static void error(HttpServerRequest request, int httpStatus, String status, String message,
                            String fcmErrorCode, String badField, Duration retryAfter) {
    JsonArray details = new JsonArray();
    if (fcmErrorCode != null) {
      details.add(new JsonObject()
        .put("@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError")
        .put("errorCode", fcmErrorCode));
    }
    if (badField != null) {
      details.add(new JsonObject()
        .put("@type", "type.googleapis.com/google.rpc.BadRequest")
        .put("fieldViolations", new JsonArray().add(new JsonObject().put("field", badField).put("description", message))));
    }
    JsonObject error = new JsonObject().put("code", httpStatus).put("message", message).put("status", status);
    if (!details.isEmpty()) {
      error.put("details", details);
    }
    if (retryAfter != null) {
      request.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter.toSeconds()));
    }
    json(request.response().setStatusCode(httpStatus), new JsonObject().put("error", error));
  }

  private static void json(HttpServerResponse response, JsonObject body) {
    response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=UTF-8").end(body.toBuffer());
  }
}
