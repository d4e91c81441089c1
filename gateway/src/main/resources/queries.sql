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
  RETURNING id, status
)
SELECT id, status FROM created
UNION ALL
SELECT id, status FROM campaigns WHERE tenant_id = $1 AND name = $2
LIMIT 1;

-- name: batch-insert
INSERT INTO batches (id, tenant_id, campaign_id, template_name, template_version, channels, priority,
                     send_at, expires_at, accepted, rejected, template_id, on_cap, topic)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($8, now()) + make_interval(secs => $9), $10, $11, $12, $13, $14);

-- name: messages-insert
INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, locale, time_zone,
                      variables, priority, due_at, expires_at)
SELECT $1, $2, $3, r ->> 'id', r -> 'addresses', r ->> 'locale', r ->> 'time_zone',
       coalesce(r -> 'variables', '{}'::jsonb), $4, coalesce($5, now()),
       coalesce($5, now()) + make_interval(secs => $6)
FROM jsonb_array_elements($7::jsonb) AS r;

-- name: messages-insert-leased
-- The same messages, stored already leased to the dispatcher of the process that accepted them
-- (handoff): 'sending', attempt 1, under the dispatcher's lease, so that it needs no claim; if that
-- process dies, the lease expires and any instance reclaims them.
INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, locale, time_zone,
                      variables, priority, due_at, expires_at, state, attempt, lease_until)
SELECT $1, $2, $3, r ->> 'id', r -> 'addresses', r ->> 'locale', r ->> 'time_zone',
       coalesce(r -> 'variables', '{}'::jsonb), $4, coalesce($5, now()),
       coalesce($5, now()) + make_interval(secs => $6), 'sending', 1, now() + make_interval(secs => $8)
FROM jsonb_array_elements($7::jsonb) AS r
RETURNING id, recipient_id;

-- name: batch-find
SELECT b.id, c.name AS campaign, b.template_name, b.template_version, b.channels, b.priority, b.on_cap,
       b.topic, b.send_at, b.expires_at, b.accepted, b.rejected, b.created_at
FROM batches b JOIN campaigns c ON c.id = b.campaign_id
WHERE b.id = $1 AND b.tenant_id = $2;

-- name: batch-state-counts
SELECT state, count(*) AS n FROM messages WHERE batch_id = $1 GROUP BY state;

-- name: queue-depth
SELECT (SELECT count(*) FROM messages WHERE state IN ('queued', 'retry'))
     + (SELECT count(*) FROM messages WHERE state = 'sending') AS depth;

-- name: queue-metrics
-- The queue for the metrics, counted on the partial indexes of the claim and the lease; the lag is the
-- age of the oldest due message that a dispatcher could claim now (paused campaigns are not lag): each
-- tenant's oldest such message on messages_due_tenant (the tenants found by a skip scan, as the claim
-- finds them), then the oldest of those.
WITH RECURSIVE tenant_scan AS (
  (SELECT tenant_id FROM messages WHERE state IN ('queued', 'retry') ORDER BY tenant_id LIMIT 1)
  UNION ALL
  SELECT (SELECT m.tenant_id FROM messages m WHERE m.state IN ('queued', 'retry') AND m.tenant_id > t.tenant_id
          ORDER BY m.tenant_id LIMIT 1)
  FROM tenant_scan t WHERE t.tenant_id IS NOT NULL
), oldest AS (
  SELECT d.due_at FROM tenant_scan t
  CROSS JOIN LATERAL (
    SELECT m.due_at FROM messages m
    WHERE m.tenant_id = t.tenant_id AND m.state IN ('queued', 'retry') AND m.due_at <= now()
      AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = m.campaign_id AND c.status = 'paused')
    ORDER BY m.tenant_id, m.due_at
    LIMIT 1
  ) d
  WHERE t.tenant_id IS NOT NULL
)
SELECT (SELECT count(*) FROM messages WHERE state = 'queued') AS queued,
       (SELECT count(*) FROM messages WHERE state = 'retry') AS retry,
       (SELECT count(*) FROM messages WHERE state = 'sending') AS sending,
       (SELECT coalesce(extract(epoch FROM now() - min(due_at)), 0)::float8 FROM oldest) AS lag_seconds;

