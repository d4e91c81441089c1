-- Re-marking: an open or click written as human and later re-marked machine (the link-burst rule, which
-- sees a scanner only once its second click arrives) takes back what it counted. The insert trigger
-- counted the message once in <type>_human (through engagement_firsts); when the re-marked event was the
-- message's last human one of its type, that first is deleted and the counter lowered. A re-mark the
-- other way (machine to human) counts the message if it had no human event of the type yet. Statement
-- level, like the insert trigger: one pass per re-marking statement; inserts never fire it.
CREATE FUNCTION relay_recount_remarked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH moved AS (
    SELECT DISTINCT n.message_id, n.campaign_id, n.type,
           coalesce(n.data ->> 'channel', (SELECT m.channel FROM messages m WHERE m.id = n.message_id), 'none') AS channel
    FROM new_events n JOIN old_events o ON o.id = n.id
    WHERE n.type IN ('opened', 'clicked') AND o.class IS DISTINCT FROM n.class
  ), steps AS (
    -- The statement's changes are visible here (an AFTER trigger): first_at is null when no human event is left.
    SELECT mv.message_id, mv.campaign_id, mv.channel, mv.type || '_human' AS metric,
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
    SELECT s.campaign_id, s.channel, s.metric, -1 AS d FROM lost l JOIN steps s USING (message_id, metric)
    UNION ALL
    SELECT s.campaign_id, s.channel, s.metric, 1 FROM kept k JOIN steps s USING (message_id, metric) WHERE k.gained
  )
  INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
  SELECT campaign_id, channel, metric, sum(d) FROM delta GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE TRIGGER events_remarked AFTER UPDATE ON events
REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION relay_recount_remarked();

-- Clicks re-marked before this migration left their message counted human: taken back now. Only messages
-- whose re-marked events are still kept (their partitions not dropped yet) can be told; counters of older
-- campaigns stay as they are.
WITH stale AS (
  DELETE FROM engagement_firsts f
  WHERE f.metric IN ('opened_human', 'clicked_human')
    AND EXISTS (SELECT 1 FROM events e WHERE e.message_id = f.message_id AND e.type = left(f.metric, -6)
                AND e.reason = 'link-burst')
    AND NOT EXISTS (SELECT 1 FROM events e WHERE e.message_id = f.message_id AND e.type = left(f.metric, -6)
                    AND e.class = 'human')
  RETURNING f.message_id, f.metric
)
UPDATE campaign_counters c SET n = c.n - d.n
FROM (SELECT m.campaign_id, coalesce(m.channel, 'none') AS channel, s.metric, count(*) AS n
      FROM stale s JOIN messages m ON m.id = s.message_id GROUP BY 1, 2, 3) d
WHERE c.campaign_id = d.campaign_id AND c.channel = d.channel AND c.metric = d.metric;
