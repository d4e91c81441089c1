-- Experiments (issue 22), first part: variants and holdout.
--
-- A batch gives either one template (template_name, template_version, template_id as before) or variants:
-- batches.variants maps each variant's name to what intake resolved for it,
--   {"a": {"template": "welcome", "template_version": 2, "template_id": 17, "weight": 1}, ...}
-- and every message of such a batch names its variant in messages.variant (null when its batch has no variants,
-- and for a recipient held out). The dispatcher renders batches.variants -> variant ->> 'template_id'.
--
-- Holdout is a campaign property: campaigns.holdout is the share of the campaign's recipients kept out (state
-- held_out, see V14), set by the first batch that gives one; a later batch giving another share is refused, a
-- batch giving none inherits it. batches.holdout is the share applied to the batch (0 when none).
ALTER TABLE campaigns ADD COLUMN holdout double precision;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_holdout_check CHECK (holdout >= 0 AND holdout < 1);
-- Whether any batch of the campaign had variants: the counting triggers look a message's variant up only then.
ALTER TABLE campaigns ADD COLUMN has_variants boolean NOT NULL DEFAULT false;

ALTER TABLE batches ALTER COLUMN template_name DROP NOT NULL;
ALTER TABLE batches ADD COLUMN variants jsonb;
ALTER TABLE batches ADD COLUMN holdout double precision NOT NULL DEFAULT 0;
ALTER TABLE batches ADD CONSTRAINT batches_template_or_variants CHECK ((template_name IS NULL) <> (variants IS NULL));

-- NOT VALID: the rows already there have no variant; no scan of the whole table to prove it.
ALTER TABLE messages ADD COLUMN variant text;
ALTER TABLE messages ADD CONSTRAINT messages_variant_check CHECK (variant ~ '^[a-z0-9][a-z0-9_-]{0,31}$') NOT VALID;

-- Per campaign and variant: the same metrics as campaign_counters (without the channel), kept by the same
-- triggers, plus 'accepted' (messages of the variant stored at intake). Human-only figures are exact: a re-mark
-- moves a message in or out of <type>_human here exactly as in campaign_counters.
CREATE TABLE campaign_variant_counters (
  campaign_id  bigint NOT NULL,
  variant      text NOT NULL,
  metric       text NOT NULL,
  n            bigint NOT NULL,
  PRIMARY KEY (campaign_id, variant, metric)
);

-- V14's counting, plus the per-variant counters: one statement still (both upserts are data-modifying CTEs of it).
-- The variant is looked up (one primary-key read) only for events of campaigns that ever had variants.
CREATE OR REPLACE FUNCTION relay_count_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH experiments AS (
    SELECT c.id FROM campaigns c
    WHERE c.id IN (SELECT DISTINCT campaign_id FROM new_events) AND c.has_variants
  ), fresh AS (
    SELECT n.message_id, n.campaign_id, n.type, n.class, n.occurred_at, n.data,
           coalesce(n.data ->> 'channel', (SELECT m.channel FROM messages m WHERE m.id = n.message_id), 'none') AS channel,
           CASE WHEN n.campaign_id IN (SELECT id FROM experiments)
                THEN (SELECT m.variant FROM messages m WHERE m.id = n.message_id) END AS variant
    FROM new_events n
    WHERE n.type IN ('sent', 'delivered', 'bounced', 'failed', 'dead', 'suppressed', 'opened', 'clicked',
                     'unsubscribed', 'complained', 'held_out', 'opted_out')
  ), steps AS (
    SELECT message_id, campaign_id, channel, variant, type AS metric, occurred_at FROM fresh
    WHERE type IN ('delivered', 'bounced', 'failed', 'opened', 'clicked', 'unsubscribed', 'complained')
    UNION ALL
    SELECT message_id, campaign_id, channel, variant, type || '_human', occurred_at FROM fresh
    WHERE type IN ('opened', 'clicked') AND class = 'human'
    UNION ALL
    SELECT message_id, campaign_id, channel, variant, 'bounced_' || (data ->> 'bounce'), occurred_at FROM fresh
    WHERE type = 'bounced' AND data ->> 'bounce' IN ('hard', 'soft')
  ), firsts AS (
    INSERT INTO engagement_firsts (message_id, metric, occurred_at)
    SELECT DISTINCT ON (message_id, metric) message_id, metric, occurred_at FROM steps
    ORDER BY message_id, metric, occurred_at
    ON CONFLICT DO NOTHING
    RETURNING message_id, metric
  ), firsts_counted AS (
    SELECT DISTINCT ON (f.message_id, f.metric) s.campaign_id, s.channel, s.variant, f.metric
    FROM firsts f JOIN steps s ON s.message_id = f.message_id AND s.metric = f.metric
  ), counted AS (
    SELECT campaign_id, channel, variant, metric, count(*) AS n FROM firsts_counted GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT campaign_id, channel, variant, type || '_total', count(*) FROM fresh GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT campaign_id, channel, variant, type, count(*) FROM fresh
    WHERE type IN ('sent', 'dead', 'suppressed', 'held_out', 'opted_out') GROUP BY 1, 2, 3, 4
  ), by_channel AS (
    INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
    SELECT campaign_id, channel, metric, sum(n) FROM counted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n
  )
  INSERT INTO campaign_variant_counters AS v (campaign_id, variant, metric, n)
  SELECT campaign_id, variant, metric, sum(n) FROM counted WHERE variant IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, variant, metric) DO UPDATE SET n = v.n + EXCLUDED.n;
  RETURN NULL;