-- name: dispatch-claim
-- Claims due messages of active campaigns fairly: transactional messages first (oldest first), then
-- every tenant's due messages in turn (each tenant's oldest, then each one's second oldest, …), so that
-- one tenant's large backlog does not hold back another tenant. The tenants with messages waiting are
-- found by a skip scan of messages_due_tenant; each brings at most twice its share of candidates.
-- Candidates another dispatcher has locked are skipped. The claim sets the lease, bumps the attempt
-- (the fencing token) and appends a 'sending' event, in one statement.
WITH RECURSIVE tenant_scan AS (
  (SELECT tenant_id FROM messages WHERE state IN ('queued', 'retry') ORDER BY tenant_id LIMIT 1)
  UNION ALL
  SELECT (SELECT m.tenant_id FROM messages m WHERE m.state IN ('queued', 'retry') AND m.tenant_id > t.tenant_id
          ORDER BY m.tenant_id LIMIT 1)
  FROM tenant_scan t WHERE t.tenant_id IS NOT NULL
), waiting AS (
  SELECT tenant_id FROM tenant_scan WHERE tenant_id IS NOT NULL
), candidates AS (
  (SELECT m.id, 0 AS pass, 0::bigint AS turn, m.due_at FROM messages m
   WHERE m.state IN ('queued', 'retry') AND m.priority = 'transactional' AND m.due_at <= now()
     AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = m.campaign_id AND c.status = 'paused')
   ORDER BY m.due_at
   LIMIT $1)
  UNION ALL
  SELECT d.id, 1, row_number() OVER (PARTITION BY w.tenant_id ORDER BY d.due_at), d.due_at
  FROM waiting w
  CROSS JOIN LATERAL (
    SELECT m.id, m.due_at FROM messages m
    WHERE m.tenant_id = w.tenant_id AND m.state IN ('queued', 'retry') AND m.due_at <= now()
      AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = m.campaign_id AND c.status = 'paused')
    ORDER BY m.tenant_id, m.due_at
    LIMIT greatest(ceil(2.0 * $1 / (SELECT count(*) FROM waiting)), 1)
  ) d
), due AS (
  SELECT m.id FROM messages m
  JOIN (SELECT id, min(pass) AS pass, min(turn) AS turn, min(due_at) AS due_at FROM candidates GROUP BY id) c
    ON c.id = m.id
  WHERE m.state IN ('queued', 'retry')
  ORDER BY c.pass, c.turn, c.due_at
  LIMIT $1
  FOR UPDATE OF m SKIP LOCKED
), claimed AS (
  UPDATE messages m
  SET state = 'sending', attempt = m.attempt + 1, lease_until = now() + make_interval(secs => $2), updated_at = now()
  FROM due WHERE m.id = due.id
  RETURNING m.id, m.attempt, m.tenant_id, m.campaign_id, m.batch_id, m.recipient_id, m.addresses, m.locale,
            m.time_zone, m.variables, m.expires_at, m.channel_index, m.priority
), logged AS (
  INSERT INTO events (message_id, tenant_id, campaign_id, type, data)
  SELECT id, tenant_id, campaign_id, 'sending', jsonb_build_object('attempt', attempt, 'instance', $3::text)
  FROM claimed
)
SELECT c.id, c.attempt, c.tenant_id, c.campaign_id, c.recipient_id, c.addresses, c.locale, c.time_zone, c.variables,
       c.expires_at <= now() AS expired, c.channel_index, b.channels, b.template_id, t.name AS tenant,
       cp.name AS campaign, c.priority, b.on_cap, b.topic
FROM claimed c
JOIN batches b ON b.id = c.batch_id
JOIN tenants t ON t.id = c.tenant_id
JOIN campaigns cp ON cp.id = c.campaign_id;

