-- Every SQL statement the gateway runs at run time, by name. Loaded once by dev.relay.gateway.store.Queries.

-- name: tenant-upsert
INSERT INTO tenants (name) VALUES ($1)
ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
RETURNING id;

-- name: api-key-insert
INSERT INTO api_keys (id, tenant_id, secret_hash) VALUES ($1, $2, $3);

-- name: api-key-revoke
UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING tenant_id;

-- name: api-key-find
SELECT k.tenant_id, k.secret_hash, t.name AS tenant_name
FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
WHERE k.id = $1 AND k.revoked_at IS NULL;

-- name: idempotency-claim
INSERT INTO idempotency_keys (tenant_id, key, request_hash, response_status, response_body)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, key) DO NOTHING
RETURNING key;

-- name: idempotency-find
SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE tenant_id = $1 AND key = $2;

-- name: idempotency-expire
DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1);

-- name: campaign-ensure
WITH created AS (
  INSERT INTO campaigns (tenant_id, name) VALUES ($1, $2)
  ON CONFLICT (tenant_id, name) DO NOTHING
  RETURNING id, status, holdout, has_variants
)
SELECT id, status, holdout, has_variants FROM created
UNION ALL
SELECT id, status, holdout, has_variants FROM campaigns WHERE tenant_id = $1 AND name = $2
LIMIT 1;

-- name: campaign-holdout
SELECT holdout FROM campaigns WHERE tenant_id = $1 AND name = $2;

-- name: campaign-experiment-mark
-- The first batch that gives a holdout sets the campaign's; a concurrent one waits for this row lock and then sees
-- the value set (READ COMMITTED re-reads the row), which intake compares with its own. Returns the holdout now held.
UPDATE campaigns SET holdout = coalesce(holdout, $2), has_variants = has_variants OR $3 WHERE id = $1
RETURNING holdout;

-- name: batch-insert
INSERT INTO batches (id, tenant_id, campaign_id, template_name, template_version, channels, priority,
                     send_at, expires_at, accepted, rejected, template_id, on_cap, variants, holdout, topic)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($8, now()) + make_interval(secs => $9), $10, $11, $12, $13, $14, $15,
        $16);

-- name: messages-insert
-- A recipient's 'variant' and 'state' (held_out, …; queued when absent) are what intake placed it in.
-- $8: each recipient's own due time, in the order of $7 (send-time optimization), or null: all due at $5.
-- Each queued message gets its row in message_queue, where the claim finds it.
WITH stored AS (
  INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, locale, time_zone,
                        variables, priority, due_at, expires_at, variant, state)
  SELECT $1, $2, $3, r ->> 'id', r -> 'addresses', r ->> 'locale', r ->> 'time_zone',
         coalesce(r -> 'variables', '{}'::jsonb), $4, coalesce(($8::timestamptz[])[i], $5, now()),
         coalesce(($8::timestamptz[])[i], $5, now()) + make_interval(secs => $6), r ->> 'variant',
         coalesce(r ->> 'state', 'queued')
  FROM jsonb_array_elements($7::jsonb) WITH ORDINALITY AS x(r, i)
  RETURNING id, tenant_id, campaign_id, due_at, priority, state
), ranged AS (
  UPDATE batches b SET first_message_id = s.lo, last_message_id = s.hi
  FROM (SELECT min(id) AS lo, max(id) AS hi FROM stored) s WHERE b.id = $1
)
INSERT INTO message_queue (message_id, tenant_id, campaign_id, due_at, transactional)
SELECT id, tenant_id, campaign_id, due_at, priority = 'transactional' FROM stored WHERE state = 'queued';

-- name: messages-insert-leased
-- The same messages, stored already leased to the dispatcher of the process that accepted them
-- (handoff): 'sending', attempt 1, under the dispatcher's lease (one message_leases row for the batch), so
-- that they need no claim and no queue row; if that process dies, the lease expires and any instance
-- reclaims them. A recipient intake placed in another state (held_out, …) is stored in it, not leased, and
-- not returned.
WITH lease AS (
  SELECT nextval(pg_get_serial_sequence('message_leases', 'id')) AS id
), stored AS (
  INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, locale, time_zone,
                        variables, priority, due_at, expires_at, variant, state, attempt, lease_until, lease_id)
  SELECT $1, $2, $3, r ->> 'id', r -> 'addresses', r ->> 'locale', r ->> 'time_zone',
         coalesce(r -> 'variables', '{}'::jsonb), $4, coalesce($5, now()),
         coalesce($5, now()) + make_interval(secs => $6), r ->> 'variant', coalesce(r ->> 'state', 'sending'),
         CASE WHEN r ? 'state' THEN 0 ELSE 1 END,
         CASE WHEN r ? 'state' THEN NULL ELSE now() + make_interval(secs => $8) END,
         CASE WHEN r ? 'state' THEN NULL ELSE (SELECT id FROM lease) END
  FROM jsonb_array_elements($7::jsonb) AS r
  RETURNING id, recipient_id, state, lease_until
), ranged AS (
  UPDATE batches b SET first_message_id = s.lo, last_message_id = s.hi
  FROM (SELECT min(id) AS lo, max(id) AS hi FROM stored) s WHERE b.id = $1
), leased AS (
  INSERT INTO message_leases (id, lease_until, first_id, open, message_ids)
  SELECT (SELECT id FROM lease), min(lease_until), min(id), count(*), array_agg(id ORDER BY id) FROM stored
  WHERE state = 'sending'
  HAVING count(*) > 0
)
SELECT id, recipient_id FROM stored WHERE state = 'sending';

-- name: messages-held-out-events
-- The held_out event of each recipient of the batch held out at intake (counted by the events trigger).
INSERT INTO events (message_id, tenant_id, campaign_id, type)
SELECT m.id, m.tenant_id, m.campaign_id, 'held_out' FROM messages m
WHERE m.id BETWEEN (SELECT first_message_id FROM batches WHERE id = $1)
                AND (SELECT last_message_id FROM batches WHERE id = $1)
  AND m.batch_id = $1 AND m.state = 'held_out';

-- name: variant-accepted
-- The messages a batch stored per variant, in the campaign's per-variant counters (metric 'accepted').
INSERT INTO campaign_variant_counters AS v (campaign_id, variant, metric, n)
SELECT m.campaign_id, m.variant, 'accepted', count(*) FROM messages m
WHERE m.id BETWEEN (SELECT first_message_id FROM batches WHERE id = $1)
                AND (SELECT last_message_id FROM batches WHERE id = $1)
  AND m.batch_id = $1 AND m.variant IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (campaign_id, variant, metric) DO UPDATE SET n = v.n + EXCLUDED.n;

-- name: batch-find
SELECT b.id, c.name AS campaign, b.template_name, b.template_version, b.channels, b.priority, b.on_cap,
       b.send_at, b.expires_at, b.accepted, b.rejected, b.created_at, b.variants, b.holdout, b.topic,
       b.send_time_within_hours, b.send_time_optimized, b.send_time_fell_back
FROM batches b JOIN campaigns c ON c.id = b.campaign_id
WHERE b.id = $1 AND b.tenant_id = $2;

-- name: batch-send-time
-- What send-time optimization did for a batch; its messages expire up to the window's end + ttl.
UPDATE batches SET send_time_within_hours = $2, send_time_optimized = $3, send_time_fell_back = $4, expires_at = $5
WHERE id = $1;

-- name: batch-state-counts
-- A batch's messages are found by their id range (kept on the batch), not by an index of their own.
SELECT m.state, count(*) AS n FROM messages m
WHERE m.id BETWEEN (SELECT first_message_id FROM batches WHERE id = $1)
                AND (SELECT last_message_id FROM batches WHERE id = $1)
  AND m.batch_id = $1
GROUP BY m.state;

-- name: queue-depth
-- Queued and retry messages (their queue rows), and those being sent (open in their leases).
SELECT (SELECT count(*) FROM message_queue)
     + (SELECT coalesce(sum(open), 0) FROM message_leases) AS depth;

