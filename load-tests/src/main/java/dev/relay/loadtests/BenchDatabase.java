package dev.relay.loadtests;

import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Plain JDBC access to the PostgreSQL server the gateway uses: the server's facts, creating and
 * dropping nothing but the benchmark's own database, and the few statements that set up the
 * baseline. Everything here blocks; it runs on the benchmark's main thread or its COPY threads.
 */
final class BenchDatabase {

  private static final String[] REPORTED_SETTINGS = {
    "shared_buffers", "synchronous_commit", "fsync", "wal_level", "max_wal_size", "checkpoint_timeout", "autovacuum"};

  private final String host;
  private final int port;
  private final String user;

  BenchDatabase(String host, int port, String user) {
    this.host = host;
    this.port = port;
    this.user = user;
  }

  /** A new connection to {@code database}. */
  Connection connect(String database) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("ApplicationName", "relay-bench");
    props.setProperty("connectTimeout", "10");
    return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + database, props);
  }

  /** The server's version and the settings that bear on write speed. */
  JsonObject serverFacts() throws SQLException {
    try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
      JsonObject facts = new JsonObject();
      try (ResultSet rs = st.executeQuery("SELECT current_setting('server_version'), version()")) {
        rs.next();
        facts.put("version", rs.getString(1)).put("description", rs.getString(2));
      }
      JsonObject settings = new JsonObject();
      for (String name : REPORTED_SETTINGS) {
        try (ResultSet rs = st.executeQuery("SHOW " + name)) {
          rs.next();
          settings.put(name, rs.getString(1));
        }
      }
      return facts.put("settings", settings);
    }
  }

  boolean exists(String database) throws SQLException {
    try (Connection c = connect("postgres");
         PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, database);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Creates an empty database. */
  void create(String database) throws SQLException {
    try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + quote(database));
    }
  }

  /** A libpq connection URI of {@code database} (for a client that is not JDBC: the Node peer). */
  String connectionUri(String database) {
    String shownHost = host.contains(":") ? "[" + host + "]" : host;
    return "postgres://" + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8) + "@" + shownHost
      + ":" + port + "/" + database;
  }

  /** The one number a query answers, such as a count. */
  long queryLong(String database, String sql) throws SQLException {
    try (Connection c = connect(database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Drops the database, closing any session still connected to it. */
  void drop(String database) throws SQLException {
    try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + quote(database) + " WITH (FORCE)");
    }
  }

  /** The ids of a tenant and of its campaign, by name. */
  long[] tenantAndCampaign(String database, String tenant, String campaign) throws SQLException {
    try (Connection c = connect(database); PreparedStatement ps = c.prepareStatement(
      "SELECT t.id, c.id FROM tenants t JOIN campaigns c ON c.tenant_id = t.id WHERE t.name = ? AND c.name = ?")) {
      ps.setString(1, tenant);
      ps.setString(2, campaign);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("no campaign '" + campaign + "' of tenant '" + tenant + "' in " + database);
        }
        return new long[] {rs.getLong(1), rs.getLong(2)};
      }
    }
  }

  /** Runs statements one after the other, each in its own transaction. */
  void execute(String database, String... statements) throws SQLException {
    try (Connection c = connect(database); Statement st = c.createStatement()) {
      for (String sql : statements) {
        st.execute(sql);
      }
    }
  }

  /** The rows of {@code messages} and its size on disk with indexes and TOAST. */
  JsonObject messagesTable(String database) throws SQLException {
    try (Connection c = connect(database); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT count(*), pg_total_relation_size('messages') FROM messages")) {
      rs.next();
      return new JsonObject().put("rows", rs.getLong(1)).put("total_bytes", rs.getLong(2));
    }
  }

  /**
   * The stored values of the messages of these recipients, as text, without what differs by
   * construction between two writes of the same row (id, created_at, updated_at, and due_at, which
   * is the time of the write; expires_at is kept as its distance from due_at).
   */
  List<String> messageValues(String database, List<String> recipientIds) throws SQLException {
    try (Connection c = connect(database); PreparedStatement ps = c.prepareStatement(
      "SELECT (batch_id, tenant_id, campaign_id, recipient_id, addresses, locale, time_zone, variables, priority, "
        + "state, attempt, lease_until, channel_index, channel, account, provider_message_id, last_error, "
        + "expires_at - due_at)::text FROM messages WHERE recipient_id = ANY (?) ORDER BY recipient_id")) {
      ps.setArray(1, c.createArrayOf("text", recipientIds.toArray()));
      List<String> values = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          values.add(rs.getString(1));
        }
      }
      return values;
    }
  }

  /**
   * A stored message as the dispatcher reads it: what goes into a provider call besides the constants,
   * with the template version its batch resolved and that version's definition (JSON text).
   */
  record StoredMessage(long id, String recipientId, String email, String locale, String timeZone, String variables,
                       long templateId, String definition) {
  }

  /** Every message, by id, with its email address, variables and template version. */
  List<StoredMessage> storedMessages(String database) throws SQLException {
    try (Connection c = connect(database); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery(
           "SELECT m.id, m.recipient_id, m.addresses ->> 'email', m.locale, m.time_zone, m.variables::text, "
             + "b.template_id, t.definition::text FROM messages m JOIN batches b ON b.id = m.batch_id "
             + "JOIN templates t ON t.id = b.template_id ORDER BY m.id")) {
      List<StoredMessage> messages = new ArrayList<>();
      while (rs.next()) {
        messages.add(new StoredMessage(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
          rs.getString(5), rs.getString(6), rs.getLong(7), rs.getString(8)));
      }
      return messages;
    }
  }

  /** How many messages are in each state. */
  JsonObject messageStates(String database) throws SQLException {
    try (Connection c = connect(database); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT state, count(*) FROM messages GROUP BY state ORDER BY state")) {
      JsonObject states = new JsonObject();
      while (rs.next()) {
        states.put(rs.getString(1), rs.getLong(2));
      }
      return states;
    }
  }

  /**
   * From now on, notes the moment a claim takes each transactional message, for {@link #claimDelaysMillis}: a claim
   * deletes the message's queue row and, since V22, writes nothing else of its own (no {@code sending} event), so a
   * trigger on that delete keeps the moment. Transactional rows only, so that the marketing backlog's claims add no
   * rows. Call it once the gateway has migrated the database, before the messages are posted.
   */
  void watchClaims(String database) throws SQLException {
    execute(database,
      "CREATE TABLE bench_claims (message_id bigint NOT NULL, claimed_at timestamptz NOT NULL)",
      "CREATE FUNCTION bench_claims() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        + " INSERT INTO bench_claims SELECT message_id, now() FROM taken WHERE transactional; RETURN NULL; END $$",
      "CREATE TRIGGER bench_claims AFTER DELETE ON message_queue REFERENCING OLD TABLE AS taken"
        + " FOR EACH STATEMENT EXECUTE FUNCTION bench_claims()");
  }

  /**
   * How the gateway took each message of a campaign: {@code claimed} when a claim took it from the queue (it was
   * stored {@code queued} and waited for the dispatcher's next claim; {@link #watchClaims}), otherwise handed straight
   * to the dispatcher at intake; with the milliseconds from its row's insert to that claim. By recipient id.
   */
  Map<String, Long> claimDelaysMillis(String database, String campaign) throws SQLException {
    String sql = "SELECT m.recipient_id, (SELECT extract(epoch FROM min(k.claimed_at) - m.created_at) * 1000"
      + " FROM bench_claims k WHERE k.message_id = m.id) FROM messages m JOIN campaigns c ON c.id = m.campaign_id"
      + " WHERE c.name = ?";
    Map<String, Long> delays = new HashMap<>();
    try (Connection c = connect(database); PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, campaign);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          double ms = rs.getDouble(2);
          boolean handedOver = rs.wasNull();
          delays.put(rs.getString(1), handedOver ? -1L : Math.round(ms));
        }
      }
    }
    return delays;
  }

  /** Where PostgreSQL's write-ahead log ends: bytes since its start, taken from one moment to another. */
  record WalPosition(long bytes) {

    /**
     * The WAL written from {@code this} to {@code later}, in all, and per row of {@code rows}. Exact: the WAL
     * insert position moves with every record, committed or not, of every database of the server.
     */
    JsonObject perRow(WalPosition later, long rows) {
      long written = later.bytes - bytes;
      return new JsonObject()
        .put("rows", rows)
        .put("wal_bytes", written)
        .put("wal_bytes_per_row", rows > 0 ? Reports.round((double) written / rows, 1) : null);
    }
  }

  /** The server's WAL insert position now. */
  WalPosition walPosition() throws SQLException {
    try (Connection c = connect("postgres"); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")) {
      rs.next();
      return new WalPosition(rs.getLong(1));
    }
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
