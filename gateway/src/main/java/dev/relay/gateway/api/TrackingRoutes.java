package dev.relay.gateway.api;

import dev.relay.gateway.render.TemplateCache;
import dev.relay.gateway.store.PreferenceStore;
import dev.relay.gateway.store.SuppressionStore;
import dev.relay.gateway.store.TrackingStore;
import dev.relay.gateway.store.TrackingStore.UnsubscribeTarget;
import dev.relay.gateway.track.Classifier;
import dev.relay.gateway.track.Hit;
import dev.relay.gateway.track.PreferencePage;
import dev.relay.gateway.track.TrackingRecorder;
import dev.relay.gateway.track.TrackingToken;
import dev.relay.gateway.track.TrackingTokens;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The recipients' endpoints, signed by their token instead of keyed: {@code GET /t/o/{token}} (open
 * pixel), {@code GET|HEAD /t/c/{token}} (click redirect to the URL the gateway rendered), and
 * {@code GET|POST /u/{token}} (the recipient's preference page, and RFC 8058 one-click unsubscribe from the message's
 * topic; see {@link PreferencePage}). Opening the page changes nothing. A token that does
 * not verify, or is of another kind, is 404 and records nothing. An open or click is answered once its
 * hit is in the local journal (fsynced), before its event is written. A click's hit keeps the URL the
 * recipient was sent to; every hit keeps the client's address ({@link ClientAddress}: behind trusted proxies,
 * the one they forwarded).
 */
public final class TrackingRoutes {