-- name: queue-metrics
-- The queue for the metrics: queued and retry messages counted on their queue rows, those being sent as the
-- leases count them; the lag is the age of the oldest due message that a dispatcher could claim now (paused
-- campaigns are not lag): each tenant's oldest such queue row on message_queue_due (the tenants found by a skip
-- scan, as the claim finds them), then the oldest of those.
WITH RECURSIVE tenant_scan AS (
  (SELECT tenant_id FROM message_queue ORDER BY tenant_id LIMIT 1)
  UNION ALL
  SELECT (SELECT q.tenant_id FROM message_queue q WHERE q.tenant_id > t.tenant_id ORDER BY q.tenant_id LIMIT 1)
  FROM tenant_scan t WHERE t.tenant_id IS NOT NULL
), oldest AS (
  SELECT d.due_at FROM tenant_scan t
  CROSS JOIN LATERAL (
    SELECT q.due_at FROM message_queue q
    WHERE q.tenant_id = t.tenant_id AND q.due_at <= now()
      AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = q.campaign_id AND c.status = 'paused')
    ORDER BY q.tenant_id, q.due_at
    LIMIT 1
  ) d
  WHERE t.tenant_id IS NOT NULL
)
SELECT (SELECT count(*) FROM message_queue WHERE NOT retry) AS queued,
       (SELECT count(*) FROM message_queue WHERE retry) AS retry,
       (SELECT coalesce(sum(open), 0) FROM message_leases) AS sending,
       (SELECT coalesce(extract(epoch FROM now() - min(due_at)), 0)::float8 FROM oldest) AS lag_seconds;

-- name: dispatch-claim
-- Claims due messages of active campaigns fairly: transactional messages first (oldest first), then
-- every tenant's due messages in turn (each tenant's oldest, then each one's second oldest, …), so that
-- one tenant's large backlog does not hold back another tenant. The candidates are queue rows: the tenants
-- with rows are found by a skip scan of message_queue_due; each brings at most twice its share. Rows another
-- dispatcher has locked are skipped; the rows taken are deleted (a row whose message is no longer queued or
-- retry, erased or expired, goes with them and claims nothing). The claim sets each message's lease and bumps
-- its attempt (the fencing token), in place, and writes one message_leases row for the claim, in one
-- statement. With $4 true, only the first pass runs: a dispatcher that holds too much of a campaign's backlog
-- to claim a full batch still takes transactional messages.
WITH RECURSIVE tenant_scan AS (
  (SELECT tenant_id FROM message_queue WHERE NOT $4::bool ORDER BY tenant_id LIMIT 1)
  UNION ALL
  SELECT (SELECT q.tenant_id FROM message_queue q WHERE q.tenant_id > t.tenant_id ORDER BY q.tenant_id LIMIT 1)
  FROM tenant_scan t WHERE t.tenant_id IS NOT NULL
), waiting AS (
  SELECT tenant_id FROM tenant_scan WHERE tenant_id IS NOT NULL
), candidates AS (
  (SELECT q.ctid AS row, 0 AS pass, 0::bigint AS turn, q.due_at FROM message_queue q
   WHERE q.transactional AND q.due_at <= now()
     AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = q.campaign_id AND c.status = 'paused')
   ORDER BY q.due_at
   LIMIT $1)
  UNION ALL
  SELECT d.row, 1, row_number() OVER (PARTITION BY w.tenant_id ORDER BY d.due_at), d.due_at
  FROM waiting w
  CROSS JOIN LATERAL (
    SELECT q.ctid AS row, q.due_at FROM message_queue q
    WHERE q.tenant_id = w.tenant_id AND q.due_at <= now()
      AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = q.campaign_id AND c.status = 'paused')
    ORDER BY q.tenant_id, q.due_at
    LIMIT greatest(ceil(2.0 * $1 / (SELECT count(*) FROM waiting)), 1)
  ) d
), due AS (
  SELECT q.ctid AS row, q.message_id, c.pass, c.turn, c.due_at FROM message_queue q
  JOIN (SELECT row, min(pass) AS pass, min(turn) AS turn, min(due_at) AS due_at FROM candidates GROUP BY row) c
    ON q.ctid = c.row
  ORDER BY c.pass, c.turn, c.due_at
  LIMIT $1
  FOR UPDATE OF q SKIP LOCKED
), lease AS (
  SELECT nextval(pg_get_serial_sequence('message_leases', 'id')) AS id
), taken AS (
  DELETE FROM message_queue q WHERE q.ctid = ANY (ARRAY(SELECT row FROM due))
  RETURNING q.message_id
), claimed AS (
  UPDATE messages m
  SET state = 'sending', attempt = m.attempt + 1, lease_until = now() + make_interval(secs => $2),
      lease_id = (SELECT id FROM lease), updated_at = now()
  FROM (SELECT DISTINCT message_id FROM taken) t
  WHERE m.id = t.message_id AND m.state IN ('queued', 'retry')
    AND m.id BETWEEN (SELECT min(message_id) FROM taken) AND (SELECT max(message_id) FROM taken)
  RETURNING m.id, m.attempt, m.tenant_id, m.campaign_id, m.batch_id, m.recipient_id, m.addresses, m.locale,
            m.time_zone, m.variables, m.expires_at, m.channel_index, m.priority, m.variant, m.lease_until
), leased AS (
  INSERT INTO message_leases (id, lease_until, first_id, open, message_ids, instance)
  SELECT (SELECT id FROM lease), min(lease_until), min(id), count(*), array_agg(id ORDER BY id), $3::text FROM claimed
  HAVING count(*) > 0
)
SELECT c.id, c.attempt, c.tenant_id, c.campaign_id, c.recipient_id, c.addresses, c.locale, c.time_zone, c.variables,
       c.expires_at <= now() AS expired, c.channel_index, b.channels,
       coalesce((b.variants -> c.variant ->> 'template_id')::bigint, b.template_id) AS template_id, t.name AS tenant,
       cp.name AS campaign, c.priority, b.on_cap, b.topic
FROM claimed c
JOIN batches b ON b.id = c.batch_id
JOIN tenants t ON t.id = c.tenant_id
JOIN campaigns cp ON cp.id = c.campaign_id
JOIN (SELECT message_id, min(pass) AS pass, min(turn) AS turn, min(due_at) AS due_at FROM due GROUP BY message_id) r
  ON r.message_id = c.id
ORDER BY r.pass, r.turn, r.due_at;

-- name: dispatch-record
-- Applies a batch of outcomes, each fenced by its attempt (a completion of an expired lease changes
-- nothing), in place on the message's row. A sent message keeps its send on the row (sent_at, attempt,
-- channel, account, the provider's id), is counted ('sent', 'sent_total', per channel and per variant) here,
-- and gets an event row only when the adapter reported facts about the send; every other outcome appends
-- its event. A message put back (retry, deferred, failover) gets its queue row, due at its new time. A
-- refunded outcome (deferred without a provider call) gives the attempt back.
-- The outcomes reach their messages by primary key. Written as m.state = 'sending', the fence could match
-- an index predicate and let the planner hash every leased message for each statement instead; so the fence
-- compares with a column of the materialized outcomes, and m.id = ANY($1) makes the primary key the cheap way
-- in (a join on o.id alone let the planner hash a sequential scan of the whole table instead). The range of the
-- ids lets the executor skip the partitions of messages that hold none of them (an array parameter does not).
-- A lease is closed or deleted by how many messages it has open as its lock returns it (the newest version, after
-- waiting for another record of the same lease), not as the statement's snapshot has it: with the snapshot's count,
-- the second of two records that close a lease's last messages together neither deleted it nor lowered its count.
WITH o AS MATERIALIZED (
  SELECT *, 'sending'::text AS held
  FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], $5::smallint[], $6::text[], $7::text[],
              $8::text[], $9::text[], $10::text[], $11::bool[], $13::text[])
    AS o(id, attempt, state, delay_ms, channel_index, channel, account, provider_message_id, reason, event, refund,
         details)
), applied AS (
  UPDATE messages m
  SET state = o.state,
      attempt = CASE WHEN o.refund THEN m.attempt - 1 ELSE m.attempt END,
      due_at = CASE WHEN o.delay_ms IS NULL THEN m.due_at ELSE now() + o.delay_ms * interval '1 millisecond' END,
      lease_until = NULL,
      channel_index = o.channel_index,
      channel = coalesce(o.channel, m.channel),
      account = coalesce(o.account, m.account),
      provider_message_id = coalesce(o.provider_message_id, m.provider_message_id),
      last_error = o.reason,
      sent_at = CASE WHEN o.state = 'sent' THEN now() ELSE m.sent_at END,
      updated_at = now()
  FROM o
  WHERE m.id = ANY($1::bigint[]) AND m.id = o.id AND m.attempt = o.attempt AND m.state = o.held
    AND m.id BETWEEN (SELECT min(id) FROM o) AND (SELECT max(id) FROM o)
  RETURNING m.id, m.tenant_id, m.campaign_id, m.due_at, m.priority, m.variant, m.lease_id, o.state, o.attempt,
            o.event, o.reason, o.channel, o.account, o.provider_message_id, o.delay_ms, o.details
), closed AS (
  SELECT relay_close_leases(array_agg(lease_id)) AS leases FROM applied
), requeued AS (
  INSERT INTO message_queue (message_id, tenant_id, campaign_id, due_at, transactional, retry)
  SELECT id, tenant_id, campaign_id, due_at, priority = 'transactional', state = 'retry' FROM applied
  WHERE state IN ('queued', 'retry')
), sent AS (
  SELECT campaign_id, coalesce(channel, 'none') AS channel, variant, count(*) AS n FROM applied
  WHERE state = 'sent' GROUP BY 1, 2, 3
), sent_counted AS (
  INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
  SELECT s.campaign_id, s.channel, k.metric, sum(s.n) FROM sent s CROSS JOIN (VALUES ('sent'), ('sent_total')) k(metric)
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n
), sent_by_variant AS (
  INSERT INTO campaign_variant_counters AS v (campaign_id, variant, metric, n)
  SELECT s.campaign_id, s.variant, k.metric, sum(s.n) FROM sent s CROSS JOIN (VALUES ('sent'), ('sent_total')) k(metric)
  WHERE s.variant IS NOT NULL
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, variant, metric) DO UPDATE SET n = v.n + EXCLUDED.n
), logged AS (
  INSERT INTO events (message_id, tenant_id, campaign_id, type, reason, data)
  SELECT id, tenant_id, campaign_id, event, reason,
         jsonb_strip_nulls(jsonb_build_object('attempt', attempt, 'channel', channel, 'account', account,
                                              'provider_message_id', provider_message_id, 'retry_in_ms', delay_ms,
                                              'instance', $12::text))
         || coalesce(details::jsonb, '{}'::jsonb)
  FROM applied
  WHERE state <> 'sent' OR details IS NOT NULL
)
SELECT a.id FROM applied a CROSS JOIN closed;

