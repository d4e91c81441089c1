-- Machine opens and clicks by reason, per campaign and channel: campaign_counters metrics
-- '<type>_machine:<reason>' (events, not messages), so that campaign stats show what the classifier took out of the
-- human figures and why. Kept by two statement-level triggers beside the funnel's: inserts count machine events;
-- a re-mark (class or reason changed) moves one event from its old reason to its new one.
CREATE FUNCTION relay_count_machine_reasons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
  SELECT n.campaign_id,
         coalesce(n.data ->> 'channel', (SELECT m.channel FROM messages m WHERE m.id = n.message_id), 'none'),
         n.type || '_machine:' || coalesce(n.reason, 'unknown'), count(*)
  FROM new_events n
  WHERE n.type IN ('opened', 'clicked') AND n.class = 'machine'
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE TRIGGER events_machine_reasons AFTER INSERT ON events
REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION relay_count_machine_reasons();

CREATE FUNCTION relay_recount_machine_reasons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH moved AS (
    SELECT n.campaign_id, n.type, o.class AS old_class, o.reason AS old_reason, n.class AS new_class,
           n.reason AS new_reason,
           coalesce(n.data ->> 'channel', (SELECT m.channel FROM messages m WHERE m.id = n.message_id), 'none') AS channel
    FROM new_events n JOIN old_events o ON o.id = n.id
    WHERE n.type IN ('opened', 'clicked')
      AND (o.class IS DISTINCT FROM n.class OR o.reason IS DISTINCT FROM n.reason)
  ), delta AS (
    SELECT campaign_id, channel, type || '_machine:' || coalesce(old_reason, 'unknown') AS metric, -1 AS d
    FROM moved WHERE old_class = 'machine'
    UNION ALL
    SELECT campaign_id, channel, type || '_machine:' || coalesce(new_reason, 'unknown'), 1
    FROM moved WHERE new_class = 'machine'
  )
  INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
  SELECT campaign_id, channel, metric, sum(d) FROM delta GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE TRIGGER events_machine_reasons_remarked AFTER UPDATE ON events
REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT
EXECUTE FUNCTION relay_recount_machine_reasons();

-- The machine events kept so far (partitions not yet dropped).
INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
SELECT e.campaign_id, coalesce(e.data ->> 'channel', m.channel, 'none'),
       e.type || '_machine:' || coalesce(e.reason, 'unknown'), count(*)
FROM events e LEFT JOIN messages m ON m.id = e.message_id
WHERE e.type IN ('opened', 'clicked') AND e.class = 'machine'
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n;
