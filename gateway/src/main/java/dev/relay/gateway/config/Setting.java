package dev.relay.gateway.config;

import java.util.Locale;

/**
 * Every setting of the gateway, with its default. A setting is read from the environment variable
 * {@link #envName()} first, then from the config file at its dotted {@link #key()}, then from the
 * default. docs/configuration.md lists exactly these, and a test keeps it so.
 */
public enum Setting {

  DATA_DIR("data-dir", Type.STRING, "relay-data",
      "Directory of everything this process writes at run time, relative to the working directory unless absolute: "
        + "the tracking journal (tracking-journal/), the embedded PostgreSQL's data (postgres/) and a local "
        + "Prometheus's (prometheus/, written by grafana/run-prometheus). One process per directory."),

  HTTP_HOST("http.host", Type.STRING, "0.0.0.0", "Address the HTTP listener binds to."),
  HTTP_PORT("http.port", Type.INT, "8080", "Port of the HTTP listener."),
  HTTP_INSTANCES("http.instances", Type.INT, "0",
      "HTTP verticle instances (event loops serving the API); 0 means one per core."),
  HTTP_PUBLIC_BASE_URL("http.public-base-url", Type.STRING, "",
      "The URL providers and recipients reach this gateway at (behind a proxy): webhook signatures are over it and "
        + "tracking links start with it; empty: the request's own URL for webhooks, http://localhost:<http.port> "
        + "for tracking links (with a warning). Must be an http(s) URL without &, <, >, quotes or backquotes, so that "
        + "tracking URLs go into HTML unescaped."),

  HTTP_TLS_CERT("http.tls-cert", Type.STRING, "",
      "PEM file of the listener's certificate chain; with http.tls-key, the listener speaks HTTPS (and HTTP/2 by ALPN) "
        + "through OpenSSL (netty-tcnative). Empty: plain HTTP."),
  HTTP_TLS_KEY("http.tls-key", Type.STRING, "", "PEM file of the listener's private key (PKCS#8 or PKCS#1)."),
  HTTP_TRUSTED_PROXIES("http.trusted-proxies", Type.STRING, "",
      "Comma-separated networks (CIDR, IPv4 or IPv6) of the load balancers and reverse proxies in front of the "
        + "gateway. Only when the direct peer is in them is http.forwarded-header read, from the right: the first "
        + "address that is not a trusted proxy is the client (for the tracking classifier's network rules and the "
        + "auth-failure limit). Empty: the direct peer is the client and the header is ignored."),
  HTTP_FORWARDED_HEADER("http.forwarded-header", Type.STRING, "X-Forwarded-For",
      "The header the trusted proxies write the client's address in: X-Forwarded-For or Forwarded (RFC 7239). Only "
        + "this one is read; make the proxy write it (a client may send the other one with any value)."),
  API_AUTH_FAILURE_LIMIT("api.auth-failure-limit", Type.INT, "20",
      "Failed API-key checks a client address may make per api.auth-failure-window-seconds before it is answered "
        + "429 without a check; 0 turns the limit off."),
  API_AUTH_FAILURE_WINDOW_SECONDS("api.auth-failure-window-seconds", Type.INT, "60",
      "The window of api.auth-failure-limit, and the Retry-After of its 429."),