-- name: dispatch-reclaim
-- Returns messages whose lease expired (their instance died or stalled) to the queue: the expired
-- message_leases rows, at most $1, are deleted, and their messages still 'sending' past their lease become
-- 'retry', due now, with a 'lease_expired' event each (a lease whose messages all ended leaves nothing).
WITH expired AS (
  SELECT id, first_id, message_ids FROM message_leases WHERE lease_until < now()
  ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED
), ended AS (
  DELETE FROM message_leases l WHERE l.id IN (SELECT id FROM expired)
), reclaimed AS (
  UPDATE messages m SET state = 'retry', lease_until = NULL, due_at = now(), updated_at = now()
  FROM (SELECT DISTINCT unnest(message_ids) AS id FROM expired) x
  WHERE m.id = x.id AND m.state = 'sending' AND m.lease_until < now()
    AND m.id BETWEEN (SELECT min(first_id) FROM expired)
                 AND (SELECT max(message_ids[cardinality(message_ids)]) FROM expired)
  RETURNING m.id, m.tenant_id, m.campaign_id, m.attempt, m.priority, m.due_at
), requeued AS (
  INSERT INTO message_queue (message_id, tenant_id, campaign_id, due_at, transactional, retry)
  SELECT id, tenant_id, campaign_id, due_at, priority = 'transactional', true FROM reclaimed
)
INSERT INTO events (message_id, tenant_id, campaign_id, type, data)
SELECT id, tenant_id, campaign_id, 'lease_expired', jsonb_build_object('attempt', attempt) FROM reclaimed
RETURNING message_id;

-- name: dispatch-release
-- Gives back claimed messages that were never handed to a provider (graceful shutdown): the attempt
-- they were claimed with does not count, and each gets its queue row back. By primary key, as dispatch-record.
WITH o AS MATERIALIZED (
  SELECT *, 'sending'::text AS held FROM unnest($1::bigint[], $2::int[]) AS o(id, attempt)
), released AS (
  UPDATE messages m
  SET state = CASE WHEN m.attempt > 1 THEN 'retry' ELSE 'queued' END, attempt = m.attempt - 1,
      lease_until = NULL, updated_at = now()
  FROM o WHERE m.id = ANY($1::bigint[]) AND m.id = o.id AND m.attempt = o.attempt AND m.state = o.held
    AND m.id BETWEEN (SELECT min(id) FROM o) AND (SELECT max(id) FROM o)
  RETURNING m.id, m.tenant_id, m.campaign_id, m.state, m.priority, m.due_at, m.lease_id
), closed AS (
  SELECT relay_close_leases(array_agg(lease_id)) AS leases FROM released
), requeued AS (
  INSERT INTO message_queue (message_id, tenant_id, campaign_id, due_at, transactional, retry)
  SELECT id, tenant_id, campaign_id, due_at, priority = 'transactional', state = 'retry' FROM released
)
INSERT INTO events (message_id, tenant_id, campaign_id, type)
SELECT r.id, r.tenant_id, r.campaign_id, 'released' FROM released r CROSS JOIN closed
RETURNING message_id;

-- name: campaign-set-status
UPDATE campaigns SET status = $3, paused_reason = $4 WHERE tenant_id = $1 AND name = $2
RETURNING name, status, paused_reason;

-- name: campaigns-paused
SELECT id FROM campaigns WHERE status = 'paused';

-- name: campaign-auto-pause
UPDATE campaigns SET status = 'paused', paused_reason = $2 WHERE id = $1 AND status = 'active'
RETURNING tenant_id, name;

-- name: message-find
SELECT m.id, m.batch_id, m.recipient_id, m.variant, m.state, m.attempt, m.channel, m.account, m.provider_message_id,
       m.last_error, m.due_at, m.expires_at, m.created_at, m.updated_at, c.name AS campaign
FROM messages m JOIN campaigns c ON c.id = m.campaign_id
WHERE m.id = $1 AND m.tenant_id = $2;

-- name: message-events
-- A message's history: its event rows, and its send from the row itself (the happy path writes no event row)
-- unless a 'sent' event row of that moment holds it (the adapter's facts about the send, or an earlier release).
SELECT type, class, reason, data, occurred_at FROM (
  SELECT type, class, reason, data, occurred_at, id FROM events WHERE message_id = $1
  UNION ALL
  SELECT 'sent', NULL, NULL,
         jsonb_strip_nulls(jsonb_build_object('attempt', m.attempt, 'channel', m.channel, 'account', m.account,
                                              'provider_message_id', m.provider_message_id)),
         m.sent_at, NULL
  FROM messages m
  WHERE m.id = $1 AND m.sent_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM events e WHERE e.message_id = $1 AND e.type = 'sent' AND e.occurred_at = m.sent_at)
) h
ORDER BY occurred_at, id NULLS LAST;

-- name: webhook-receipt-insert
INSERT INTO webhook_receipts (adapter, account, url, headers, body) VALUES ($1, $2, $3, $4, $5) RETURNING id;

-- name: webhook-events-insert
-- Events of a receipt; one a provider sent before (same account and event id) is not stored again.
INSERT INTO webhook_events (account, provider_event_id, receipt_id, type, provider_message_id, occurred_at, detail)
SELECT $1, e.id, $2, e.type, e.message_id, e.occurred_at, e.detail
FROM unnest($3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[])
  AS e(id, type, message_id, occurred_at, detail)
ON CONFLICT (account, provider_event_id) DO NOTHING
RETURNING provider_event_id;

-- name: template-resolve
-- The version a batch or a preview uses: the tenant's own versions of the name shadow the shipped ones
-- (tenant_id NULL); the newest unless a version is given.
SELECT id, version, tenant_id IS NULL AS shipped FROM templates
WHERE name = $2 AND (tenant_id = $1 OR tenant_id IS NULL) AND ($3::int IS NULL OR version = $3)
ORDER BY tenant_id IS NULL, version DESC
LIMIT 1;

-- name: template-insert
-- A tenant's new version: one more than the newest of the name it can see (its own and the shipped ones).
INSERT INTO templates (tenant_id, name, version, definition, digest)
SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4
FROM templates WHERE name = $2 AND (tenant_id = $1 OR tenant_id IS NULL)
ON CONFLICT DO NOTHING
RETURNING id, version, created_at;

-- name: template-ship
-- A shipped template: a new version only when its definition differs from the newest shipped one.
WITH latest AS (
  SELECT version, digest FROM templates WHERE tenant_id IS NULL AND name = $1 ORDER BY version DESC LIMIT 1
)
INSERT INTO templates (tenant_id, name, version, definition, digest)
SELECT NULL, $1, coalesce((SELECT version FROM latest), 0) + 1, $2, $3
WHERE NOT EXISTS (SELECT 1 FROM latest WHERE digest = $3)
ON CONFLICT DO NOTHING
RETURNING id, version;