END $$;

-- V11's re-marking, applied to the variant's counters too.
CREATE OR REPLACE FUNCTION relay_recount_remarked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH moved AS (
    SELECT DISTINCT n.message_id, n.campaign_id, n.type,
           coalesce(n.data ->> 'channel', (SELECT m.channel FROM messages m WHERE m.id = n.message_id), 'none') AS channel,
           (SELECT m.variant FROM messages m WHERE m.id = n.message_id) AS variant
    FROM new_events n JOIN old_events o ON o.id = n.id
    WHERE n.type IN ('opened', 'clicked') AND o.class IS DISTINCT FROM n.class
  ), steps AS (
    -- The statement's changes are visible here (an AFTER trigger): first_at is null when no human event is left.
    SELECT mv.message_id, mv.campaign_id, mv.channel, mv.variant, mv.type || '_human' AS metric,
           (SELECT min(e.occurred_at) FROM events e
            WHERE e.message_id = mv.message_id AND e.type = mv.type AND e.class = 'human') AS first_at
    FROM moved mv
  ), lost AS (
    DELETE FROM engagement_firsts f USING steps s
    WHERE s.first_at IS NULL AND f.message_id = s.message_id AND f.metric = s.metric
    RETURNING f.message_id, f.metric
  ), kept AS (
    INSERT INTO engagement_firsts AS f (message_id, metric, occurred_at)
    SELECT message_id, metric, first_at FROM steps WHERE first_at IS NOT NULL
    ON CONFLICT (message_id, metric) DO UPDATE SET occurred_at = EXCLUDED.occurred_at
    RETURNING f.message_id, f.metric, (f.xmax = 0) AS gained
  ), delta AS (
    SELECT s.campaign_id, s.channel, s.variant, s.metric, -1 AS d FROM lost l JOIN steps s USING (message_id, metric)
    UNION ALL
    SELECT s.campaign_id, s.channel, s.variant, s.metric, 1 FROM kept k JOIN steps s USING (message_id, metric)
    WHERE k.gained
  ), by_channel AS (
    INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
    SELECT campaign_id, channel, metric, sum(d) FROM delta GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n
  )
  INSERT INTO campaign_variant_counters AS v (campaign_id, variant, metric, n)
  SELECT campaign_id, variant, metric, sum(d) FROM delta WHERE variant IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, variant, metric) DO UPDATE SET n = v.n + EXCLUDED.n;
  RETURN NULL;
END $$;

-- V13's machine opens and clicks by reason, per variant too.
CREATE OR REPLACE FUNCTION relay_count_machine_reasons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH machine AS (
    SELECT n.campaign_id,
           coalesce(n.data ->> 'channel', (SELECT m.channel FROM messages m WHERE m.id = n.message_id), 'none') AS channel,
           CASE WHEN EXISTS (SELECT 1 FROM campaigns c WHERE c.id = n.campaign_id AND c.has_variants)
                THEN (SELECT m.variant FROM messages m WHERE m.id = n.message_id) END AS variant,
           n.type || '_machine:' || coalesce(n.reason, 'unknown') AS metric
    FROM new_events n
    WHERE n.type IN ('opened', 'clicked') AND n.class = 'machine'
  ), by_channel AS (
    INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
    SELECT campaign_id, channel, metric, count(*) FROM machine GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n
  )
  INSERT INTO campaign_variant_counters AS v (campaign_id, variant, metric, n)
  SELECT campaign_id, variant, metric, count(*) FROM machine WHERE variant IS NOT NULL GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, variant, metric) DO UPDATE SET n = v.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION relay_recount_machine_reasons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH moved AS (
    SELECT n.campaign_id, n.type, o.class AS old_class, o.reason AS old_reason, n.class AS new_class,
           n.reason AS new_reason,
           coalesce(n.data ->> 'channel', (SELECT m.channel FROM messages m WHERE m.id = n.message_id), 'none') AS channel,
           (SELECT m.variant FROM messages m WHERE m.id = n.message_id) AS variant
    FROM new_events n JOIN old_events o ON o.id = n.id
    WHERE n.type IN ('opened', 'clicked')
      AND (o.class IS DISTINCT FROM n.class OR o.reason IS DISTINCT FROM n.reason)
  ), delta AS (
    SELECT campaign_id, channel, variant, type || '_machine:' || coalesce(old_reason, 'unknown') AS metric, -1 AS d
    FROM moved WHERE old_class = 'machine'
    UNION ALL
    SELECT campaign_id, channel, variant, type || '_machine:' || coalesce(new_reason, 'unknown'), 1
    FROM moved WHERE new_class = 'machine'
  ), by_channel AS (
    INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
    SELECT campaign_id, channel, metric, sum(d) FROM delta GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n
  )
  INSERT INTO campaign_variant_counters AS v (campaign_id, variant, metric, n)
  SELECT campaign_id, variant, metric, sum(d) FROM delta WHERE variant IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, variant, metric) DO UPDATE SET n = v.n + EXCLUDED.n;
  RETURN NULL;
END $$;
