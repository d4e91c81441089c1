package dev.relay.gateway.api;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.intake.IntakeLimits;
import dev.relay.gateway.intake.UnicodeText;
import dev.relay.gateway.store.MessageStore;
import dev.relay.gateway.store.PreferenceStore;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code /v1/topics} (a tenant's subscription topics) and {@code /v1/recipients/{id}/preferences} (a recipient's
 * choices about them). Bad input is a specific problem and changes nothing.
 */
final class TopicRoutes {

  private static final String JSON = "application/json";
  private static final Pattern LOCALE = Pattern.compile("[a-z]{2,3}(-[a-z0-9]{2,8}){0,3}");

  private final PreferenceStore store;

  TopicRoutes(PreferenceStore store) {
    this.store = store;
  }

  void put(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject body = ctx.body().asJsonObject();
    UnicodeText.Finding bad = UnicodeText.find(body, "", UnicodeText.Controls.LINES);
    if (bad != null) {
      ctx.fail(ApiProblem.invalidText(bad));
      return;
    }
    Map<String, PreferenceStore.Label> locales = new TreeMap<>();
    JsonObject given = body.getJsonObject("locales", new JsonObject());
    for (String locale : given.fieldNames()) {
      if (!LOCALE.matcher(locale).matches()) {
        ctx.fail(ApiProblem.of(422, "invalid-locale", "Invalid locale", "'" + UnicodeText.quote(locale)
            + "' is not a lower-case language tag such as en, tr or pt-br; nothing was stored.")
          .with("pointer", UnicodeText.pointer("/locales", locale)));
        return;
      }
      JsonObject label = given.getJsonObject(locale);
      locales.put(locale, new PreferenceStore.Label(label.getString("title"), label.getString("description")));
    }
    PreferenceStore.Topic topic = PreferenceStore.Topic.of(name, body.getString("description"),
      "opted_in".equals(body.getString("default")), body.getBoolean("per_channel", false), locales);
    long tenant = ApiKeyAuth.tenant(ctx).id();
    store.putTopic(tenant, topic)
      .compose(created -> store.topic(tenant, name).map(stored -> {
        ctx.response().setStatusCode(created ? 201 : 200)
          .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
          .putHeader(HttpHeaders.LOCATION, "/v1/topics/" + name)
          .end(stored.orElseThrow().toJson().toBuffer());
        return null;
      }))
      .onFailure(ctx::fail);
  }

  void list(RoutingContext ctx) {
    store.topics(ApiKeyAuth.tenant(ctx).id())
      .onSuccess(topics -> {
        JsonArray items = new JsonArray();
        topics.forEach(t -> items.add(t.toJson()));
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(new JsonObject().put("topics", items).toBuffer());
      })
      .onFailure(ctx::fail);
  }

  void get(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    store.topic(ApiKeyAuth.tenant(ctx).id(), name)
      .onSuccess(topic -> {
        if (topic.isEmpty()) {
          ctx.fail(ApiProblem.of(404, "topic-not-found", "Topic not found", "There is no topic '" + name + "'."));
        } else {
          ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(topic.get().toJson().toBuffer());
        }
      })
      .onFailure(ctx::fail);
  }

  void preferences(RoutingContext ctx) {
    String recipient = ctx.pathParam("id");
    ApiProblem bad = badRecipient(recipient);
    if (bad != null) {
      ctx.fail(bad);
      return;
    }
    answer(ctx, store.preferences(ApiKeyAuth.tenant(ctx).id(), recipient).map(p -> view(recipient, p)));
  }

