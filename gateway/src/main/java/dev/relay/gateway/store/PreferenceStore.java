package dev.relay.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A tenant's subscription topics and its recipients' choices about them (issue 23; tables of V18).
 *
 * <p>A recipient's effective choice of a topic on a channel is the topic-wide choice ({@code (topic, *)}, else
 * "all topics" {@code (*, *)}, else the topic's default) narrowed by a choice for that channel, if the recipient
 * opted out there: a per-channel choice can only take a channel away, never add one to an opted-out topic. Every
 * change is written as a {@link Change} in the recipient's history, with its {@link Source}. When a recipient is
 * erased ({@code recipient-erase}), its opt-outs stay in force under the keyed hash of its id and are read beside
 * the id's own choices, which win.
 */
public final class PreferenceStore {

  /** The topic or channel name that stands for every topic or every channel. */
  public static final String ALL = "*";

  /** Where a change came from (the tables' CHECK lists the same). */
  public enum Source {
    API("api"), PREFERENCE_PAGE("preference-page"), ONE_CLICK("one-click");

    private final String wireName;

    Source(String wireName) {
      this.wireName = wireName;
    }

    public String wireName() {
      return wireName;
    }
  }

  /** A topic's title and description in one locale. */
  public record Label(String title, String description) {

    public JsonObject toJson() {
      return new JsonObject().put("title", title).put("description", description);
    }
  }

  /**
   * A subscription topic.
   *
   * @param description    the description when no locale of {@code locales} fits
   * @param perChannel     whether recipients may choose per channel
   * @param locales        labels by language ({@code en}, {@code tr}, ...)
   */
  public record Topic(String name, String description, boolean defaultOptedIn, boolean perChannel,
                      Map<String, Label> locales, OffsetDateTime createdAt, OffsetDateTime updatedAt) {

    /** A topic to write (times are the database's). */
    public static Topic of(String name, String description, boolean defaultOptedIn, boolean perChannel,
                           Map<String, Label> locales) {
      return new Topic(name, description, defaultOptedIn, perChannel, Map.copyOf(locales), null, null);
    }

    /**
     * The label for a recipient's locale ({@code tr-TR} finds {@code tr}), else English, else the topic's name and
     * description; a label's missing title or description is filled the same way.
     */
    public Label label(String locale) {
      Label exact = null;
      if (locale != null && !locale.isEmpty()) {
        String lower = locale.toLowerCase(Locale.ROOT).replace('_', '-');
        exact = locales.get(lower);
        if (exact == null && lower.contains("-")) {
          exact = locales.get(lower.substring(0, lower.indexOf('-')));
        }
      }
      Label english = locales.get("en");
      String title = firstOf(exact == null ? null : exact.title(), english == null ? null : english.title(), name);
      String text = firstOf(exact == null ? null : exact.description(),
        english == null ? null : english.description(), description);
      return new Label(title, text);
    }

    private static String firstOf(String... values) {
      for (String v : values) {
        if (v != null) {
          return v;
        }
      }
      return null;
    }

    /** The API's form: name, description, default, per_channel, locales, created_at, updated_at. */
    public JsonObject toJson() {
      JsonObject labels = new JsonObject();
      new TreeMap<>(locales).forEach((lang, label) -> {
        JsonObject l = new JsonObject();
        if (label.title() != null) {
          l.put("title", label.title());
        }
        if (label.description() != null) {
          l.put("description", label.description());
        }
        labels.put(lang, l);
      });
      return new JsonObject().put("name", name).put("description", description)
        .put("default", defaultOptedIn ? "opted_in" : "opted_out").put("per_channel", perChannel)
        .put("locales", labels)
        .put("created_at", createdAt == null ? null : MessageStore.format(createdAt))
        .put("updated_at", updatedAt == null ? null : MessageStore.format(updatedAt));
    }
  }

  /** One choice to make: a topic (or {@link #ALL}) on a channel (null: every channel), in or out. */
  public record Choice(String topic, String channel, boolean optedIn) {
  }

  /**
   * A recipient's effective choice of one topic.
   *
   * @param optedIn   the topic-wide choice (explicit, "all topics", or the default)
   * @param origin    {@code explicit}, {@code all_topics} or {@code default}: where {@code optedIn} comes from
   * @param source    the source of the explicit choice it comes from, null for the default
   * @param channels  the recipient's choices per channel of this topic (only opted-out ones narrow)
   */
  public record TopicChoice(Topic topic, boolean optedIn, String origin, String source, OffsetDateTime updatedAt,
                            Map<String, Boolean> channels) {

    /** Whether the recipient receives this topic on that channel. */
    public boolean optedIn(String channel) {
      return optedIn && !Boolean.FALSE.equals(channels.get(channel));
    }
  }