  DB_HOST("db.host", Type.STRING, "localhost", "PostgreSQL host."),
  DB_PORT("db.port", Type.INT, "5432", "PostgreSQL port."),
  DB_NAME("db.name", Type.STRING, "relay", "PostgreSQL database; created at start-up when missing and the role may."),
  DB_USER("db.user", Type.STRING, "postgres", "PostgreSQL role."),
  DB_PASSWORD("db.password", Type.SECRET, "", "PostgreSQL password (empty for trust authentication). A secret: may be ${env:NAME} or ${file:/path}."),
  DB_POOL_SIZE("db.pool-size", Type.INT, "16", "Connections in the reactive pool of each gateway process."),
  DB_CONNECT_TIMEOUT_MS("db.connect-timeout-ms", Type.INT, "3000",
      "How long a new PostgreSQL connection may take before the request is answered 503."),
  DB_CREATE_DATABASE("db.create-database", Type.BOOL, "true", "Create the database at start-up when it is missing."),
  DB_MIGRATE_ON_START("db.migrate-on-start", Type.BOOL, "true", "Apply schema migrations when `serve` starts."),
  DB_EMBEDDED("db.embedded", Type.STRING, "auto",
      "`auto`: run on an embedded PostgreSQL (in db.embedded-dir) when nothing answers at db.host:db.port (connection "
        + "refused) and that address is not insisted on: left at its localhost:5432 default with no db.host, db.port, "
        + "db.name, db.user or db.password given, or db.embedded=auto given explicitly. `never`: always the configured "
        + "PostgreSQL, waited for up to db.startup-wait-seconds. `always`: always the embedded one. One process per "
        + "embedded data directory; several instances need a shared PostgreSQL."),
  DB_EMBEDDED_DIR("db.embedded-dir", Type.STRING, "",
      "Data directory of the embedded PostgreSQL (empty: postgres/ in data-dir), kept across restarts (created by initdb when empty); it is locked by "
        + "the process that runs it through the file beside it, `<dir>.lock`, which names that process and its port."),
  DB_STARTUP_WAIT_SECONDS("db.startup-wait-seconds", Type.INT, "60",
      "At start-up, how long to wait for a PostgreSQL that refuses connections or is still starting up (retried with "
        + "exponential backoff, each wait logged with its reason) before giving up with an error; 0: one try."),

  REDIS_URI("redis.uri", Type.SECRET, "redis://localhost:6379",
      "Redis connection string (may hold a password); with redis.cluster, one or more nodes of the cluster, "
        + "comma-separated, to learn its slots from. A secret: may be ${env:NAME} or ${file:/path}."),
  REDIS_CLUSTER("redis.cluster", Type.BOOL, "false",
      "Redis is a Redis Cluster: each limit's and cap's script call goes to the node of its keys' hash tag."),
  REDIS_IN_PROCESS("redis.in-process", Type.STRING, "auto",
      "Where rate limits and frequency caps are kept. `auto`: in this process when nothing answers at redis.uri "
        + "(connection refused) and it is not insisted on: left at its default with redis.cluster off, or "
        + "redis.in-process=auto given explicitly; else in Redis. `never`: always Redis, waited for up to "
        + "redis.startup-wait-seconds. `always`: always in process. In-process limits hold for this process only: "
        + "several instances need a shared Redis."),
  REDIS_STARTUP_WAIT_SECONDS("redis.startup-wait-seconds", Type.INT, "60",
      "At start-up, how long to wait for a Redis that is used (not in process) and refuses connections or is still "
        + "loading, before giving up with an error; 0: do not check at start-up (sends that need Redis wait for it)."),

  INTAKE_MAX_BODY_BYTES("intake.max-body-bytes", Type.INT, "16777216",
      "Largest request body accepted; larger ones are answered 413."),
  INTAKE_MAX_RECIPIENTS("intake.max-recipients", Type.INT, "10000", "Most recipients in one batch."),
  INTAKE_MAX_VARIABLES("intake.max-variables", Type.INT, "100", "Most variables (top-level keys) per recipient."),
  INTAKE_MAX_STRING_LENGTH("intake.max-string-length", Type.INT, "10000",
      "Longest string value anywhere in a recipient's variables, in characters."),
  INTAKE_MAX_QUEUE_DEPTH("intake.max-queue-depth", Type.INT, "2000000",
      "Messages waiting to be sent (queued, retry, sending) above which new batches are answered 429."),
  INTAKE_QUEUE_DEPTH_REFRESH_MS("intake.queue-depth-refresh-ms", Type.INT, "1000",
      "How often each process recounts the queue depth."),
  INTAKE_RETRY_AFTER_SECONDS("intake.retry-after-seconds", Type.INT, "10",
      "Retry-After sent with 429 (queue full) and 503 (database unavailable)."),
  INTAKE_DEFAULT_TTL_SECONDS("intake.default-ttl-seconds", Type.INT, "259200",
      "How long a message may wait to be sent when its batch gives no ttl_seconds (72 hours)."),
  INTAKE_MAX_TTL_SECONDS("intake.max-ttl-seconds", Type.INT, "604800", "Largest ttl_seconds a batch may ask for."),
  INTAKE_IDEMPOTENCY_RETENTION_HOURS("intake.idempotency-retention-hours", Type.INT, "24",
      "How long an Idempotency-Key and its first answer are kept for replay."),

