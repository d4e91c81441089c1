package dev.relay.gateway.api;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.intake.IntakeService;
import dev.relay.gateway.intake.InvalidBatchException;
import dev.relay.gateway.intake.UnicodeText;
import dev.relay.gateway.render.CompiledTemplate;
import dev.relay.gateway.render.RenderException;
import dev.relay.gateway.render.TemplateCache;
import dev.relay.gateway.render.TemplateCompiler;
import dev.relay.gateway.render.TemplateDefinition;
import dev.relay.gateway.render.TemplateException;
import dev.relay.gateway.store.MessageStore;
import dev.relay.gateway.store.TemplateStore;
import dev.relay.gateway.store.Tenant;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code PUT /v1/templates/{name}} (a new version), {@code GET /v1/templates/{name}} (its versions),
 * {@code POST /v1/templates/{name}/preview} (every part rendered, tracking applied) and
 * {@code POST /v1/templates/{name}/test} (one message through normal intake). A tenant sees its own
 * versions and the shipped ones, never another tenant's.
 */
final class TemplateRoutes {

  private static final String JSON = "application/json";
  /** The campaign of test sends. */
  static final String TEST_CAMPAIGN = "template-test";
  /** The message id previews are rendered for: their tracking links name no real message. */
  private static final long PREVIEW_MESSAGE_ID = 0;

  private final TemplateStore store;
  private final TemplateCache cache;
  private final IntakeService intake;
  private final MessageStore messages;

  TemplateRoutes(TemplateStore store, TemplateCache cache, IntakeService intake, MessageStore messages) {
    this.store = store;
    this.cache = cache;
    this.intake = intake;
    this.messages = messages;
  }

  void put(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject body = ctx.body().asJsonObject();
    if (body.containsKey("name") && !name.equals(body.getValue("name"))) {
      ctx.fail(ApiProblem.of(422, "invalid-template", "Invalid template",
        "The body names template '" + body.getValue("name") + "' but the path names '" + name + "'.")
        .with("field", "name"));
      return;
    }
    body.remove("name");
    try {
      TemplateCompiler.check(TemplateDefinition.parse(body));
    } catch (TemplateException e) {
      ctx.fail(problem(e));
      return;
    }
    store.insert(ApiKeyAuth.tenant(ctx).id(), name, body)
      .onSuccess(created -> ctx.response().setStatusCode(201)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .putHeader(HttpHeaders.LOCATION, "/v1/templates/" + name)
        .end(created.toBuffer()))
      .onFailure(ctx::fail);
  }

