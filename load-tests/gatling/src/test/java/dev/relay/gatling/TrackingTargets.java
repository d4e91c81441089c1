package dev.relay.gatling;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.render.TemplateDefinition;
import dev.relay.gateway.render.TemplateLinks;
import dev.relay.gateway.track.TrackingTokens;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The tracking URLs the tracking simulation requests, made as the gateway makes them for real messages:
 * a seed batch is posted through the API, its message ids and its template version are read from the
 * gateway's PostgreSQL database, and each message's open token and its click tokens are signed with
 * the gateway's own {@link TrackingTokens} under the gateway's tracking key. A click names a link of the
 * template version by index (what the gateway writes for a link without variables), so the gateway resolves it
 * through its template cache and redirects to that link's URL, which the simulation checks.
 */
final class TrackingTargets {

  /** One message's tracking URLs (paths) and where its click must redirect to. */
  record Target(long messageId, String openPath, String clickPath, String location) {
  }

  private final List<Target> targets;

  private TrackingTargets(List<Target> targets) {
    this.targets = List.copyOf(targets);
  }

  int size() {
    return targets.size();
  }

  /** A feeder record of a random message: {@code open}, {@code click} and {@code location}. */
  Map<String, Object> random() {
    Target t = targets.get(ThreadLocalRandom.current().nextInt(targets.size()));
    return Map.of("open", t.openPath(), "click", t.clickPath(), "location", t.location());
  }

  /**
   * Posts a batch of {@code recipients} (half {@code en-US}, half {@code tr-TR}) with {@code template} on the
   * email channel, then mints the tokens of its messages.
   *
   * @param trackingKeys the gateway's {@code tracking.keys} setting (empty: its development key)
   */
  static TrackingTargets seed(String url, String apiKey, String template, String campaign, int recipients,
                              Database database, String trackingKeys) throws IOException, InterruptedException,
    SQLException {
    TrackingTokens tokens = TrackingTokens.fromSetting(trackingKeys);
    UUID batchId = postSeedBatch(url, apiKey, template, campaign, recipients);
    try (Connection c = database.connect()) {
      TemplateVersion version = templateOf(c, batchId);
      Map<String, List<TemplateLinks.Link>> linksByLocale = new HashMap<>();
      for (TemplateLinks.Link link : TemplateLinks.of(version.definition())) {
        if (link.channel() == Channel.EMAIL && "html".equals(link.part()) && !link.dynamic()) {
          linksByLocale.computeIfAbsent(link.locale(), l -> new ArrayList<>()).add(link);
        }
      }
      List<Target> targets = new ArrayList<>();
      try (PreparedStatement st = c.prepareStatement("SELECT id, locale FROM messages WHERE batch_id = ? ORDER BY id")) {
        st.setObject(1, batchId);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            long messageId = rs.getLong(1);
            String variant = version.definition().variantFor(rs.getString(2)).locale();
            List<TemplateLinks.Link> links = linksByLocale.get(variant);
            if (links == null) {
              throw new IllegalStateException("template version " + version.id() + " has no tracked link without "
                + "variables in the email HTML of locale '" + variant + "': the simulation clicks only such links");
            }
            String open = "/t/o/" + tokens.open(messageId);
            for (TemplateLinks.Link link : links) {
              targets.add(new Target(messageId, open, "/t/c/" + tokens.click(messageId, version.id(), link.index()),
                link.href()));
            }
          }
        }
      }
      if (targets.size() < recipients) {
        throw new IllegalStateException("the database at " + database.url() + " holds " + targets.size()
          + " tracking targets for batch " + batchId + " of " + recipients + " recipients: is relay.db.url the "
          + "gateway's database?");
      }
      return new TrackingTargets(targets);
    }
  }

  private static UUID postSeedBatch(String url, String apiKey, String template, String campaign, int recipients)
    throws IOException, InterruptedException {
    String run = Long.toString(System.currentTimeMillis(), 36);
    StringBuilder json = new StringBuilder("{\"campaign\":\"").append(campaign).append("\",\"template\":\"")
      .append(template).append("\",\"channels\":[\"email\"],\"priority\":\"marketing\",\"recipients\":[");
    for (int i = 0; i < recipients; i++) {
      json.append(i == 0 ? "" : ",").append("{\"id\":\"t").append(run).append('-').append(i)
        .append("\",\"addresses\":{\"email\":\"t").append(run).append('.').append(i).append("@example.com\"},")
        .append("\"locale\":\"").append(i % 2 == 0 ? "en-US" : "tr-TR").append("\",")
        .append("\"variables\":{\"first_name\":\"Reader ").append(i).append("\"}}");
    }
    json.append("]}");
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/batches"))
      .timeout(Duration.ofSeconds(60))
      .header("Authorization", "Bearer " + apiKey)
      .header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(json.toString()))
      .build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 202) {
      throw new IllegalStateException("the seed batch was answered " + response.statusCode() + ": " + response.body());
    }
    JsonObject answer = new JsonObject(response.body());
    if (answer.getInteger("accepted", 0) != recipients) {
      throw new IllegalStateException("the seed batch was not accepted whole: " + response.body());
    }
    return UUID.fromString(answer.getString("batch_id"));
  }

  private record TemplateVersion(long id, TemplateDefinition definition) {
  }

  private static TemplateVersion templateOf(Connection c, UUID batchId) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT t.id, t.definition::text FROM batches b "
      + "JOIN templates t ON t.id = b.template_id WHERE b.id = ?")) {
      st.setObject(1, batchId);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("batch " + batchId + " is not in the database at " + c.getMetaData().getURL()
            + ": is relay.db.url the gateway's database?");
        }
        return new TemplateVersion(rs.getLong(1), TemplateDefinition.parse(new JsonObject(rs.getString(2))));
      }
    }
  }

  /** Where the gateway's database is ({@code relay.db.url}, {@code relay.db.user}, {@code relay.db.password}). */
  record Database(String url, String user, String password) {
    Connection connect() throws SQLException {
      return DriverManager.getConnection(url, user, password);
    }
  }
}
