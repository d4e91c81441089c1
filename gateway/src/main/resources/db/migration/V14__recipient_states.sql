-- Three message states for the recipient's side and for experiments, shared by the features that use them:
--   held_out   the recipient is in a campaign's control group: never rendered, never sent, never retried;
--   opted_out  the recipient opted out of the batch's topic: never sent, like suppressed;
--   waiting    an experiment's remainder, accepted and kept until the winner is chosen (not claimable).
-- held_out and opted_out are terminal and happen at most once per message, so their events are counted like
-- 'suppressed' (unique = total).
ALTER TABLE messages DROP CONSTRAINT messages_state_check;
ALTER TABLE messages ADD CONSTRAINT messages_state_check CHECK (state IN (
  'queued', 'sending', 'retry', 'sent', 'delivered', 'failed', 'dead', 'suppressed', 'capped', 'expired',
  'held_out', 'opted_out', 'waiting'));

CREATE OR REPLACE FUNCTION relay_count_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH fresh AS (
    SELECT n.message_id, n.campaign_id, n.type, n.class, n.occurred_at, n.data,
           coalesce(n.data ->> 'channel', (SELECT m.channel FROM messages m WHERE m.id = n.message_id), 'none') AS channel
    FROM new_events n
    WHERE n.type IN ('sent', 'delivered', 'bounced', 'failed', 'dead', 'suppressed', 'opened', 'clicked',
                     'unsubscribed', 'complained', 'held_out', 'opted_out')
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
    SELECT campaign_id, channel, type, count(*) FROM fresh
    WHERE type IN ('sent', 'dead', 'suppressed', 'held_out', 'opted_out') GROUP BY 1, 2, 3
  )
  INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
  SELECT campaign_id, channel, metric, sum(n) FROM counted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $$;