-- name: template-versions
SELECT id, version, tenant_id IS NULL AS shipped, definition ->> 'description' AS description, created_at
FROM templates WHERE name = $2 AND (tenant_id = $1 OR tenant_id IS NULL)
ORDER BY version, tenant_id NULLS FIRST;

-- name: template-definition
SELECT definition FROM templates WHERE id = $1;

-- name: message-ids-of-batch
SELECT m.id FROM messages m
WHERE m.id BETWEEN (SELECT first_message_id FROM batches WHERE id = $1)
                AND (SELECT last_message_id FROM batches WHERE id = $1)
  AND m.batch_id = $1
ORDER BY m.id;

-- name: suppression-add
-- Suppresses an address on a channel for a tenant; the first reason is kept (also when the address was kept
-- as its keyed hash by an erasure).
INSERT INTO suppressions (tenant_id, channel, address, reason, source, message_id)
SELECT $1, $2, $3, $4, $5, $6
WHERE NOT EXISTS (SELECT 1 FROM suppressions WHERE tenant_id = $1 AND channel = $2 AND address = relay_erased($2, $3))
ON CONFLICT (tenant_id, channel, address) DO NOTHING
RETURNING created_at;

-- name: suppression-remove
DELETE FROM suppressions WHERE tenant_id = $1 AND channel = $2 AND address = ANY (ARRAY[$3, relay_erased($2, $3)])
RETURNING reason;

-- name: suppression-list
-- A page of a tenant's list, newest first, optionally of one channel; ($4, $5, $6) is the previous page's
-- last (created_at, channel, address), so that entries added in the same instant are never skipped.
SELECT channel, address, reason, source, message_id, created_at FROM suppressions
WHERE tenant_id = $1 AND ($2::text IS NULL OR channel = $2)
  AND ($4::timestamptz IS NULL OR (created_at, channel, address) < ($4, $5::text, $6::text))
ORDER BY created_at DESC, channel DESC, address DESC
LIMIT $3;

-- name: tracking-context
-- What classifying a batch of tracking hits needs of their messages: tenant, campaign, and when the
-- message was last sent.
SELECT m.id, m.tenant_id, m.campaign_id, m.sent_at
FROM messages m
WHERE m.id = ANY($1::bigint[])
  AND m.id BETWEEN (SELECT min(x) FROM unnest($1::bigint[]) x) AND (SELECT max(x) FROM unnest($1::bigint[]) x);

-- name: tracking-message-hits
-- The opens and clicks already written on these messages since $2 (per message: its send, or the lookback before
-- the new hits when it has none), newest 500 each: the traffic rules judge new hits with them. Walks events_message.
SELECT e.id, e.message_id, e.type, e.class, e.reason, e.data->>'link' AS link, e.data->>'method' AS method,
       e.data->>'ip' AS ip, e.data->>'user_agent' AS user_agent, e.occurred_at
FROM unnest($1::bigint[], $2::timestamptz[]) AS m(id, since)
CROSS JOIN LATERAL (
  SELECT * FROM events x
  WHERE x.message_id = m.id AND x.occurred_at >= m.since AND x.type IN ('opened', 'clicked')
  ORDER BY x.occurred_at DESC LIMIT 500) e;

-- name: tracking-insert
-- Writes tracking hits as events; a hit already written (a journal replayed after a crash) is skipped.
INSERT INTO events (message_id, tenant_id, campaign_id, type, class, reason, data, occurred_at)
SELECT h.message_id, h.tenant_id, h.campaign_id, h.type, h.class, h.reason, h.data::jsonb, h.occurred_at
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::timestamptz[], $9::text[])
  AS h(message_id, tenant_id, campaign_id, type, class, reason, data, occurred_at, hit)
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.message_id = h.message_id AND e.occurred_at = h.occurred_at
                  AND e.data->>'hit' = h.hit)
RETURNING type, class;

-- name: tracking-reclassify
-- Opens and clicks written as human that later traffic of their message showed to be a machine's, each with its
-- reason. The trigger events_remarked takes back what they counted as human (campaign_counters, engagement_firsts).
UPDATE events e SET class = 'machine', reason = r.reason
FROM unnest($1::bigint[], $2::text[]) AS r(id, reason)
WHERE e.id = r.id AND e.class = 'human'
RETURNING e.type;

-- name: unsubscribe-target
-- The message an unsubscribe token names, with what its preference page needs: the recipient, its locale and the
-- topic of the message's batch.
SELECT m.tenant_id, m.campaign_id, m.addresses->>'email' AS address, m.recipient_id, m.locale, b.topic
FROM messages m JOIN batches b ON b.id = m.batch_id WHERE m.id = $1;

-- name: unsubscribed-event
-- One 'unsubscribed' event per message, however often its link is used.
INSERT INTO events (message_id, tenant_id, campaign_id, type, reason, data)
SELECT $1::bigint, $2::bigint, $3::bigint, 'unsubscribed', $4::text, $5::jsonb
WHERE NOT EXISTS (SELECT 1 FROM events WHERE message_id = $1::bigint AND type = 'unsubscribed');
-- name: suppression-find-many
-- Which of these (tenant, channel, address) triples are suppressed: one query for a dispatcher's whole group.
-- An erased recipient's suppressed address is kept as its keyed hash (relay_erased) and found by it.
SELECT q.tenant_id, q.channel, q.address, s.reason FROM suppressions s
JOIN unnest($1::bigint[], $2::text[], $3::text[]) AS q(tenant_id, channel, address)
  ON s.tenant_id = q.tenant_id AND s.channel = q.channel
 AND s.address = ANY (ARRAY[q.address, relay_erased(q.channel, q.address)]);