  /** A recipient's choices of every topic of the tenant, by topic name; whether it opted out of all topics. */
  public record Preferences(boolean allOptedOut, List<TopicChoice> topics) {
  }

  /** One change in a recipient's history; topic and channel are {@link #ALL} for every topic or channel. */
  public record Change(String recipientId, String topic, String channel, boolean optedIn, String source,
                       Long messageId, OffsetDateTime occurredAt) {
  }

  /** A choice that names an unknown topic, or a channel of a topic that offers no choice per channel. */
  public static final class Refused extends RuntimeException {
    private final String type;
    private final String topic;

    public Refused(String type, String topic, String message) {
      super(message, null, false, false);
      this.type = type;
      this.topic = topic;
    }

    /** {@code unknown-topic} or {@code per-channel-not-offered}. */
    public String type() {
      return type;
    }

    public String topic() {
      return topic;
    }
  }

  /** A recipient and a topic to resolve for dispatch. */
  public record Lookup(long tenantId, String recipientId, String topic) {
  }

  /** What dispatch needs of a recipient and a topic: whether it may receive the topic on a channel. */
  public record Resolved(boolean optedIn, Map<String, Boolean> channels) {

    public boolean optedIn(String channel) {
      return optedIn && !Boolean.FALSE.equals(channels.get(channel));
    }
  }

  private final Pool pool;

  public PreferenceStore(Pool pool) {
    this.pool = pool;
  }

  /** Creates or replaces a topic; true when it is new. */
  public Future<Boolean> putTopic(long tenantId, Topic topic) {
    JsonObject locales = new JsonObject();
    topic.locales().forEach((lang, label) -> {
      JsonObject l = new JsonObject();
      if (label.title() != null) {
        l.put("title", label.title());
      }
      if (label.description() != null) {
        l.put("description", label.description());
      }
      locales.put(lang, l);
    });
    return pool.preparedQuery(Queries.sql("topic-upsert"))
      .execute(Tuple.of(tenantId, topic.name(), topic.description(), topic.defaultOptedIn(), topic.perChannel(),
        locales))
      .map(rows -> rows.iterator().next().getBoolean("created"));
  }

  /** The tenant's topics by name. */
  public Future<List<Topic>> topics(long tenantId) {
    return pool.preparedQuery(Queries.sql("topic-list")).execute(Tuple.of(tenantId)).map(rows -> {
      List<Topic> topics = new ArrayList<>();
      for (Row row : rows) {
        topics.add(topic(row));
      }
      return topics;
    });
  }

