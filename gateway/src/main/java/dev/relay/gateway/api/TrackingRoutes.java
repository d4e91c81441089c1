package dev.relay.gateway.api;

import dev.relay.gateway.render.TemplateCache;
import dev.relay.gateway.store.SuppressionStore;
import dev.relay.gateway.store.TrackingStore;
import dev.relay.gateway.track.Classifier;
import dev.relay.gateway.track.Hit;
import dev.relay.gateway.track.TrackingRecorder;
import dev.relay.gateway.track.TrackingToken;
import dev.relay.gateway.track.TrackingTokens;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.time.Clock;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The recipients' endpoints, signed by their token instead of keyed: {@code GET /t/o/{token}} (open
 * pixel), {@code GET|HEAD /t/c/{token}} (click redirect to the URL the gateway rendered), and
 * {@code GET|POST /u/{token}} (unsubscribe page and RFC 8058 one-click unsubscribe). A token that does
 * not verify, or is of another kind, is 404 and records nothing. An open or click is answered once its
 * hit is in the local journal (fsynced), before its event is written. A click's hit keeps the URL the
 * recipient was sent to; every hit keeps the client's address ({@link ClientAddress}: behind trusted proxies,
 * the one they forwarded).
 */
public final class TrackingRoutes {

  private static final Buffer GIF = Buffer.buffer(Base64.getDecoder()
    .decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"));
  private static final String NO_STORE = "no-store";
  private static final int UNSUBSCRIBE_BODY_LIMIT = 4096;

  private final TrackingTokens tokens;
  private final TemplateCache templates;
  private final TrackingRecorder recorder;
  private final TrackingStore store;
  private final SuppressionStore suppressions;
  private final ClientAddress clients;
  private final Clock clock;

  public TrackingRoutes(TrackingTokens tokens, TemplateCache templates, TrackingRecorder recorder, TrackingStore store,
                        SuppressionStore suppressions, ClientAddress clients, Clock clock) {
    this.clients = clients;
    this.clock = clock;
    this.tokens = tokens;
    this.templates = templates;
    this.recorder = recorder;
    this.store = store;
    this.suppressions = suppressions;
  }

  /** Puts the routes on a router (before any API-key handler: they are not under /v1). */
  public void mount(Router router) {
    router.route("/t/o/:token").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::open);
    router.route("/t/c/:token").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::click);
    router.get("/u/:token").handler(this::unsubscribePage);
    router.post("/u/:token").handler(BodyHandler.create(false).setBodyLimit(UNSUBSCRIBE_BODY_LIMIT))
      .handler(this::unsubscribe);
  }

  private Optional<TrackingToken> token(RoutingContext ctx, TrackingToken.Kind kind) {
    return tokens.verify(ctx.pathParam("token")).filter(t -> t.kind() == kind);
  }

  private void open(RoutingContext ctx) {
    Optional<TrackingToken> token = token(ctx, TrackingToken.Kind.OPEN);
    if (token.isEmpty()) {
      ctx.fail(404);
      return;
    }
    record(ctx, token.get(), Hit.OPENED, null, null, false, () -> ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "image/gif")
      .putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE)
      .end(GIF));
  }

  private void click(RoutingContext ctx) {
    Optional<TrackingToken> verified = token(ctx, TrackingToken.Kind.CLICK);
    if (verified.isEmpty()) {
      ctx.fail(404);
      return;
    }
    TrackingToken token = verified.get();
    if (token.isDecoy()) {
      record(ctx, token, Hit.CLICKED, "decoy", null, true, () -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE)
        .end());
      return;
    }
    Future<String> target = token.url() != null
      ? Future.succeededFuture(token.url())
      : templates.staticHref(token.templateId(), token.linkIndex());
    String link = token.url() != null ? token.url() : token.templateId() + ":" + token.linkIndex();
    target.onComplete(ar -> {
      if (ar.failed() || ar.result() == null) {
        ctx.fail(404);
        return;
      }
      record(ctx, token, Hit.CLICKED, link, ar.result(), false, () -> ctx.response()
        .setStatusCode(302)
        .putHeader(HttpHeaders.LOCATION, ar.result())
        .putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE)
        .end());
    });
  }

  /** Journals the hit, then answers on the request's own context; a journal that cannot be written is a 503. */
  private void record(RoutingContext ctx, TrackingToken token, String type, String link, String url, boolean decoy,
                      Runnable answer) {
    boolean head = ctx.request().method() == HttpMethod.HEAD;
    String userAgent = ctx.request().getHeader(HttpHeaders.USER_AGENT);
    String ip = clients.of(ctx.request());
    Classifier.Verdict verdict = recorder.classifier().request(Hit.OPENED.equals(type), head, decoy, userAgent, ip);
    Hit hit = new Hit(hitId(), type, token.messageId(), link, url, clock.millis(),
      ctx.request().method().name(), userAgent, ip, verdict.klass(), verdict.reason());
    Context context = Vertx.currentContext();
    recorder.record(hit).onComplete(ar -> context.runOnContext(v -> {
      if (ar.succeeded()) {
        answer.run();
      } else {
        ctx.fail(503, ar.cause());
      }
    }));
  }

  private static String hitId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return new UUID(random.nextLong(), random.nextLong()).toString();
  }

  private void unsubscribePage(RoutingContext ctx) {
    if (token(ctx, TrackingToken.Kind.UNSUBSCRIBE).isEmpty()) {
      ctx.fail(404);
      return;
    }
    page(ctx, "Unsubscribe", "<h1>Unsubscribe</h1><p>Stop receiving these emails at this address?</p>"
      + "<form method=\"post\"><button type=\"submit\" id=\"unsubscribe\">Unsubscribe</button></form>");
  }

  private void unsubscribe(RoutingContext ctx) {
    Optional<TrackingToken> token = token(ctx, TrackingToken.Kind.UNSUBSCRIBE);
    if (token.isEmpty()) {
      ctx.fail(404);
      return;
    }
    long messageId = token.get().messageId();
    String body = ctx.body().asString();
    boolean oneClick = body != null && body.contains("List-Unsubscribe=One-Click");
    store.unsubscribeTarget(messageId)
      .compose(target -> {
        if (target.isEmpty() || target.get().address() == null) {
          return Future.succeededFuture(false);
        }
        TrackingStore.UnsubscribeTarget t = target.get();
        return suppressions.add(t.tenantId(), "email", t.address(), SuppressionStore.Reason.UNSUBSCRIBED,
            "unsubscribe-link", messageId)
          .compose(added -> store.unsubscribed(messageId, t, oneClick ? "one-click" : "unsubscribe-page",
            new JsonObject().put("channel", "email").put("newly_suppressed", added)))
          .map(true);
      })
      .onSuccess(found -> {
        if (!found) {
          ctx.fail(404);
        } else {
          page(ctx, "Unsubscribed", "<h1 id=\"done\">You are unsubscribed</h1>"
            + "<p>This address will receive no more of these emails.</p>");
        }
      })
      .onFailure(ctx::fail);
  }

  private static void page(RoutingContext ctx, String title, String body) {
    ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
      .putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE)
      .end("<!doctype html><html><head><meta charset=\"utf-8\"><title>" + title + "</title>"
        + "<meta name=\"viewport\" content=\"width=device-width\"></head><body>" + body + "</body></html>");
  }
}