-- name: webhook-apply
-- Applies a batch of stored, unapplied provider events to their messages, in one statement: an event names
-- its message by the provider's id (and the account), or, for a STOP, the address (the latest message of each
-- tenant sent there through the account). 'delivered' moves sent -> delivered only; a hard bounce or a failure
-- moves sent/delivered -> failed; opens and clicks are events, never states, so order does not matter. Each
-- applied event appends an event row; hard bounces, complaints, unsubscribes and STOPs suppress the address.
-- An event whose message is not known yet is tried again after $2 seconds, and given up (noted) once its
-- receipt is older than $3 seconds.
WITH pending AS (
  SELECT w.account, w.provider_event_id, w.type, w.provider_message_id, w.occurred_at, w.detail, r.adapter,
         r.received_at
  FROM webhook_events w JOIN webhook_receipts r ON r.id = w.receipt_id
  WHERE w.applied_at IS NULL AND (w.tried_at IS NULL OR w.tried_at < now() - make_interval(secs => $2))
  ORDER BY w.receipt_id
  LIMIT $1
  FOR UPDATE OF w SKIP LOCKED
), by_message AS (
  SELECT p.*, m.id AS message_id, m.tenant_id, m.campaign_id, m.channel, m.addresses ->> m.channel AS address
  FROM pending p JOIN messages m ON m.provider_message_id = p.provider_message_id AND m.account = p.account
  WHERE p.provider_message_id IS NOT NULL
), by_address AS (
  SELECT DISTINCT ON (p.account, p.provider_event_id, m.tenant_id)
         p.*, m.id AS message_id, m.tenant_id, m.campaign_id, m.channel, m.addresses ->> m.channel AS address
  FROM pending p JOIN messages m ON m.account = p.account AND m.channel IS NOT NULL AND m.channel <> 'email'
   AND (m.addresses ->> m.channel) = p.detail ->> 'address'
  WHERE p.provider_message_id IS NULL AND p.detail ->> 'address' IS NOT NULL
  ORDER BY p.account, p.provider_event_id, m.tenant_id, m.id DESC
), targets AS (
  SELECT t.*,
         CASE t.type WHEN 'delivered' THEN 'delivered' WHEN 'bounced_hard' THEN 'bounced'
           WHEN 'bounced_soft' THEN 'bounced' WHEN 'complained' THEN 'complained' WHEN 'opened' THEN 'opened'
           WHEN 'read' THEN 'opened' WHEN 'clicked' THEN 'clicked' WHEN 'unsubscribed' THEN 'unsubscribed'
           WHEN 'failed' THEN 'failed' END AS event,
         CASE WHEN t.type IN ('opened', 'read', 'clicked') THEN
           CASE WHEN (t.detail ->> 'sg_machine_open') = 'true' THEN 'machine' ELSE 'human' END END AS class
  FROM (SELECT * FROM by_message UNION ALL SELECT * FROM by_address) t
), states AS (
  UPDATE messages m
  SET state = CASE WHEN a.fails AND m.state IN ('sent', 'delivered') THEN 'failed'
                   WHEN a.delivered AND m.state = 'sent' THEN 'delivered' ELSE m.state END,
      last_error = CASE WHEN a.fails AND m.state IN ('sent', 'delivered') THEN a.reason ELSE m.last_error END,
      updated_at = now()
  FROM (SELECT message_id, bool_or(type = 'delivered') AS delivered,
               bool_or(type IN ('bounced_hard', 'failed')) AS fails,
               max(CASE WHEN type IN ('bounced_hard', 'failed')
                 THEN 'provider reported ' || replace(type, '_', ' ') || coalesce(': ' || (detail ->> 'reason'), '')
                 END) AS reason
        FROM targets GROUP BY message_id) a
  WHERE m.id = a.message_id AND ((a.fails AND m.state IN ('sent', 'delivered')) OR (a.delivered AND m.state = 'sent'))
  RETURNING m.id
), logged AS (
  INSERT INTO events (message_id, tenant_id, campaign_id, type, class, reason, data, occurred_at)
  SELECT message_id, tenant_id, campaign_id, event, class,
         CASE WHEN class IS NOT NULL THEN 'provider'
              WHEN type = 'unsubscribed' AND provider_message_id IS NULL THEN 'stop'
              ELSE detail ->> 'reason' END,
         jsonb_strip_nulls(jsonb_build_object('channel', channel, 'adapter', adapter, 'account', account,
           'provider_event_id', provider_event_id, 'url', detail ->> 'url',
           'bounce', CASE type WHEN 'bounced_hard' THEN 'hard' WHEN 'bounced_soft' THEN 'soft' END,
           'detail', detail)),
         coalesce(occurred_at, received_at)
  FROM targets WHERE event IS NOT NULL
  RETURNING message_id
), suppressed AS (
  INSERT INTO suppressions (tenant_id, channel, address, reason, source, message_id)
  SELECT DISTINCT ON (tenant_id, channel, address) tenant_id, channel, address,
         CASE WHEN type = 'bounced_hard' THEN 'hard_bounce' WHEN type = 'complained' THEN 'complaint'
              WHEN provider_message_id IS NULL OR channel <> 'email' THEN 'stop' ELSE 'unsubscribed' END,
         'webhook:' || adapter || '/' || account, message_id
  FROM targets
  WHERE type IN ('bounced_hard', 'complained', 'unsubscribed') AND address IS NOT NULL
  ORDER BY tenant_id, channel, address, message_id
  ON CONFLICT (tenant_id, channel, address) DO NOTHING
  RETURNING tenant_id
), marked AS (
  UPDATE webhook_events w
  SET tried_at = now(), apply_attempts = w.apply_attempts + 1,
      applied_at = CASE WHEN x.matched OR p.received_at < now() - make_interval(secs => $3) THEN now() END,
      applied_note = CASE WHEN x.matched THEN NULL
                          WHEN p.received_at < now() - make_interval(secs => $3) THEN 'no message matched; given up'
                          ELSE 'no message matched yet' END
  FROM pending p
  CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM targets t WHERE t.account = p.account
                                     AND t.provider_event_id = p.provider_event_id) AS matched) x
  WHERE w.account = p.account AND w.provider_event_id = p.provider_event_id
  RETURNING w.applied_at IS NOT NULL AS applied
)
SELECT (SELECT count(*) FROM pending) AS picked,
       (SELECT count(*) FROM marked WHERE applied) AS applied,
       (SELECT count(*) FROM logged) AS events,
       (SELECT count(*) FROM suppressed) AS suppressed,
       (SELECT count(*) FROM states) AS states;

-- name: events-maintain
SELECT relay_events_maintain($1, $2) AS result;

-- name: messages-maintain
-- Retention of messages (messages.retention-days): a new partition of messages every day, and the partitions
-- closed longer ago than $1 days with every message finished dropped whole (see V23__messages_partitioned.sql).
SELECT relay_messages_maintain($1) AS result;

-- name: campaign-stats
-- A campaign's counters by channel (kept by the events trigger), and what its batches accepted by their
-- first channel (the counters' 'accepted' holds what batches deleted by the retention had accepted).
SELECT cc.channel, cc.metric, cc.n FROM campaign_counters cc
JOIN campaigns c ON c.id = cc.campaign_id
WHERE c.tenant_id = $1 AND c.name = $2
UNION ALL
SELECT b.channels[1], 'accepted', sum(b.accepted) FROM batches b
JOIN campaigns c ON c.id = b.campaign_id
WHERE c.tenant_id = $1 AND c.name = $2
GROUP BY b.channels[1];

-- name: campaign-variant-stats
-- A campaign's counters per variant (kept by the events triggers and intake).
SELECT v.variant, v.metric, v.n FROM campaign_variant_counters v
JOIN campaigns c ON c.id = v.campaign_id
WHERE c.tenant_id = $1 AND c.name = $2;

-- name: campaign-exists
SELECT id FROM campaigns WHERE tenant_id = $1 AND name = $2;

-- name: recipient-history
-- A recipient's engagement facts, newest first, with the campaign and template of each message. A send is the
-- message's sent_at (the happy path writes no event row); a 'sent' event row repeats it and is left out.
SELECT e.type, e.class, e.reason, e.occurred_at, e.url, m.id AS message_id,
       coalesce(e.channel, m.channel) AS channel, c.name AS campaign,
       coalesce(b.variants -> m.variant ->> 'template', b.template_name) AS template_name
FROM messages m
CROSS JOIN LATERAL (
  SELECT x.type, x.class, x.reason, x.occurred_at, x.data ->> 'url' AS url, x.data ->> 'channel' AS channel, x.id
  FROM events x
  WHERE x.message_id = m.id
    AND x.type IN ('delivered', 'bounced', 'failed', 'suppressed', 'opened', 'clicked', 'unsubscribed',
                   'complained', 'opted_out')
  UNION ALL
  SELECT 'sent', NULL, NULL, m.sent_at, NULL, NULL, NULL WHERE m.sent_at IS NOT NULL
) e
JOIN campaigns c ON c.id = m.campaign_id
JOIN batches b ON b.id = m.batch_id
WHERE m.tenant_id = $1 AND m.recipient_id = $2
ORDER BY e.occurred_at DESC, e.id DESC NULLS LAST
LIMIT $3;

-- name: recipient-ladder-facts
-- What the engagement ladder needs of a recipient, however long the history: the human opens and clicks of
-- the last $3 days, one row per kind, campaign, template and link (the newest of each).
SELECT e.type, e.class, max(e.occurred_at) AS occurred_at, e.data ->> 'url' AS url, c.name AS campaign,
       coalesce(b.variants -> m.variant ->> 'template', b.template_name) AS template_name
FROM messages m
JOIN events e ON e.message_id = m.id
JOIN campaigns c ON c.id = m.campaign_id
JOIN batches b ON b.id = m.batch_id
WHERE m.tenant_id = $1 AND m.recipient_id = $2 AND e.type IN ('opened', 'clicked') AND e.class = 'human'
  AND e.occurred_at >= now() - make_interval(days => $3)
GROUP BY e.type, e.class, e.data ->> 'url', c.name, coalesce(b.variants -> m.variant ->> 'template', b.template_name);

-- name: topic-upsert
-- Creates or replaces a tenant's topic; created is true for a new one (xmax is 0 only on an inserted row).
INSERT INTO topics AS t (tenant_id, name, description, default_opted_in, per_channel, locales)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, name) DO UPDATE SET description = EXCLUDED.description,
  default_opted_in = EXCLUDED.default_opted_in, per_channel = EXCLUDED.per_channel, locales = EXCLUDED.locales,
  updated_at = now()
RETURNING (t.xmax = 0) AS created;

-- name: topic-list
SELECT name, description, default_opted_in, per_channel, locales, created_at, updated_at FROM topics
WHERE tenant_id = $1 ORDER BY name;

-- name: topic-find
SELECT name, description, default_opted_in, per_channel, locales, created_at, updated_at FROM topics
WHERE tenant_id = $1 AND name = $2;

-- name: topics-per-channel
SELECT name, per_channel FROM topics WHERE tenant_id = $1 AND name = ANY($2::text[]);

-- name: preference-rows
-- A recipient's choices, and those kept under the keyed hash of its id when it was erased (erased: true; only
-- opt-outs are kept); a choice made since wins over a kept one of the same topic and channel.
SELECT topic, channel, opted_in, source, updated_at, recipient_id <> $2 AS erased FROM preferences
WHERE tenant_id = $1 AND recipient_id = ANY (ARRAY[$2, relay_erased('recipient', $2)]);