  DISPATCH_ENABLED("dispatch.enabled", Type.BOOL, "true", "Claim and send messages in this process."),
  DISPATCH_HANDOFF("dispatch.handoff", Type.BOOL, "true",
    "Store a due batch leased to this process's dispatcher and hand it over at once, instead of queuing it for a claim."),
  DISPATCH_CLAIM_BATCH("dispatch.claim-batch", Type.INT, "500", "Most messages claimed in one statement."),
  DISPATCH_MAX_PENDING("dispatch.max-pending", Type.INT, "2000",
      "Most claimed messages a process holds at once (waiting for or in a provider call)."),
  DISPATCH_HANDOFF_MAX_PENDING("dispatch.handoff-max-pending", Type.INT, "50000",
      "Most messages a process holds through handoffs: up to 5 seconds of its sending pace, never under dispatch.max-pending."),
  DISPATCH_IDLE_POLL_MS("dispatch.idle-poll-ms", Type.INT, "200", "How often an idle dispatcher looks for due messages."),
  DISPATCH_LEASE_SECONDS("dispatch.lease-seconds", Type.INT, "60",
      "How long a claim lasts; a message still sending after it is reclaimed by any instance."),
  DISPATCH_MAX_ATTEMPTS("dispatch.max-attempts", Type.INT, "8", "Attempts before a message is dead."),
  DISPATCH_BACKOFF_BASE_MS("dispatch.backoff-base-ms", Type.INT, "2000",
      "First retry delay; it doubles with each attempt, with jitter."),
  DISPATCH_BACKOFF_MAX_MS("dispatch.backoff-max-ms", Type.INT, "600000", "Longest retry delay."),
  DISPATCH_SEND_TIMEOUT_MS("dispatch.send-timeout-ms", Type.INT, "10000",
      "How long one provider call may take before its messages are retried."),
  DISPATCH_MAX_IN_FLIGHT("dispatch.max-in-flight", Type.INT, "200",
      "Messages in provider calls at once, per account (an account may set its own max-in-flight)."),
  DISPATCH_SEND_BATCH("dispatch.send-batch", Type.INT, "50", "Most messages handed to an adapter in one call."),
  DISPATCH_FLUSH_MS("dispatch.flush-ms", Type.INT, "25",
      "How long outcomes wait to be written together (one statement per flush)."),
  DISPATCH_SHUTDOWN_GRACE_SECONDS("dispatch.shutdown-grace-seconds", Type.INT, "20",
      "On shutdown, how long provider calls in flight may finish before the rest is released."),
  DISPATCH_BREAKER_FAILURES("dispatch.breaker-failures", Type.INT, "5",
      "Failed provider calls in a row that open an account's circuit breaker."),
  DISPATCH_BREAKER_RESET_MS("dispatch.breaker-reset-ms", Type.INT, "10000",
      "How long an open circuit waits before it lets one call try the account again."),
  DISPATCH_PAUSE_FAILURE_PERCENT("dispatch.pause-failure-percent", Type.INT, "50",
      "A campaign pauses itself when more than this percent of its recent outcomes are permanent failures."),
  DISPATCH_PAUSE_WINDOW("dispatch.pause-window", Type.INT, "200",
      "How many recent outcomes of a campaign that percentage is taken over (per process)."),

