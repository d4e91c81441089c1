-- Engagement: events partitioned by day on occurred_at (old days dropped whole by the maintenance job,
-- a DEFAULT partition so that no insert ever fails, whatever its time), per-campaign counters kept
-- current by a statement-level trigger (one upsert per inserting statement, never one per event), and
-- the first occurrence of each funnel step per message, which makes the unique counts exact.

ALTER TABLE events RENAME TO events_unpartitioned;
ALTER INDEX events_message RENAME TO events_unpartitioned_message;
ALTER INDEX events_campaign RENAME TO events_unpartitioned_campaign;

CREATE SEQUENCE events_seq AS bigint CACHE 100;

CREATE TABLE events (
  id           bigint NOT NULL DEFAULT nextval('events_seq'),
  message_id   bigint NOT NULL,
  tenant_id    bigint NOT NULL,
  campaign_id  bigint NOT NULL,
  type         text NOT NULL,
  class        text CHECK (class IN ('human', 'machine')),
  reason       text,
  data         jsonb,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE events_seq OWNED BY events.id;
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_message ON events (message_id, occurred_at);
CREATE INDEX events_campaign ON events (campaign_id, occurred_at);
CREATE INDEX events_tenant_type ON events (tenant_id, type, occurred_at);


-- The partition of one UTC day, created if missing; rows of that day already in the DEFAULT partition
-- move into it (a partition cannot be attached over rows the default holds).
CREATE FUNCTION relay_events_partition(day date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  name text := 'events_' || to_char(day, 'YYYYMMDD');
  lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
  hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
  EXECUTE format('WITH moved AS (DELETE FROM events_default WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)'
                 ' INSERT INTO %I SELECT * FROM moved', name) USING lo, hi;
  EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
  RETURN true;
END $$;

-- Daily maintenance: partitions from today to today + ahead days; partitions wholly older than the
-- retention dropped, and the DEFAULT partition's rows older than it deleted. Returns what it did.
CREATE FUNCTION relay_events_maintain(ahead integer, retention_days integer) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  today date := (now() AT TIME ZONE 'UTC')::date;
  cutoff date := today - retention_days;
  created integer := 0;
  dropped integer := 0;
  purged bigint;
  part record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('relay_events_maintain'));
  FOR i IN 0..ahead LOOP
    IF relay_events_partition(today + i) THEN
      created := created + 1;
    END IF;
  END LOOP;
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
      AND to_date(substr(c.relname, 8), 'YYYYMMDD') < cutoff
  LOOP
    EXECUTE format('DROP TABLE %I', part.relname);
    dropped := dropped + 1;
  END LOOP;
  DELETE FROM events_default WHERE occurred_at < cutoff::timestamp AT TIME ZONE 'UTC';
  GET DIAGNOSTICS purged = ROW_COUNT;
  RETURN jsonb_build_object('created', created, 'dropped', dropped, 'purged', purged);
END $$;

-- The first time a message reached a funnel step (metric), kept once per message and metric.
CREATE TABLE engagement_firsts (
  message_id   bigint NOT NULL,
  metric       text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  PRIMARY KEY (message_id, metric)
);

-- Per campaign and channel: each metric's count. Metrics: <type>_total for every event type, and
-- <step> / <step>_human for the unique steps (messages that reached them).
CREATE TABLE campaign_counters (
  campaign_id  bigint NOT NULL,
  channel      text NOT NULL,
  metric       text NOT NULL,
  n            bigint NOT NULL,
  PRIMARY KEY (campaign_id, channel, metric)
);

-- Only the funnel's event types are counted. 'sent', 'dead' and 'suppressed' happen at most once per message
-- (the dispatcher's outcomes are fenced by attempt), so their unique count is their total; the others can be
-- reported more than once (providers, tracking) and go through engagement_firsts. The dispatcher's flushes
-- thus cost one grouped upsert, and the message's channel is looked up only for events that do not carry it.
CREATE FUNCTION relay_count_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH fresh AS (
    SELECT n.message_id, n.campaign_id, n.type, n.class, n.occurred_at, n.data,
           coalesce(n.data ->> 'channel', (SELECT m.channel FROM messages m WHERE m.id = n.message_id), 'none') AS channel
    FROM new_events n
    WHERE n.type IN ('sent', 'delivered', 'bounced', 'failed', 'dead', 'suppressed', 'opened', 'clicked',
                     'unsubscribed', 'complained')
  ), steps AS (
    SELECT message_id, campaign_id, channel, type AS metric, occurred_at FROM fresh
    WHERE type IN ('delivered', 'bounced', 'failed', 'opened', 'clicked', 'unsubscribed', 'complained')
    UNION ALL
    SELECT message_id, campaign_id, channel, type || '_human', occurred_at FROM fresh
    WHERE type IN ('opened', 'clicked') AND class = 'human'
    UNION ALL
    SELECT message_id, campaign_id, channel, 'bounced_' || (data ->> 'bounce'), occurred_at FROM fresh
    WHERE type = 'bounced' AND data ->> 'bounce' IN ('hard', 'soft')
  ), firsts AS (
    INSERT INTO engagement_firsts (message_id, metric, occurred_at)
    SELECT DISTINCT ON (message_id, metric) message_id, metric, occurred_at FROM steps
    ORDER BY message_id, metric, occurred_at
    ON CONFLICT DO NOTHING
    RETURNING message_id, metric
  ), firsts_counted AS (
    SELECT DISTINCT ON (f.message_id, f.metric) s.campaign_id, s.channel, f.metric
    FROM firsts f JOIN steps s ON s.message_id = f.message_id AND s.metric = f.metric
  ), counted AS (
    SELECT campaign_id, channel, metric, count(*) AS n FROM firsts_counted GROUP BY 1, 2, 3
    UNION ALL
    SELECT campaign_id, channel, type || '_total', count(*) FROM fresh GROUP BY 1, 2, 3
    UNION ALL
    SELECT campaign_id, channel, type, count(*) FROM fresh WHERE type IN ('sent', 'dead', 'suppressed') GROUP BY 1, 2, 3
  )
  INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
  SELECT campaign_id, channel, metric, sum(n) FROM counted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE TRIGGER events_counted AFTER INSERT ON events
REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION relay_count_events();

-- The events kept so far, copied in through the trigger, which counts them.
INSERT INTO events (id, message_id, tenant_id, campaign_id, type, class, reason, data, occurred_at, recorded_at)
SELECT id, message_id, tenant_id, campaign_id, type, class, reason, data, occurred_at, recorded_at
FROM events_unpartitioned;
SELECT setval('events_seq', coalesce((SELECT max(id) FROM events_unpartitioned), 0) + 1, false);
DROP TABLE events_unpartitioned;

-- Webhook events that name no message (an SMS STOP) or name one not yet known are retried until
-- they apply or age out; this keeps how often each was tried.
ALTER TABLE webhook_events ADD COLUMN apply_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN applied_note text;

SELECT relay_events_maintain(2, 3650);
ALTER TABLE webhook_events ADD COLUMN tried_at timestamptz;

-- Webhooks name a message by the provider's id, a STOP by the address it came from.
CREATE INDEX messages_provider_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_address ON messages ((addresses ->> channel)) WHERE channel IS NOT NULL;