-- name: dispatch-record
-- Applies a batch of outcomes, each fenced by its attempt (a completion of an expired lease changes
-- nothing), and appends one event per applied outcome. A refunded outcome (deferred without a
-- provider call) gives the attempt back.
-- The outcomes reach their messages by primary key. Written as m.state = 'sending', the fence matched
-- the predicate of messages_leased, and with statistics taken while few messages were leased (the
-- number swings with every handed-over batch) the planner hashed every leased message for each
-- statement instead: 34-46 ms per 500 outcomes with 50,000-66,000 leased, against 5 ms by key. So the
-- fence compares with a column of the materialized outcomes, which no index predicate matches, and
-- m.id = ANY($1) makes the primary key the cheap way in (a join on o.id alone let the planner hash a
-- sequential scan of the whole table instead).
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
      updated_at = now()
  FROM o
  WHERE m.id = ANY($1::bigint[]) AND m.id = o.id AND m.attempt = o.attempt AND m.state = o.held
  RETURNING m.id, m.tenant_id, m.campaign_id, o.attempt, o.event, o.reason, o.channel, o.account,
            o.provider_message_id, o.delay_ms, o.details
)
INSERT INTO events (message_id, tenant_id, campaign_id, type, reason, data)
SELECT id, tenant_id, campaign_id, event, reason,
       jsonb_strip_nulls(jsonb_build_object('attempt', attempt, 'channel', channel, 'account', account,
                                            'provider_message_id', provider_message_id, 'retry_in_ms', delay_ms,
                                            'instance', $12::text))
       || coalesce(details::jsonb, '{}'::jsonb)
FROM applied
RETURNING message_id;

-- name: dispatch-reclaim
-- Returns messages whose lease expired (their instance died or stalled) to the queue.
WITH expired AS (
  SELECT id FROM messages WHERE state = 'sending' AND lease_until < now()
  ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED
), reclaimed AS (
  UPDATE messages m SET state = 'retry', lease_until = NULL, due_at = now(), updated_at = now()
  FROM expired WHERE m.id = expired.id
  RETURNING m.id, m.tenant_id, m.campaign_id, m.attempt
)
INSERT INTO events (message_id, tenant_id, campaign_id, type, data)
SELECT id, tenant_id, campaign_id, 'lease_expired', jsonb_build_object('attempt', attempt) FROM reclaimed
RETURNING message_id;

-- name: dispatch-release
-- Gives back claimed messages that were never handed to a provider (graceful shutdown): the attempt
-- they were claimed with does not count. By primary key, as dispatch-record.
WITH o AS MATERIALIZED (
  SELECT *, 'sending'::text AS held FROM unnest($1::bigint[], $2::int[]) AS o(id, attempt)
), released AS (
  UPDATE messages m
  SET state = CASE WHEN m.attempt > 1 THEN 'retry' ELSE 'queued' END, attempt = m.attempt - 1,
      lease_until = NULL, updated_at = now()
  FROM o WHERE m.id = ANY($1::bigint[]) AND m.id = o.id AND m.attempt = o.attempt AND m.state = o.held
  RETURNING m.id, m.tenant_id, m.campaign_id
)
INSERT INTO events (message_id, tenant_id, campaign_id, type)
SELECT id, tenant_id, campaign_id, 'released' FROM released
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
SELECT m.id, m.batch_id, m.recipient_id, m.state, m.attempt, m.channel, m.account, m.provider_message_id,
       m.last_error, m.due_at, m.expires_at, m.created_at, m.updated_at, c.name AS campaign
FROM messages m JOIN campaigns c ON c.id = m.campaign_id
WHERE m.id = $1 AND m.tenant_id = $2;

-- name: message-events
SELECT type, class, reason, data, occurred_at FROM events WHERE message_id = $1 ORDER BY occurred_at, id;

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
SELECT id FROM messages WHERE batch_id = $1 ORDER BY id;

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
-- message was last sent (its newest 'sent' event).
SELECT m.id, m.tenant_id, m.campaign_id,
       (SELECT max(e.occurred_at) FROM events e WHERE e.message_id = m.id AND e.type = 'sent') AS sent_at
