package dev.relay.gateway.api;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.intake.UnicodeText;
import dev.relay.gateway.store.SuppressionStore;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;

/** {@code /v1/suppressions}: the tenant's suppression list, to read, add to (reason manual) and lift. */
final class SuppressionRoutes {

  private static final int DEFAULT_LIMIT = 100;

  private final SuppressionStore store;

  SuppressionRoutes(SuppressionStore store) {
    this.store = store;
  }

  void list(RoutingContext ctx) {
    String channel = ctx.queryParams().get("channel");
    if (channel != null && Channel.fromWireName(channel).isEmpty()) {
      ctx.fail(unknownChannel(400, channel));
      return;
    }
    String limitParam = ctx.queryParams().get("limit");
    int limit = limitParam == null ? DEFAULT_LIMIT : Integer.parseInt(limitParam);
    SuppressionStore.Cursor after;
    try {
      after = decode(ctx.queryParams().get("after"));
    } catch (IllegalArgumentException | DateTimeParseException e) {
      ctx.fail(ApiProblem.of(400, "invalid-cursor", "Invalid page cursor",
        "'after' must be the 'next' value of a previous page."));
      return;
    }
    store.list(ApiKeyAuth.tenant(ctx).id(), channel, limit, after)
      .onSuccess(page -> {
        String next = null;
        if (page.size() == limit) {
          JsonObject last = page.get(page.size() - 1);
          next = encode(new SuppressionStore.Cursor(OffsetDateTime.parse(last.getString("created_at_exact")),
            last.getString("channel"), last.getString("address")));
        }
        JsonArray items = new JsonArray();
        page.forEach(e -> {
          e.remove("created_at_exact");
          items.add(e);
        });
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(new JsonObject().put("suppressions", items).put("next", next).toBuffer());
      })
      .onFailure(ctx::fail);
  }

  void add(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    UnicodeText.Finding bad = UnicodeText.find(body, "", UnicodeText.Controls.NONE);
    if (bad != null) {
      ctx.fail(ApiProblem.invalidText(bad));
      return;
    }
    String channel = body.getString("channel");
    String address = body.getString("address").trim();
    if (Channel.fromWireName(channel).isEmpty()) {
      ctx.fail(unknownChannel(422, channel));
      return;
    }
    if (address.isEmpty()) {
      ctx.fail(ApiProblem.of(422, "invalid-address", "Invalid address", "'address' must not be blank."));
      return;
    }
    store.add(ApiKeyAuth.tenant(ctx).id(), channel, address, SuppressionStore.Reason.MANUAL, "api", null)
      .onSuccess(added -> ctx.response().setStatusCode(added ? 201 : 200)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("channel", channel).put("address", address).put("created", added).toBuffer()))
      .onFailure(ctx::fail);
  }

  void remove(RoutingContext ctx) {
    String channel = ctx.queryParams().get("channel");
    String address = ctx.queryParams().get("address");
    store.remove(ApiKeyAuth.tenant(ctx).id(), channel, address)
      .onSuccess(reason -> {
        if (reason.isEmpty()) {
          ctx.fail(ApiProblem.of(404, "suppression-not-found", "Not suppressed",
            "The address is not on the suppression list of channel '" + channel + "'."));
        } else {
          ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(new JsonObject().put("channel", channel).put("address", address).put("reason", reason.get())
              .toBuffer());
        }
      })
      .onFailure(ctx::fail);
  }

  private static ApiProblem unknownChannel(int status, String channel) {
    return ApiProblem.of(status, "unknown-channel", "Unknown channel", "'" + channel + "' is not a channel; one of "
      + List.of(Channel.values()).stream().map(Channel::wireName).toList() + ".");
  }

  static String encode(SuppressionStore.Cursor cursor) {
    String json = new JsonArray().add(cursor.createdAt().toString()).add(cursor.channel()).add(cursor.address()).encode();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  static SuppressionStore.Cursor decode(String text) {
    if (text == null) {
      return null;
    }
    JsonArray parts;
    try {
      parts = new JsonArray(new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a cursor", e);
    }
    if (parts.size() != 3 || !(parts.getValue(0) instanceof String at) || !(parts.getValue(1) instanceof String channel)
      || !(parts.getValue(2) instanceof String address)) {
      throw new IllegalArgumentException("not a cursor");
    }
    return new SuppressionStore.Cursor(OffsetDateTime.parse(at), channel, address);
  }
}