  void list(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    store.versions(ApiKeyAuth.tenant(ctx).id(), name)
      .onSuccess(versions -> {
        if (versions.isEmpty()) {
          ctx.fail(notFound(name, null));
        } else {
          ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON)
            .end(new JsonObject().put("name", name).put("versions", versions).toBuffer());
        }
      })
      .onFailure(ctx::fail);
  }

  void preview(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject body = ctx.body().asJsonObject();
    ApiProblem badText = invalidText(body);
    if (badText != null) {
      ctx.fail(badText);
      return;
    }
    Integer version = body.getInteger("version");
    String locale = body.getString("locale");
    String timeZone = body.getString("time_zone");
    JsonObject variables = body.getJsonObject("variables", new JsonObject());
    store.resolve(ApiKeyAuth.tenant(ctx).id(), name, version)
      .compose(found -> found.isEmpty()
        ? Future.failedFuture(notFound(name, version))
        : cache.compiled(found.get().id(), locale)
        .recover(err -> Future.failedFuture(err instanceof TemplateException e ? problem(e) : err))
        .map(compiled -> {
          JsonObject channels = new JsonObject();
          for (Channel channel : Channel.values()) {
            if (compiled.has(channel)) {
              channels.put(channel.wireName(), render(compiled, channel, locale, timeZone, variables));
            }
          }
          return new JsonObject().put("name", name).put("version", found.get().version())
            .put("source", found.get().shipped() ? "shipped" : "tenant").put("locale", compiled.locale())
            .put("channels", channels);
        }))
      .onSuccess(preview -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(preview.toBuffer()))
      .onFailure(ctx::fail);
  }

  private JsonObject render(CompiledTemplate compiled, Channel channel, String locale, String timeZone,
                            JsonObject variables) {
    try {
      return compiled.render(channel, PREVIEW_MESSAGE_ID, locale, timeZone, variables, cache.tracking());
    } catch (RenderException e) {
      throw ApiProblem.of(422, "render-failed", "Template cannot be rendered",
        "The " + channel.wireName() + " part cannot be rendered: " + e.getMessage()).with("channel", channel.wireName());
    }
  }

  /** One message to one address, through normal intake as a transactional one-recipient batch. */
  void test(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject body = ctx.body().asJsonObject();
    ApiProblem badText = invalidText(body);
    if (badText != null) {
      ctx.fail(badText);
      return;
    }
    String channel = body.getString("channel");
    JsonObject recipient = new JsonObject().put("id", "template-test")
      .put("addresses", new JsonObject().put(channel, body.getString("address")))
      .put("variables", body.getJsonObject("variables", new JsonObject()));
    if (body.getString("locale") != null) {
      recipient.put("locale", body.getString("locale"));
    }
    if (body.getString("time_zone") != null) {
      recipient.put("time_zone", body.getString("time_zone"));
    }
    JsonObject batch = new JsonObject().put("campaign", TEST_CAMPAIGN).put("template", name)
      .put("channels", new JsonArray().add(channel)).put("priority", "transactional")
      .put("recipients", new JsonArray().add(recipient));
    if (body.getInteger("version") != null) {
      batch.put("template_version", body.getInteger("version"));
    }
    Tenant tenant = ApiKeyAuth.tenant(ctx);
    Integer version = body.getInteger("version");
    intake.submit(tenant, null, batch.toBuffer(), batch)
      // The template is this route's resource: one this tenant cannot see is 404, as for preview.
      .recover(err -> Future.failedFuture(err instanceof InvalidBatchException invalid
        && "unknown-template".equals(invalid.kind()) ? notFound(name, version) : err))
      .compose(answer -> messages.idsOfBatch(answer.batchId()).map(ids -> new JsonObject()
        .put("message_id", ids.get(0))
        .put("batch_id", answer.batchId().toString())
        .put("status_url", "/v1/messages/" + ids.get(0))))
      .onSuccess(answer -> ctx.response().setStatusCode(202)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .putHeader(HttpHeaders.LOCATION, answer.getString("status_url"))
        .end(answer.toBuffer()))
      .onFailure(ctx::fail);
  }

  /** Text that cannot be used as given: variables may hold tabs and line breaks, the other fields no control character. */
  private static ApiProblem invalidText(JsonObject body) {
    for (String field : body.fieldNames()) {
      UnicodeText.Finding bad = UnicodeText.find(body.getValue(field), UnicodeText.pointer("", field),
        "variables".equals(field) ? UnicodeText.Controls.LINES : UnicodeText.Controls.NONE);
      if (bad != null) {
        return ApiProblem.invalidText(bad);
      }
    }
    return null;
  }

  private static ApiProblem notFound(String name, Integer version) {
    return ApiProblem.of(404, "template-not-found", "Template not found", version == null
      ? "There is no template '" + name + "'."
      : "Template '" + name + "' has no version " + version + ".");
  }

  private static ApiProblem problem(TemplateException e) {
    ApiProblem problem = ApiProblem.of(422, e.kind(), "template-syntax".equals(e.kind())
      ? "Template syntax error" : "Invalid template", e.getMessage());
    e.members().forEach(member -> problem.with(member.getKey(), member.getValue()));
    return problem;
  }
}