FROM messages m WHERE m.id = ANY($1::bigint[]);

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
  FROM pending p JOIN messages m ON m.account = p.account AND m.channel IS NOT NULL
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

-- name: messages-expire
-- Retention of messages (messages.retention-days): the finished messages of at most $2 batches created more
-- than $1 days ago, oldest first, are deleted with their funnel firsts, and those batches too. A batch with a
-- message still to send is left alone. Campaign counters keep what the messages counted.
WITH old AS (
  SELECT b.id FROM batches b
  WHERE b.created_at < now() - make_interval(days => $1)
    AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.batch_id = b.id
                    AND m.state IN ('waiting', 'queued', 'sending', 'retry'))
  ORDER BY b.created_at
  LIMIT $2
), gone AS (
  DELETE FROM messages m USING old WHERE m.batch_id = old.id
  RETURNING m.id
), firsts AS (
  DELETE FROM engagement_firsts f USING gone WHERE f.message_id = gone.id
  RETURNING 1
), batches_gone AS (
  DELETE FROM batches b USING old WHERE b.id = old.id
  RETURNING b.campaign_id, b.channels[1] AS channel, b.accepted
), accepted_kept AS (
  -- What the deleted batches accepted moves to the counters, which campaign-stats adds to the batches' own.
  INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
  SELECT campaign_id, channel, 'accepted', sum(accepted) FROM batches_gone GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n
  RETURNING 1
)
SELECT (SELECT count(*) FROM gone) AS messages, (SELECT count(*) FROM batches_gone) AS batches;

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

-- name: campaign-exists
SELECT id FROM campaigns WHERE tenant_id = $1 AND name = $2;

-- name: recipient-history
-- A recipient's engagement facts, newest first, with the campaign and template of each message.
SELECT e.type, e.class, e.reason, e.occurred_at, e.data ->> 'url' AS url, m.id AS message_id,
       coalesce(e.data ->> 'channel', m.channel) AS channel, c.name AS campaign, b.template_name
FROM messages m
JOIN events e ON e.message_id = m.id
JOIN campaigns c ON c.id = m.campaign_id
JOIN batches b ON b.id = m.batch_id
WHERE m.tenant_id = $1 AND m.recipient_id = $2
  AND e.type IN ('sent', 'delivered', 'bounced', 'failed', 'suppressed', 'opened', 'clicked', 'unsubscribed',
                 'complained', 'opted_out')
ORDER BY e.occurred_at DESC, e.id DESC
LIMIT $3;

-- name: recipient-ladder-facts
-- What the engagement ladder needs of a recipient, however long the history: the human opens and clicks of
-- the last $3 days, one row per kind, campaign, template and link (the newest of each).
SELECT e.type, e.class, max(e.occurred_at) AS occurred_at, e.data ->> 'url' AS url, c.name AS campaign,
       b.template_name
FROM messages m
JOIN events e ON e.message_id = m.id
JOIN campaigns c ON c.id = m.campaign_id
JOIN batches b ON b.id = m.batch_id
WHERE m.tenant_id = $1 AND m.recipient_id = $2 AND e.type IN ('opened', 'clicked') AND e.class = 'human'
  AND e.occurred_at >= now() - make_interval(days => $3)
GROUP BY e.type, e.class, e.data ->> 'url', c.name, b.template_name;

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

-- name: recipient-erase
-- Erases a recipient of a tenant (DELETE /v1/recipients/{id}) in one statement. Their messages keep their
-- state, times, campaign and counted events, but lose the addresses, variables, locale and time zone, and
-- the recipient id becomes its keyed hash; an address quoted in a reason is replaced by '[erased]'. Messages
-- not sent yet end 'suppressed' (event 'suppressed'). Events lose the clicked URL, IP address, user agent and
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
       (SELECT count(*) FROM receipts) AS webhook_receipts,
       (SELECT count(*) FROM choices_hashed) + (SELECT count(*) FROM choices_dropped) AS preferences,
       (SELECT count(*) FROM choice_events) AS preference_events;