  TRACKING_KEYS("tracking.keys", Type.SECRET, "",
      "Keys that sign tracking links, comma-separated kid:base64secret (secrets of 16 bytes or more); the first signs, "
        + "all verify, so a new key goes first and an old one stays until its links expire. Empty: a development key "
        + "anyone can derive, with a warning. A secret: may be ${env:NAME} or ${file:/path}."),
  TRACKING_JOURNAL_DIR("tracking.journal-dir", Type.STRING, "",
      "Directory of this process's tracking journal (empty: tracking-journal/ in data-dir): every open and click is "
        + "appended and fsynced there before its "
        + "answer, and replayed into PostgreSQL at start-up after a crash. One process per directory (it is locked)."),
  TRACKING_FLUSH_MS("tracking.flush-ms", Type.INT, "200",
      "How often journaled opens and clicks are classified and written to the events table."),
  TRACKING_SCANNER_WINDOW_SECONDS("tracking.scanner-window-seconds", Type.INT, "180",
      "How soon after the send a hit counts as early: an early hit is machine only with another signal (clicks on "
        + "different links within tracking.burst-ms: link-burst; an image proxy's fetch: image-proxy). Timing alone "
        + "never makes a hit machine."),
  TRACKING_BURST_MS("tracking.burst-ms", Type.INT, "2000",
      "Clicks on different links of one message this close together and early (tracking.scanner-window-seconds) are "
        + "a scanner's (reason link-burst)."),
  TRACKING_SWEEP_SECONDS("tracking.sweep-seconds", Type.INT, "30",
      "A message's clicks on tracking.sweep-links or more different links within this many seconds are a scanner's "
        + "sweep, whenever they come (reason link-sweep); also how soon a GET after a HEAD of the same link from the "
        + "same client is the scanner's (head-then-get)."),
  TRACKING_SWEEP_LINKS("tracking.sweep-links", Type.INT, "3",
      "How many different links clicked within tracking.sweep-seconds make a sweep."),
  TRACKING_TAINT_SECONDS("tracking.taint-seconds", Type.INT, "60",
      "Clicks of a message this close to a hit on its hidden decoy link are the scanner's too (reason decoy-taint); "
        + "opens only when they come from the decoy's client."),
  TRACKING_PROXY_CIDRS("tracking.proxy-cidrs", Type.STRING, "17.0.0.0/8",
      "Comma-separated networks of mail privacy proxies (Apple Mail Privacy Protection egress): opens from them are "
        + "machine (reason apple-mpp); clicks are not (a person's click through iCloud Private Relay comes from them)."),
  TRACKING_NETWORK_LISTS("tracking.network-lists", Type.STRING, "",
      "Comma-separated files or directories (their *.txt and *.csv) of published networks of privacy proxies, "
        + "scanners and crawlers, each stating its name, reason, marks (opens, clicks or both), date and source; "
        + "empty: the shipped excerpts (tracking/networks/: Apple Private Relay for opens, Microsoft 365 EOP and "
        + "Googlebot for clicks)."),
  TRACKING_USER_AGENTS_FILE("tracking.user-agents-file", Type.STRING, "",
      "Tab-separated list of machine user agents (reason, strong|weak, open|click|both, regular expression, source) "
        + "that replaces the shipped tracking/user-agents.tsv; empty: the shipped list."),
  TRACKING_PROXY_USER_AGENTS("tracking.proxy-user-agents", Type.STRING, "",
      "Comma-separated user-agent fragments (case-insensitive) of image proxies, added to the list: opens with them "
        + "are machine (reason image-proxy) when they come soon after the send, like a prefetch."),
  TRACKING_SCANNER_USER_AGENTS("tracking.scanner-user-agents", Type.STRING, "",
      "Comma-separated user-agent fragments (case-insensitive, plain text) of link scanners and scripts, added to the "
        + "list: hits with them are machine (reason scanner-user-agent)."),