  private static final Buffer GIF = Buffer.buffer(Base64.getDecoder()
    .decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"));
  private static final String NO_STORE = "no-store";
  // The page's form names every checked topic: room for some hundreds of them.
  private static final int UNSUBSCRIBE_BODY_LIMIT = 64 * 1024;
  private static final String ONE_CLICK_FIELD = "List-Unsubscribe";
  private static final String ONE_CLICK_VALUE = "One-Click";
  /** The channel of the unsubscribe link and of the choices the page makes for topics chosen per channel. */
  private static final String EMAIL = "email";

  private final TrackingTokens tokens;
  private final TemplateCache templates;
  private final TrackingRecorder recorder;
  private final TrackingStore store;
  private final SuppressionStore suppressions;
  private final PreferenceStore preferences;
  private final PreferencePage page;
  private final ClientAddress clients;
  private final Clock clock;

  public TrackingRoutes(TrackingTokens tokens, TemplateCache templates, TrackingRecorder recorder, TrackingStore store,
                        SuppressionStore suppressions, PreferenceStore preferences, ClientAddress clients,
                        Clock clock) {
    this.preferences = preferences;
    this.page = PreferencePage.load();
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
    Optional<TrackingToken> token = token(ctx, TrackingToken.Kind.UNSUBSCRIBE);
    if (token.isEmpty()) {
      ctx.fail(404);
      return;
    }
    store.unsubscribeTarget(token.get().messageId())
      .compose(target -> target.isEmpty()
        ? Future.succeededFuture(Optional.<String>empty())
        : choicesPage(target.get(), false).map(Optional::of))
      .onSuccess(html -> html.ifPresentOrElse(h -> page(ctx, h), () -> ctx.fail(404)))
      .onFailure(ctx::fail);
  }

  /**
   * A POST is one of three: RFC 8058's one-click body (from a mail client), the page's topics form (action save) or
   * its "unsubscribe from everything" form (action everything). Anything else is 400 and changes nothing.
   */
  private void unsubscribe(RoutingContext ctx) {
    Optional<TrackingToken> token = token(ctx, TrackingToken.Kind.UNSUBSCRIBE);
    if (token.isEmpty()) {
      ctx.fail(404);
      return;
    }
    long messageId = token.get().messageId();
    MultiMap form = ctx.request().formAttributes();
    String action = form.get(PreferencePage.ACTION);
    boolean oneClick = action == null && isOneClick(ctx, form);
    if (!oneClick && !PreferencePage.SAVE.equals(action) && !PreferencePage.EVERYTHING.equals(action)) {
      ctx.fail(ApiProblem.of(400, "unsubscribe-form-invalid", "Not an unsubscribe request",
        "Expected RFC 8058's body List-Unsubscribe=One-Click, or the preference page's form (action save or "
          + "everything); nothing was changed."));
      return;
    }
    store.unsubscribeTarget(messageId)
      .compose(found -> {
        if (found.isEmpty()) {
          return Future.succeededFuture(Optional.<String>empty());
        }
        UnsubscribeTarget target = found.get();
        Future<String> answer;
        if (oneClick) {
          answer = oneClick(messageId, target);
        } else if (PreferencePage.EVERYTHING.equals(action)) {
          answer = everything(messageId, target);
        } else {
          answer = save(messageId, target, form.getAll(PreferencePage.TOPIC));
        }
        return answer.map(Optional::ofNullable);
      })
      .onSuccess(html -> html.ifPresentOrElse(h -> page(ctx, h), () -> ctx.fail(404)))
      .onFailure(ctx::fail);
  }

  /**
   * RFC 8058: the form field List-Unsubscribe with the value One-Click, sent as application/x-www-form-urlencoded
   * or multipart/form-data; without a form content type, the body itself.
   */
  private static boolean isOneClick(RoutingContext ctx, MultiMap form) {
    List<String> values = form.getAll(ONE_CLICK_FIELD);
    if (!values.isEmpty()) {
      return form.size() == 1 && values.equals(List.of(ONE_CLICK_VALUE));
    }
    String body = ctx.body().asString();
    return body != null && body.trim().equals(ONE_CLICK_FIELD + "=" + ONE_CLICK_VALUE);
  }

  /**
   * One-click opts the recipient out of the message's topic only (the list, in RFC 8058's sense); a message
   * without a topic (or whose topic is gone) puts the address on the suppression list, as before topics.
   */
  private Future<String> oneClick(long messageId, UnsubscribeTarget target) {
    String language = PreferencePage.language(target.locale());
    Future<Optional<PreferenceStore.Topic>> topic = target.topic() == null
      ? Future.succeededFuture(Optional.empty())
      : preferences.topic(target.tenantId(), target.topic());
    return topic.compose(found -> {
      if (found.isEmpty()) {
        return target.address() == null
          ? Future.succeededFuture(null)
          : suppress(messageId, target, "one-click").map(v -> page.unsubscribedFromEverything(language));
      }
      PreferenceStore.Topic t = found.get();
      PreferenceStore.Choice out = new PreferenceStore.Choice(t.name(), t.perChannel() ? EMAIL : null, false);
      return preferences.set(target.tenantId(), target.recipientId(), List.of(out), PreferenceStore.Source.ONE_CLICK,
          messageId)
        .compose(changes -> store.unsubscribed(messageId, target, "one-click", new JsonObject().put("channel", EMAIL)
          .put("topic", t.name()).put("newly_suppressed", false)))
        .map(v -> page.unsubscribedFromTopic(language, t.label(language).title()));
    });
  }

  /** Opts the recipient out of every topic and puts the message's address on the suppression list. */
  private Future<String> everything(long messageId, UnsubscribeTarget target) {
    return preferences.optOutAll(target.tenantId(), target.recipientId(), PreferenceStore.Source.PREFERENCE_PAGE,
        messageId)
      .compose(v -> target.address() == null ? Future.succeededFuture() : suppress(messageId, target,
        "unsubscribe-page"))
      .map(v -> page.unsubscribedFromEverything(PreferencePage.language(target.locale())));
  }

  private Future<Void> suppress(long messageId, UnsubscribeTarget target, String reason) {
    return suppressions.add(target.tenantId(), EMAIL, target.address(), SuppressionStore.Reason.UNSUBSCRIBED,
        "unsubscribe-link", messageId)
      .compose(added -> store.unsubscribed(messageId, target, reason,
        new JsonObject().put("channel", EMAIL).put("newly_suppressed", added)))
      .mapEmpty();
  }

  /**
   * The topics form: a topic is wanted when its box came back checked. Only the topics whose choice (on email)
   * differs from what the page showed are written, so saving an unchanged page records nothing. A topic that offers
   * a choice per channel is chosen for email alone; checking it lifts an earlier opt-out of the topic as a whole.
   */
  private Future<String> save(long messageId, UnsubscribeTarget target, List<String> checked) {
    return preferences.preferences(target.tenantId(), target.recipientId()).compose(current -> {
      Set<String> wanted = new HashSet<>(checked);
      List<PreferenceStore.Choice> choices = new ArrayList<>();
      for (PreferenceStore.TopicChoice choice : current.topics()) {
        String name = choice.topic().name();
        boolean want = wanted.remove(name);
        if (want == choice.optedIn(EMAIL)) {
          continue;
        }
        if (!choice.topic().perChannel()) {
          choices.add(new PreferenceStore.Choice(name, null, want));
        } else if (!want) {
          choices.add(new PreferenceStore.Choice(name, EMAIL, false));
        } else {
          if (!choice.optedIn()) {
            choices.add(new PreferenceStore.Choice(name, null, true));
          }
          if (Boolean.FALSE.equals(choice.channels().get(EMAIL))) {
            choices.add(new PreferenceStore.Choice(name, EMAIL, true));
          }
        }
      }
      if (!wanted.isEmpty()) {
        return Future.failedFuture(ApiProblem.of(400, "unknown-topic", "Unknown topic",
          "The form names topics the tenant does not have: " + String.join(", ", new TreeSet<>(wanted))
            + "; nothing was changed.").with("topics", new JsonArray(List.copyOf(new TreeSet<>(wanted)))));
      }
      return preferences.set(target.tenantId(), target.recipientId(), choices,
          PreferenceStore.Source.PREFERENCE_PAGE, messageId)
        .compose(changes -> choicesPage(target, true));
    });
  }

  /** The page of choices: the tenant's topics in the page's language, checked as the recipient receives them. */
  private Future<String> choicesPage(UnsubscribeTarget target, boolean saved) {
    String language = PreferencePage.language(target.locale());
    return preferences.preferences(target.tenantId(), target.recipientId()).map(current -> {
      List<PreferencePage.Topic> shown = new ArrayList<>(current.topics().size());
      for (PreferenceStore.TopicChoice choice : current.topics()) {
        PreferenceStore.Label label = choice.topic().label(language);
        shown.add(new PreferencePage.Topic(choice.topic().name(), label.title(), label.description(),
          choice.optedIn(EMAIL), choice.topic().name().equals(target.topic())));
      }
      return page.choices(language, shown, saved);
    });
  }

  private static void page(RoutingContext ctx, String html) {
    ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
      .putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE)
      .end(html);
  }
}