-- name: preference-forget-topics
-- Opting out of every topic forgets the recipient's topic-wide choices (its per-channel opt-outs stay: they only
-- ever narrow), so that "every topic" decides until the recipient chooses a topic again. A topic it was opted in to
-- is recorded as opted out in its history.
WITH forgotten AS (
  DELETE FROM preferences WHERE tenant_id = $1 AND recipient_id = $2 AND topic <> '*' AND channel = '*'
  RETURNING topic, opted_in
)
INSERT INTO preference_events (tenant_id, recipient_id, topic, channel, opted_in, source, message_id)
SELECT $1, $2, topic, '*', false, $3, $4 FROM forgotten WHERE opted_in
RETURNING recipient_id, topic, channel, opted_in, source, message_id, occurred_at;

-- name: preference-lift-all
-- Lifts an opt-out of every topic (also one kept from before the recipient was erased), recording it when there
-- was one.
WITH lifted AS (
  DELETE FROM preferences
  WHERE tenant_id = $1 AND recipient_id = ANY (ARRAY[$2, relay_erased('recipient', $2)]) AND topic = '*'
    AND channel = '*'
  RETURNING topic
)
INSERT INTO preference_events (tenant_id, recipient_id, topic, channel, opted_in, source, message_id)
SELECT $1, $2, '*', '*', true, $3, $4 FROM (SELECT DISTINCT topic FROM lifted) l
RETURNING recipient_id, topic, channel, opted_in, source, message_id, occurred_at;

-- name: preference-set
-- Writes a recipient's choices ($3 topic, $4 channel, $5 opted_in; '*' for every topic or channel) and records each
-- one that changed something (a new choice, or one that flips) in its history.
WITH c AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::bool[]) AS c(topic, channel, opted_in)
), written AS (
  INSERT INTO preferences AS p (tenant_id, recipient_id, topic, channel, opted_in, source)
  SELECT $1, $2, topic, channel, opted_in, $6 FROM c
  ON CONFLICT (tenant_id, recipient_id, topic, channel) DO UPDATE
    SET opted_in = EXCLUDED.opted_in, source = EXCLUDED.source, updated_at = now()
    WHERE p.opted_in IS DISTINCT FROM EXCLUDED.opted_in
  RETURNING topic, channel, opted_in
)
INSERT INTO preference_events (tenant_id, recipient_id, topic, channel, opted_in, source, message_id)
SELECT $1, $2, topic, channel, opted_in, $6, $7 FROM written
RETURNING recipient_id, topic, channel, opted_in, source, message_id, occurred_at;

-- name: preference-history
SELECT recipient_id, topic, channel, opted_in, source, message_id, occurred_at FROM preference_events
WHERE tenant_id = $1 AND recipient_id = $2
ORDER BY occurred_at DESC, id DESC
LIMIT $3;

-- name: preference-resolve-many
-- What dispatch needs to know of (tenant, recipient, topic) triples, in one query for a dispatcher's whole group:
-- each topic's default and the recipient's choices of that topic and of every topic ('*'), by the primary key,
-- with those kept under the keyed hash of its id if it was erased (erased: true). Planned as one scan of
-- preferences_pkey per triple (500 triples over 200,000 stored choices: 9 ms, most of it computing the hashes).
WITH q AS (
  SELECT DISTINCT * FROM unnest($1::bigint[], $2::text[], $3::text[]) AS q(tenant_id, recipient_id, topic)
)
SELECT q.tenant_id, q.recipient_id, q.topic, t.default_opted_in, p.topic AS chosen_topic, p.channel, p.opted_in,
       p.recipient_id <> q.recipient_id AS erased
FROM q
JOIN topics t ON t.tenant_id = q.tenant_id AND t.name = q.topic
LEFT JOIN preferences p ON p.tenant_id = q.tenant_id
  AND p.recipient_id = ANY (ARRAY[q.recipient_id, relay_erased('recipient', q.recipient_id)])
  AND p.topic IN (q.topic, '*');
-- name: experiment-create
-- A campaign's test, created by the first batch that gives one; its wait starts when that batch is due.
INSERT INTO campaign_experiments (campaign_id, tenant_id, config, decide_at)
VALUES ($1, $2, $3, coalesce($4, now()) + make_interval(secs => $5))
ON CONFLICT (campaign_id) DO NOTHING;

-- name: experiment-lock
-- Intake reads the campaign's test under a share lock: a decision taken meanwhile waits for the batch to commit
-- (and then releases its waiting messages too), and a batch that comes after a decision sees it.
SELECT config, status, winner FROM campaign_experiments WHERE campaign_id = $1 FOR SHARE;

-- name: experiment-find
SELECT e.campaign_id, e.tenant_id, c.name AS campaign, e.config, e.status, e.created_at, e.decide_at, e.decided_at,
       e.winner, e.decision
FROM campaign_experiments e JOIN campaigns c ON c.id = e.campaign_id
WHERE c.tenant_id = $1 AND c.name = $2;

-- name: experiments-due
-- Tests whose wait has passed, oldest first (on campaign_experiments_due).
SELECT e.campaign_id, e.tenant_id, c.name AS campaign, e.config
FROM campaign_experiments e JOIN campaigns c ON c.id = e.campaign_id
WHERE e.status = 'testing' AND e.decide_at <= now()
ORDER BY e.decide_at
LIMIT $1;

-- name: experiment-counters
-- A campaign's per-variant counters of these metrics (campaign_variant_counters, kept by the events triggers).
SELECT variant, metric, n FROM campaign_variant_counters WHERE campaign_id = $1 AND metric = ANY($2::text[]);

-- name: experiment-waiting-counts
SELECT count(*) AS n FROM messages WHERE campaign_id = $1 AND waiting;