  TEMPLATES_CACHE_VERSIONS("templates.cache-versions", Type.INT, "1000",
      "Template versions kept compiled in each process (each with the locales used so far)."),
  THROTTLE_KEY_PREFIX("throttle.key-prefix", Type.STRING, "",
      "Prefix of the Redis keys of rate limits and frequency caps; empty: `relay:<db.name>`, so that the gateways "
        + "of one database share them."),
  THROTTLE_QUIET_HOURS("throttle.quiet-hours", Type.STRING, "",
      "Local time window (`HH:MM-HH:MM`, e.g. `21:00-09:00`) in the recipient's time zone in which marketing "
        + "messages wait for the window's end; empty: none."),
  THROTTLE_CAPS("throttle.caps", Type.STRING, "",
      "Frequency caps on marketing messages per recipient across channels, `MOST/WINDOW` comma-separated "
        + "(e.g. `3/1d,10/7d`; units s, m, h, d); empty: none."),
  THROTTLE_TENANT_RATE("throttle.tenant-rate", Type.INT, "0",
      "Messages per second each tenant may send (burst: one second's worth); 0: no limit."),
  THROTTLE_CAMPAIGN_RATE("throttle.campaign-rate", Type.INT, "0",
      "Messages per second each campaign may send (burst: one second's worth); 0: no limit."),
  THROTTLE_MAX_HOLD_MS("throttle.max-hold-ms", Type.INT, "2000",
      "How much of a rate-limited account's sending a lane holds in memory; messages beyond it are put back "
        + "in the queue until their turn."),
  THROTTLE_RECOVERY_PERCENT("throttle.recovery-percent", Type.INT, "5",
      "After a provider throttled an account (its rate halved), how much of the configured rate it regains "
        + "each second."),
  THROTTLE_REDIS_TIMEOUT_MS("throttle.redis-timeout-ms", Type.INT, "1000",
      "How long a Redis call of the throttle may take before Redis counts as unreachable."),
  THROTTLE_REDIS_RETRY_MS("throttle.redis-retry-ms", Type.INT, "2000",
      "How long messages that need Redis (limits, caps) wait while it cannot be reached."),

  SEND_TIME_MIN_EVENTS("send-time.min-events", Type.INT, "5",
      "Human opens and clicks a recipient needs in send-time.history-days for send-time optimization to choose its "
        + "hour; with fewer it falls back (the batch's default_hour, else the population's best hour)."),
  SEND_TIME_HALF_LIFE_DAYS("send-time.half-life-days", Type.INT, "30",
      "Recency weighting of send-time optimization: an event this many days old counts half as much as one of now."),
  SEND_TIME_HISTORY_DAYS("send-time.history-days", Type.INT, "90",
      "How far back send-time optimization reads a recipient's human opens and clicks."),
  SEND_TIME_POPULATION_DAYS("send-time.population-days", Type.INT, "30",
      "How far back the population's best hour (the fallback without default_hour) reads the tenant's human opens "
        + "and clicks."),
  SEND_TIME_POPULATION_SAMPLE("send-time.population-sample", Type.INT, "50000",
      "At most this many of the tenant's human events are read for the population's best hour."),
  SEND_TIME_SPREAD_MINUTES("send-time.spread-minutes", Type.INT, "30",
      "Optimized messages due in the same hour are spread over its first this many minutes (by recipient id), so "
        + "that an hour does not start with one burst; 1 to 60."),