  void setPreferences(RoutingContext ctx) {
    String recipient = ctx.pathParam("id");
    ApiProblem bad = badRecipient(recipient);
    if (bad != null) {
      ctx.fail(bad);
      return;
    }
    JsonObject body = ctx.body().asJsonObject();
    UnicodeText.Finding text = UnicodeText.find(body, "", UnicodeText.Controls.NONE);
    if (text != null) {
      ctx.fail(ApiProblem.invalidText(text));
      return;
    }
    List<PreferenceStore.Choice> choices = new ArrayList<>();
    JsonObject all = body.getJsonObject("all_topics");
    if (all != null) {
      choices.add(new PreferenceStore.Choice(PreferenceStore.ALL, null, all.getBoolean("opted_in")));
    }
    JsonObject topics = body.getJsonObject("topics", new JsonObject());
    for (String topic : topics.fieldNames()) {
      JsonObject choice = topics.getJsonObject(topic);
      if (choice.getBoolean("opted_in") != null) {
        choices.add(new PreferenceStore.Choice(topic, null, choice.getBoolean("opted_in")));
      }
      JsonObject channels = choice.getJsonObject("channels", new JsonObject());
      for (String channel : channels.fieldNames()) {
        if (Channel.fromWireName(channel).isEmpty()) {
          ctx.fail(ApiProblem.of(422, "unknown-channel", "Unknown channel", "'" + UnicodeText.quote(channel)
              + "' is not a channel; one of " + List.of(Channel.values()).stream().map(Channel::wireName).toList()
              + ". Nothing was changed.")
            .with("pointer", UnicodeText.pointer(UnicodeText.pointer("/topics", topic) + "/channels", channel)));
          return;
        }
        choices.add(new PreferenceStore.Choice(topic, channel, channels.getBoolean(channel)));
      }
    }
    long tenant = ApiKeyAuth.tenant(ctx).id();
    answer(ctx, store.set(tenant, recipient, choices, PreferenceStore.Source.API, null)
      .recover(err -> Future.failedFuture(err instanceof PreferenceStore.Refused refused ? refused(refused) : err))
      .compose(changes -> store.preferences(tenant, recipient)
        .map(p -> view(recipient, p).put("changes", changes.size()))));
  }

  private static ApiProblem refused(PreferenceStore.Refused refused) {
    String at = PreferenceStore.ALL.equals(refused.topic()) ? "/all_topics"
      : UnicodeText.pointer("/topics", refused.topic());
    if ("unknown-topic".equals(refused.type())) {
      return ApiProblem.of(422, "unknown-topic", "Unknown topic", "There is no topic '"
          + UnicodeText.quote(refused.topic()) + "'; define it with PUT /v1/topics/{name} first. Nothing was changed.")
        .with("pointer", at).with("topic", refused.topic());
    }
    return ApiProblem.of(422, "per-channel-not-offered", "No choice per channel", "Topic '" + refused.topic()
        + "' offers no choice per channel (per_channel is false); nothing was changed.")
      .with("pointer", at + "/channels").with("topic", refused.topic());
  }

  private static ApiProblem badRecipient(String recipient) {
    String problem = UnicodeText.problem(recipient, UnicodeText.Controls.NONE);
    if (problem == null && recipient.length() <= IntakeLimits.MAX_SHORT_STRING) {
      return null;
    }
    return ApiProblem.of(400, "invalid-parameter", "Invalid parameter", "The recipient id "
      + (problem != null ? problem : "is longer than " + IntakeLimits.MAX_SHORT_STRING + " characters") + ".");
  }

  private static void answer(RoutingContext ctx, Future<JsonObject> body) {
    body.onSuccess(json -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(json.toBuffer()))
      .onFailure(ctx::fail);
  }

  /** A recipient's preferences as the API shows them: every topic with the effective choice and where it comes from. */
  private static JsonObject view(String recipient, PreferenceStore.Preferences p) {
    JsonObject topics = new JsonObject();
    for (PreferenceStore.TopicChoice c : p.topics()) {
      JsonObject channels = new JsonObject();
      new TreeMap<>(c.channels()).forEach(channels::put);
      topics.put(c.topic().name(), new JsonObject().put("opted_in", c.optedIn()).put("origin", c.origin())
        .put("source", c.source())
        .put("updated_at", c.updatedAt() == null ? null : MessageStore.format(c.updatedAt()))
        .put("channels", channels));
    }
    return new JsonObject().put("recipient", recipient).put("opted_out_of_all", p.allOptedOut()).put("topics", topics);
  }
}