-- name: experiment-decide
-- Ends a test: only one of several instances (or an operator's force or cancel) wins, the one whose update finds it
-- still testing.
UPDATE campaign_experiments SET status = $2, decided_at = now(), winner = $3, decision = $4
WHERE campaign_id = $1 AND status = 'testing'
RETURNING campaign_id;

-- name: experiments-releasing
-- Ended tests whose campaign still has waiting messages: the campaigns with waiting messages found by a skip scan
-- of messages_waiting (one probe a campaign, however many messages wait), then those whose test has ended.
WITH RECURSIVE waiting AS (
  (SELECT campaign_id FROM messages WHERE waiting ORDER BY campaign_id LIMIT 1)
  UNION ALL
  SELECT (SELECT m.campaign_id FROM messages m WHERE m.waiting AND m.campaign_id > w.campaign_id
          ORDER BY m.campaign_id LIMIT 1)
  FROM waiting w WHERE w.campaign_id IS NOT NULL
)
SELECT e.campaign_id, e.tenant_id, c.name AS campaign, e.status, e.winner
FROM waiting w
JOIN campaign_experiments e ON e.campaign_id = w.campaign_id
JOIN campaigns c ON c.id = e.campaign_id
WHERE e.status <> 'testing';

-- name: experiment-waiting-chunk
-- A chunk of a campaign's waiting messages, locked (another instance releasing the same campaign takes the next).
SELECT id, batch_id, recipient_id FROM messages
WHERE campaign_id = $1 AND waiting
ORDER BY campaign_id, id
LIMIT $2
FOR UPDATE SKIP LOCKED;

-- name: batch-variants
SELECT id, variants FROM batches WHERE id = ANY($1::uuid[]);

-- name: experiment-release
-- Releases waiting messages with their variant: queued and due now (or at their batch's send_at), with their queue
-- row, their time to live counted from now, one 'experiment_released' event each, and counted as accepted for their
-- variant.
WITH o AS MATERIALIZED (
  SELECT * FROM unnest($1::bigint[], $2::text[]) AS o(id, variant)
), released AS (
  UPDATE messages m
  SET state = 'queued', variant = o.variant, due_at = greatest(m.due_at, now()),
      expires_at = greatest(m.due_at, now()) + (m.expires_at - m.due_at), updated_at = now()
  FROM o WHERE m.id = ANY($1::bigint[]) AND m.id = o.id AND m.state = 'waiting'
    AND m.id BETWEEN (SELECT min(id) FROM o) AND (SELECT max(id) FROM o)
  RETURNING m.id, m.tenant_id, m.campaign_id, o.variant, m.due_at, m.priority
), queued AS (
  INSERT INTO message_queue (message_id, tenant_id, campaign_id, due_at, transactional)
  SELECT id, tenant_id, campaign_id, due_at, priority = 'transactional' FROM released
), logged AS (
  INSERT INTO events (message_id, tenant_id, campaign_id, type, data)
  SELECT id, tenant_id, campaign_id, 'experiment_released', jsonb_build_object('variant', variant, 'by', $3::text)
  FROM released
), counted AS (
  INSERT INTO campaign_variant_counters AS v (campaign_id, variant, metric, n)
  SELECT campaign_id, variant, 'accepted', count(*) FROM released GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (campaign_id, variant, metric) DO UPDATE SET n = v.n + EXCLUDED.n
)
SELECT count(*) AS n FROM released;

-- name: recipient-erase
-- Erases a recipient of a tenant (DELETE /v1/recipients/{id}) in one statement. Their messages keep their
-- state, times, campaign and counted events, but lose the addresses, variables, locale and time zone, and
-- the recipient id becomes its keyed hash; an address quoted in a reason is replaced by '[erased]'. Messages
-- not sent yet end 'suppressed' (event 'suppressed') and leave the queue. Their conversions keep their figures
-- under the hashed id.
-- Events lose the clicked URL, IP address, user agent and
-- provider detail; the provider's webhook events of the messages lose their detail and their raw receipts
-- their body and headers. A suppressed address of the recipient stays suppressed under its keyed hash
-- (relay_erased), which dispatch and the suppression API look up beside the plain address. Likewise the
-- recipient's topic opt-outs stay in force under the keyed hash of its id (its opt-ins are dropped: the topic's
-- default applies again), and its preference history is kept under that hash.
WITH target AS (
  SELECT m.id, m.state, m.addresses, m.provider_message_id, m.account
  FROM messages m WHERE m.tenant_id = $1 AND m.recipient_id = $2
  FOR UPDATE
), addresses AS (
  SELECT DISTINCT a.key AS channel, a.value AS address FROM target t, jsonb_each_text(t.addresses) a
), secrets AS (
  SELECT coalesce(array_agg(address), '{}') || ARRAY[$2::text] AS list FROM addresses
), hashed AS (
  UPDATE suppressions s SET address = relay_erased(s.channel, s.address)
  FROM addresses a
  WHERE s.tenant_id = $1 AND s.channel = a.channel AND s.address = a.address
    AND NOT EXISTS (SELECT 1 FROM suppressions d WHERE d.tenant_id = $1 AND d.channel = a.channel
                    AND d.address = relay_erased(a.channel, a.address))
  RETURNING 1
), twins AS (
  DELETE FROM suppressions s USING addresses a
  WHERE s.tenant_id = $1 AND s.channel = a.channel AND s.address = a.address
    AND EXISTS (SELECT 1 FROM suppressions d WHERE d.tenant_id = $1 AND d.channel = a.channel
                AND d.address = relay_erased(a.channel, a.address))
  RETURNING 1
), erased AS (
  UPDATE messages m
  SET recipient_id = relay_erased('recipient', $2), addresses = '{}', variables = '{}', locale = NULL,
      time_zone = NULL,
      state = CASE WHEN m.state IN ('waiting', 'queued', 'retry') THEN 'suppressed' ELSE m.state END,
      last_error = CASE WHEN m.state IN ('waiting', 'queued', 'retry') THEN 'the recipient was erased'
                        ELSE relay_redact(m.last_error, (SELECT list FROM secrets)) END,
      updated_at = now()
  FROM target t WHERE m.id = t.id
  RETURNING m.id, m.tenant_id, m.campaign_id, t.state AS was
), dequeued AS (
  DELETE FROM message_queue q
  WHERE q.tenant_id = $1 AND q.message_id IN (SELECT id FROM erased WHERE was IN ('queued', 'retry'))
), conversions_erased AS (
  UPDATE conversions c SET recipient_id = relay_erased('recipient', $2)
  WHERE c.tenant_id = $1 AND c.recipient_id = $2
  RETURNING c.id
), attributions_erased AS (
  UPDATE conversion_attributions a SET recipient_id = relay_erased('recipient', $2)
  WHERE a.conversion_id IN (SELECT id FROM conversions_erased)
  RETURNING 1
), stopped AS (
  INSERT INTO events (message_id, tenant_id, campaign_id, type, reason)
  SELECT id, tenant_id, campaign_id, 'suppressed', 'the recipient was erased' FROM erased
  WHERE was IN ('waiting', 'queued', 'retry')
  RETURNING 1
), events_erased AS (
  UPDATE events e SET data = e.data - 'url' - 'ip' - 'user_agent' - 'detail',
                      reason = relay_redact(e.reason, (SELECT list FROM secrets))
  FROM target t WHERE e.message_id = t.id
  RETURNING 1
), provider_events AS (
  UPDATE webhook_events w SET detail = NULL
  FROM target t WHERE w.provider_message_id = t.provider_message_id AND w.account = t.account
  RETURNING w.receipt_id
), stop_events AS (
  UPDATE webhook_events w SET detail = NULL
  FROM addresses a WHERE w.provider_message_id IS NULL AND w.detail ->> 'address' = a.address
  RETURNING w.receipt_id
), receipts AS (
  UPDATE webhook_receipts r SET body = ''::bytea, headers = '{}'::jsonb
  WHERE r.id IN (SELECT receipt_id FROM provider_events UNION SELECT receipt_id FROM stop_events)
  RETURNING 1
), choices_hashed AS (
  UPDATE preferences p SET recipient_id = relay_erased('recipient', $2)
  WHERE p.tenant_id = $1 AND p.recipient_id = $2 AND NOT p.opted_in
    AND NOT EXISTS (SELECT 1 FROM preferences d WHERE d.tenant_id = $1 AND d.recipient_id = relay_erased('recipient', $2)
                    AND d.topic = p.topic AND d.channel = p.channel)
  RETURNING 1
), choices_dropped AS (
  DELETE FROM preferences p
  WHERE p.tenant_id = $1 AND p.recipient_id = $2
    AND (p.opted_in OR EXISTS (SELECT 1 FROM preferences d WHERE d.tenant_id = $1
                               AND d.recipient_id = relay_erased('recipient', $2)
                               AND d.topic = p.topic AND d.channel = p.channel))
  RETURNING 1
), choice_events AS (
  UPDATE preference_events e SET recipient_id = relay_erased('recipient', $2)
  WHERE e.tenant_id = $1 AND e.recipient_id = $2
  RETURNING 1
)
SELECT (SELECT count(*) FROM erased) AS messages, (SELECT count(*) FROM stopped) AS stopped,
       (SELECT count(*) FROM events_erased) AS events,
       (SELECT count(*) FROM hashed) + (SELECT count(*) FROM twins) AS suppressions,
       (SELECT count(*) FROM receipts) AS webhook_receipts, (SELECT count(*) FROM conversions_erased) AS conversions,
       (SELECT count(*) FROM choices_hashed) + (SELECT count(*) FROM choices_dropped) AS preferences,
       (SELECT count(*) FROM choice_events) AS preference_events;

-- name: conversion-find
SELECT id, request_hash FROM conversions WHERE tenant_id = $1 AND key = $2;

-- name: recipient-known
-- Whether the tenant ever sent (or held out) anything to a recipient id: through messages_recipient.
SELECT EXISTS (SELECT 1 FROM messages WHERE tenant_id = $1 AND recipient_id = $2) AS known;

-- name: conversion-insert
INSERT INTO conversions (tenant_id, key, request_hash, recipient_id, occurred_at, value, currency, campaign_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (tenant_id, key) DO NOTHING
RETURNING id;

-- name: conversion-attribute
-- Attributes the conversions $1 (ids) with an attribution window of $2 hours: to every campaign whose message
-- reached the recipient (its sent_at) or held them out (a 'held_out' event) in (occurred_at - window,
-- occurred_at], and only to the conversion's own campaign when it names one. The conversion's value goes to the
-- campaign of the recipient's last human click in the window among those messages (none: to no campaign). One row
-- per conversion and campaign: the clicked message first, then a reached one before a held-out one, then the latest.
-- The bounds on events.occurred_at by the row's own window leave every daily partition in the plan, probed once per
-- message (the join's bounds do not prune); the same bounds as init-plan values (over all the conversions) let the
-- executor skip the partitions outside the window: 0.8 ms against 28 ms for a recipient of 30 messages with 300
-- daily partitions.
WITH c AS (
  SELECT id, tenant_id, recipient_id, occurred_at, occurred_at - make_interval(hours => $2) AS since, value, currency,
         campaign_id
  FROM conversions WHERE id = ANY($1::bigint[])
), touches AS (
  SELECT c.id AS conversion_id, m.id AS message_id, m.campaign_id, m.variant, false AS held_out,
         m.sent_at AS occurred_at
  FROM c
  JOIN messages m ON m.tenant_id = c.tenant_id AND m.recipient_id = c.recipient_id
    AND (c.campaign_id IS NULL OR m.campaign_id = c.campaign_id)
  WHERE m.sent_at > c.since AND m.sent_at <= c.occurred_at
  UNION ALL
  SELECT c.id, m.id, m.campaign_id, m.variant, true, e.occurred_at
  FROM c
  JOIN messages m ON m.tenant_id = c.tenant_id AND m.recipient_id = c.recipient_id
    AND (c.campaign_id IS NULL OR m.campaign_id = c.campaign_id)
  JOIN events e ON e.message_id = m.id AND e.type = 'held_out'
    AND e.occurred_at > c.since AND e.occurred_at <= c.occurred_at
    AND e.occurred_at > (SELECT min(since) FROM c) AND e.occurred_at <= (SELECT max(occurred_at) FROM c)
), last_click AS (
  SELECT DISTINCT ON (t.conversion_id) t.conversion_id, t.message_id
  FROM touches t
  JOIN c ON c.id = t.conversion_id
  JOIN events e ON e.message_id = t.message_id AND e.type = 'clicked' AND e.class = 'human'
    AND e.occurred_at > c.since AND e.occurred_at <= c.occurred_at
    AND e.occurred_at > (SELECT min(since) FROM c) AND e.occurred_at <= (SELECT max(occurred_at) FROM c)
  WHERE NOT t.held_out
  ORDER BY t.conversion_id, e.occurred_at DESC, e.id DESC
), chosen AS (
  SELECT DISTINCT ON (t.conversion_id, t.campaign_id) t.conversion_id, t.campaign_id, t.message_id, t.variant,
         t.held_out, lc.message_id IS NOT NULL AS last_click
  FROM touches t LEFT JOIN last_click lc ON lc.conversion_id = t.conversion_id AND lc.message_id = t.message_id
  ORDER BY t.conversion_id, t.campaign_id, lc.message_id IS NOT NULL DESC, t.held_out, t.occurred_at DESC
)
INSERT INTO conversion_attributions (conversion_id, campaign_id, recipient_id, message_id, variant, held_out,
                                     last_click, revenue, currency)
SELECT ch.conversion_id, ch.campaign_id, c.recipient_id, ch.message_id, ch.variant, ch.held_out, ch.last_click,
       CASE WHEN ch.last_click THEN c.value END, CASE WHEN ch.last_click THEN c.currency END
FROM chosen ch JOIN c ON c.id = ch.conversion_id;

-- name: conversion-answer
-- A stored conversion and its attributions, to answer (or answer again) its POST.
SELECT cv.recipient_id, cv.occurred_at, cv.value::text AS value, cv.currency, oc.name AS only_campaign,
       cp.name AS campaign, a.variant, a.held_out, a.last_click, a.revenue::text AS revenue
FROM conversions cv
LEFT JOIN campaigns oc ON oc.id = cv.campaign_id
LEFT JOIN conversion_attributions a ON a.conversion_id = cv.id
LEFT JOIN campaigns cp ON cp.id = a.campaign_id
WHERE cv.id = $1
ORDER BY cp.name;

-- name: campaign-conversions
-- A campaign's recipients by variant and group, and how many of them converted. Reached: a message of the campaign
-- was sent (sent_at); held out: a 'held_out' event; a recipient in both (two batches) counts as reached. Found
-- through the campaign's batches (their messages' id ranges), events_campaign and the attributions' index, never by
-- scanning messages.
WITH touches AS (
  SELECT m.recipient_id, m.variant, false AS held_out, m.sent_at AS occurred_at
  FROM batches b
  JOIN messages m ON m.id BETWEEN b.first_message_id AND b.last_message_id AND m.batch_id = b.id
  WHERE b.campaign_id = $1 AND m.sent_at IS NOT NULL
  UNION ALL
  SELECT m.recipient_id, m.variant, true, e.occurred_at
  FROM events e JOIN messages m ON m.id = e.message_id
  WHERE e.campaign_id = $1 AND e.type = 'held_out'
), population AS (
  SELECT DISTINCT ON (recipient_id) recipient_id, variant, held_out FROM touches
  ORDER BY recipient_id, held_out, occurred_at DESC
), converted AS (
  SELECT DISTINCT recipient_id, held_out FROM conversion_attributions WHERE campaign_id = $1
)
SELECT p.variant, p.held_out, count(*) AS recipients, count(cv.recipient_id) AS converted
FROM population p LEFT JOIN converted cv ON cv.recipient_id = p.recipient_id AND cv.held_out = p.held_out
GROUP BY p.variant, p.held_out;

-- name: campaign-revenue
-- The revenue of a campaign's last clicks, by the clicked message's variant and currency.
SELECT variant, currency, sum(revenue)::text AS revenue FROM conversion_attributions
WHERE campaign_id = $1 AND last_click AND revenue IS NOT NULL
GROUP BY variant, currency;

-- name: time-zone-names
-- The time zones PostgreSQL knows (read once per process: the view reads every zone file).
SELECT array_agg(name) AS names FROM pg_timezone_names;

-- name: send-time-recipient-hours
-- Send-time optimization: the human opens and clicks of the last $5 days of each recipient in $2, read in the
-- recipient's time zone ($3: the batch's; else the zone of its newest message that has one; else UTC; a zone not
-- in $6, the zones PostgreSQL knows, is read as UTC), counted and weighted by recency (half-life $4 days) per
-- local hour. One row per recipient with any such event. Machine events are never read. The LATERAL subqueries
-- (their LIMITs, which bound the work per recipient: its newest 500 messages, 100 events each, keep them from
-- being flattened) hold the plan to one index probe per recipient on messages_recipient and per message on each
-- partition's events_message, whatever the statistics say: the planner cannot estimate an unnest of a parameter,
-- and on fresh tables it chose a nested loop over sequential scans. The zone is found with a window over the rows
-- rather than a join back to them (a nested loop over a CTE is quadratic).
WITH given AS (
  SELECT * FROM unnest($2::text[], $3::text[]) AS g(recipient_id, zone)
), history AS (
  SELECT g.recipient_id, e.occurred_at,
         coalesce(g.zone, first_value(m.time_zone) OVER (PARTITION BY g.recipient_id
                                                          ORDER BY m.time_zone IS NULL, m.id DESC)) AS zone
  FROM given g
  CROSS JOIN LATERAL (
    SELECT m.id, m.time_zone FROM messages m WHERE m.tenant_id = $1 AND m.recipient_id = g.recipient_id
    ORDER BY m.id DESC LIMIT 500
  ) m
  CROSS JOIN LATERAL (
    SELECT e.occurred_at FROM events e
    WHERE e.message_id = m.id AND e.type IN ('opened', 'clicked') AND e.class = 'human'
      AND e.occurred_at >= now() - make_interval(days => $5)
    LIMIT 100
  ) e
), readable AS (
  SELECT recipient_id, occurred_at,
         CASE WHEN zone IN (SELECT unnest($6::text[])) THEN zone ELSE 'UTC' END AS zone
  FROM history
), hours AS (
  SELECT recipient_id, zone, extract(hour FROM occurred_at AT TIME ZONE zone)::int AS hour, count(*) AS n,
         sum(exp(-ln(2) * extract(epoch FROM now() - occurred_at)::float8 / ($4::float8 * 86400))) AS weight
  FROM readable
  GROUP BY 1, 2, 3
)
SELECT recipient_id, zone, sum(n)::int AS events, array_agg(hour ORDER BY hour) AS hours,
       array_agg(weight ORDER BY hour) AS weights
FROM hours GROUP BY recipient_id, zone;

-- name: send-time-population-hours
-- The tenant's human opens and clicks of the last $2 days (at most $3 of them, on events_tenant_type) per local
-- hour of their message's time zone (UTC when none, or not in $4, the zones PostgreSQL knows): the fallback hour
-- of send-time optimization.
WITH sample AS (
  SELECT e.occurred_at, m.time_zone
  FROM events e JOIN messages m ON m.id = e.message_id
  WHERE e.tenant_id = $1 AND e.type IN ('opened', 'clicked') AND e.class = 'human'
    AND e.occurred_at >= now() - make_interval(days => $2)
  LIMIT $3
)
SELECT extract(hour FROM s.occurred_at AT TIME ZONE
         CASE WHEN s.time_zone IN (SELECT unnest($4::text[])) THEN s.time_zone ELSE 'UTC' END)::int AS hour,
       count(*)::float8 AS weight
FROM sample s GROUP BY 1;