  /** One topic of the tenant. */
  public Future<Optional<Topic>> topic(long tenantId, String name) {
    return pool.preparedQuery(Queries.sql("topic-find")).execute(Tuple.of(tenantId, name))
      .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(topic(rows.iterator().next())));
  }

  /** A recipient's effective choice of every topic of the tenant (a recipient never seen has the defaults). */
  public Future<Preferences> preferences(long tenantId, String recipientId) {
    return topics(tenantId).compose(topics -> pool.preparedQuery(Queries.sql("preference-rows"))
      .execute(Tuple.of(tenantId, recipientId))
      .map(rows -> {
        Map<String, Row> wide = new HashMap<>();
        Map<String, Map<String, Boolean>> channels = new HashMap<>();
        for (Row row : keptFirst(rows)) {
          if (ALL.equals(row.getString("channel"))) {
            wide.put(row.getString("topic"), row);
          } else {
            channels.computeIfAbsent(row.getString("topic"), t -> new TreeMap<>())
              .put(row.getString("channel"), row.getBoolean("opted_in"));
          }
        }
        Row all = wide.get(ALL);
        List<TopicChoice> choices = new ArrayList<>(topics.size());
        for (Topic t : topics) {
          Row own = wide.get(t.name());
          Row from = own != null ? own : all;
          choices.add(new TopicChoice(t, from == null ? t.defaultOptedIn() : from.getBoolean("opted_in"),
            own != null ? "explicit" : all != null ? "all_topics" : "default",
            from == null ? null : from.getString("source"),
            from == null ? null : from.getOffsetDateTime("updated_at"),
            Map.copyOf(channels.getOrDefault(t.name(), Map.of()))));
        }
        return new Preferences(all != null && !all.getBoolean("opted_in"), choices);
      }));
  }

  /**
   * Makes these choices, all or none, in one transaction, and records each one that changes something in the
   * recipient's history; the changes made. Fails with {@link Refused}, changing nothing, when a choice names a topic
   * the tenant does not have, or a channel of a topic that offers no choice per channel. A choice of topic
   * {@link #ALL} opted out is {@link #optOutAll}; opted in, it lifts that opt-out (every topic is back to the
   * recipient's later choices or its default) and is recorded only when there was one.
   */
  public Future<List<Change>> set(long tenantId, String recipientId, List<Choice> choices, Source source,
                                  Long messageId) {
    if (choices.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    Set<String> named = new LinkedHashSet<>();
    for (Choice c : choices) {
      if (!ALL.equals(c.topic())) {
        named.add(c.topic());
      }
    }
    return pool.withTransaction(conn -> conn.preparedQuery(Queries.sql("topics-per-channel"))
      .execute(Tuple.of(tenantId, (Object) named.toArray(new String[0])))
      .compose(rows -> {
        Map<String, Boolean> perChannel = new HashMap<>();
        for (Row row : rows) {
          perChannel.put(row.getString("name"), row.getBoolean("per_channel"));
        }
        for (Choice c : choices) {
          if (ALL.equals(c.topic())) {
            if (c.channel() != null) {
              return Future.failedFuture(new Refused("per-channel-not-offered", ALL,
                "a choice of every topic covers every channel"));
            }
            continue;
          }
          Boolean offered = perChannel.get(c.topic());
          if (offered == null) {
            return Future.failedFuture(new Refused("unknown-topic", c.topic(),
              "the tenant has no topic named '" + c.topic() + "'"));
          }
          if (c.channel() != null && !offered) {
            return Future.failedFuture(new Refused("per-channel-not-offered", c.topic(),
              "topic '" + c.topic() + "' offers no choice per channel"));
          }
        }
        return write(conn, tenantId, recipientId, choices, source, messageId);
      }));
  }

  /**
   * Opts the recipient out of every topic, including topics made later; its earlier topic-wide choices are
   * forgotten, so that a choice of a topic made afterwards opts it back in. True when it was not opted out of all.
   */
  public Future<Boolean> optOutAll(long tenantId, String recipientId, Source source, Long messageId) {
    return set(tenantId, recipientId, List.of(new Choice(ALL, null, false)), source, messageId)
      .map(changes -> !changes.isEmpty());
  }

  private Future<List<Change>> write(SqlConnection conn, long tenantId, String recipientId, List<Choice> choices,
                                     Source source, Long messageId) {
    Map<String, Choice> last = new LinkedHashMap<>();
    for (Choice c : choices) {
      last.put(c.topic() + "\n" + (c.channel() == null ? ALL : c.channel()), c);
    }
    Choice all = last.remove(ALL + "\n" + ALL);
    List<Change> changes = new ArrayList<>();
    Future<Void> first = Future.succeededFuture();
    if (all != null && all.optedIn()) {
      first = conn.preparedQuery(Queries.sql("preference-lift-all"))
        .execute(Tuple.of(tenantId, recipientId, source.wireName(), messageId))
        .map(rows -> {
          collect(rows, changes);
          return null;
        });
    } else if (all != null) {
      // The topic-wide choices are forgotten first, so that "every topic" decides until a topic is chosen again.
      first = conn.preparedQuery(Queries.sql("preference-forget-topics"))
        .execute(Tuple.of(tenantId, recipientId, source.wireName(), messageId))
        .compose(rows -> {
          collect(rows, changes);
          return upsert(conn, tenantId, recipientId, List.of(all), source, messageId, changes);
        });
    }
    return first.compose(v -> upsert(conn, tenantId, recipientId, new ArrayList<>(last.values()), source, messageId,
      changes)).map(v -> changes);
  }

  private Future<Void> upsert(SqlConnection conn, long tenantId, String recipientId, List<Choice> choices,
                              Source source, Long messageId, List<Change> changes) {
    if (choices.isEmpty()) {
      return Future.succeededFuture();
    }
    int n = choices.size();
    String[] topics = new String[n];
    String[] channels = new String[n];
    Boolean[] optedIn = new Boolean[n];
    for (int i = 0; i < n; i++) {
      Choice c = choices.get(i);
      topics[i] = c.topic();
      channels[i] = c.channel() == null ? ALL : c.channel();
      optedIn[i] = c.optedIn();
    }
    return conn.preparedQuery(Queries.sql("preference-set"))
      .execute(Tuple.from(new Object[] {tenantId, recipientId, topics, channels, optedIn, source.wireName(),
        messageId}))
      .map(rows -> {
        collect(rows, changes);
        return null;
      });
  }

  private static void collect(RowSet<Row> rows, List<Change> changes) {
    for (Row row : rows) {
      changes.add(change(row));
    }
  }

  /** The recipient's preference changes, newest first. */
  public Future<List<Change>> history(long tenantId, String recipientId, int limit) {
    return pool.preparedQuery(Queries.sql("preference-history")).execute(Tuple.of(tenantId, recipientId, limit))
      .map(rows -> {
        List<Change> changes = new ArrayList<>();
        for (Row row : rows) {
          changes.add(change(row));
        }
        return changes;
      });
  }

  /**
   * Resolves these recipients' choices of these topics, of any tenants, in one query; a topic the tenant does not
   * have is left out of the answer.
   */
  public Future<Map<Lookup, Resolved>> resolveMany(List<Lookup> lookups) {
    if (lookups.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Long[] tenants = new Long[lookups.size()];
    String[] recipients = new String[lookups.size()];
    String[] topics = new String[lookups.size()];
    for (int i = 0; i < lookups.size(); i++) {
      tenants[i] = lookups.get(i).tenantId();
      recipients[i] = lookups.get(i).recipientId();
      topics[i] = lookups.get(i).topic();
    }
    return pool.preparedQuery(Queries.sql("preference-resolve-many"))
      .execute(Tuple.of(tenants, recipients, topics))
      .map(rows -> {
        Map<Lookup, Boolean> defaults = new HashMap<>();
        Map<Lookup, Boolean> own = new HashMap<>();
        Map<Lookup, Boolean> all = new HashMap<>();
        Map<Lookup, Map<String, Boolean>> channels = new HashMap<>();
        for (Row row : keptFirst(rows)) {
          Lookup key = new Lookup(row.getLong("tenant_id"), row.getString("recipient_id"), row.getString("topic"));
          defaults.put(key, row.getBoolean("default_opted_in"));
          String chosen = row.getString("chosen_topic");
          if (chosen == null) {
            continue;
          }
          String channel = row.getString("channel");
          boolean in = row.getBoolean("opted_in");
          if (!ALL.equals(channel)) {
            if (!ALL.equals(chosen)) {
              channels.computeIfAbsent(key, k -> new HashMap<>()).put(channel, in);
            }
          } else if (ALL.equals(chosen)) {
            all.put(key, in);
          } else {
            own.put(key, in);
          }
        }
        Map<Lookup, Resolved> resolved = new HashMap<>();
        defaults.forEach((key, fallback) -> {
          Boolean in = own.get(key);
          if (in == null) {
            in = all.get(key);
          }
          resolved.put(key, new Resolved(in == null ? fallback : in, channels.getOrDefault(key, Map.of())));
        });
        return resolved;
      });
  }

  /**
   * The rows of choices kept from before the recipient was erased first, so that a choice made since, of the same
   * topic and channel, replaces them as the rows are read in order.
   */
  private static List<Row> keptFirst(RowSet<Row> rows) {
    List<Row> ordered = new ArrayList<>(rows.size());
    List<Row> own = new ArrayList<>(rows.size());
    for (Row row : rows) {
      (Boolean.TRUE.equals(row.getBoolean("erased")) ? ordered : own).add(row);
    }
    ordered.addAll(own);
    return ordered;
  }

  private static Change change(Row row) {
    return new Change(row.getString("recipient_id"), row.getString("topic"), row.getString("channel"),
      row.getBoolean("opted_in"), row.getString("source"), row.getLong("message_id"),
      row.getOffsetDateTime("occurred_at"));
  }

  private static Topic topic(Row row) {
    JsonObject json = (JsonObject) row.getJson("locales");
    Map<String, Label> locales = new TreeMap<>();
    for (String lang : json.fieldNames()) {
      JsonObject l = json.getJsonObject(lang);
      locales.put(lang, new Label(l.getString("title"), l.getString("description")));
    }
    return new Topic(row.getString("name"), row.getString("description"), row.getBoolean("default_opted_in"),
      row.getBoolean("per_channel"), Map.copyOf(locales), row.getOffsetDateTime("created_at"),
      row.getOffsetDateTime("updated_at"));
  }
}