  WEBHOOKS_APPLY_INTERVAL_MS("webhooks.apply-interval-ms", Type.INT, "500",
      "How often stored provider events not applied yet are applied to their messages (every instance; rows are "
        + "taken with SKIP LOCKED)."),
  WEBHOOKS_APPLY_RETRY_SECONDS("webhooks.apply-retry-seconds", Type.INT, "5",
      "How long a provider event whose message is not known yet (its send not recorded yet) waits before it is "
        + "tried again."),
  WEBHOOKS_APPLY_GIVE_UP_HOURS("webhooks.apply-give-up-hours", Type.INT, "72",
      "How long a provider event that matches no message is retried before it is marked given up (it stays stored)."),
  ENGAGEMENT_RETENTION_DAYS("engagement.retention-days", Type.INT, "400",
      "Days of events kept: older daily partitions of `events` are dropped, and older rows of its DEFAULT "
        + "partition deleted. Campaign counters are kept."),
  MESSAGES_RETENTION_DAYS("messages.retention-days", Type.INT, "400",
      "Days a finished message is kept with its personal data (addresses, variables): messages are stored in "
        + "partitions of a day (or this / 30 days when longer, about 30 partitions in all), each dropped whole, "
        + "with its batches, once every message in it is finished and it "
        + "was closed more than this many days ago. Campaign counters are kept."),
  ENGAGEMENT_PARTITIONS_AHEAD_DAYS("engagement.partitions-ahead-days", Type.INT, "3",
      "Daily partitions of `events` created ahead of today (events outside them land in the DEFAULT partition)."),
  ENGAGEMENT_MAINTENANCE_INTERVAL_SECONDS("engagement.maintenance-interval-seconds", Type.INT, "3600",
      "How often partitions are created ahead and old ones dropped (also once at start-up)."),
  CONVERSIONS_ATTRIBUTION_WINDOW_HOURS("conversions.attribution-window-hours", Type.INT, "168",
      "How long before a conversion a campaign's message (sent or held out) counts for it: the conversion is "
        + "attributed to every such campaign, and its value to the campaign of the recipient's last human click in "
        + "that window."),
  EXPERIMENTS_MIN_WAIT_SECONDS("experiments.min-wait-seconds", Type.INT, "60",
      "The shortest wait_seconds a campaign test may ask for (the longest is 30 days)."),
  EXPERIMENTS_DECIDE_INTERVAL_MS("experiments.decide-interval-ms", Type.INT, "5000",
      "How often each instance looks for campaign tests whose wait has passed (decides them) and for ended tests "
        + "whose waiting recipients are not all released yet (releases them)."),
  EXPERIMENTS_RELEASE_CHUNK("experiments.release-chunk", Type.INT, "5000",
      "Waiting messages queued per transaction when a test ends (released chunk by chunk, several instances "
        + "sharing the work)."),
  SANDBOX_PORT("sandbox.port", Type.INT, "8081",
      "Port of the in-process sandbox provider that serves when no accounts are configured (0: any free port)."),

  METRICS_ENABLED("metrics.enabled", Type.BOOL, "true",
      "Serve Prometheus metrics at GET /metrics on the HTTP listener (unauthenticated: keep it off the public network)."),
  METRICS_QUEUE_REFRESH_MS("metrics.queue-refresh-ms", Type.INT, "5000",
      "How often each process counts the queue by state and its lag in PostgreSQL for the metrics."),

  HEALTH_TIMEOUT_MS("health.timeout-ms", Type.INT, "2000", "How long each readiness check may take.");

  /**
   * How a setting's text is read. A {@code SECRET} is masked in logs, and its value may be a reference resolved at
   * start-up ({@code ${env:NAME}}, {@code ${file:/path}}; see {@link Secrets}).
   */
  public enum Type { STRING, SECRET, INT, BOOL }

  private final String key;
  private final Type type;
  private final String defaultValue;
  private final String description;

  Setting(String key, Type type, String defaultValue, String description) {
    this.key = key;
    this.type = type;
    this.defaultValue = defaultValue;
    this.description = description;
  }

  /** The dotted key in the config file, for example {@code db.pool-size}. */
  public String key() {
    return key;
  }

  /** The environment variable, for example {@code RELAY_DB_POOL_SIZE}. */
  public String envName() {
    return "RELAY_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  public Type type() {
    return type;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }
}
