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
  RETURNING id
)
SELECT id FROM created
UNION ALL
SELECT id FROM campaigns WHERE tenant_id = $1 AND name = $2
LIMIT 1;

-- name: batch-insert
INSERT INTO batches (id, tenant_id, campaign_id, template_name, template_version, channels, priority,
                     send_at, expires_at, accepted, rejected)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($8, now()) + make_interval(secs => $9), $10, $11);

-- name: messages-insert
INSERT INTO messages (batch_id, tenant_id, campaign_id, recipient_id, addresses, locale, time_zone,
                      variables, priority, due_at, expires_at)
SELECT $1, $2, $3, r ->> 'id', r -> 'addresses', r ->> 'locale', r ->> 'time_zone',
       coalesce(r -> 'variables', '{}'::jsonb), $4, coalesce($5, now()),
       coalesce($5, now()) + make_interval(secs => $6)
FROM jsonb_array_elements($7::jsonb) AS r;

-- name: batch-find
SELECT b.id, c.name AS campaign, b.template_name, b.template_version, b.channels, b.priority,
       b.send_at, b.expires_at, b.accepted, b.rejected, b.created_at
FROM batches b JOIN campaigns c ON c.id = b.campaign_id
WHERE b.id = $1 AND b.tenant_id = $2;

-- name: batch-state-counts
SELECT state, count(*) AS n FROM messages WHERE batch_id = $1 GROUP BY state;

-- name: queue-depth
SELECT (SELECT count(*) FROM messages WHERE state IN ('queued', 'retry'))
     + (SELECT count(*) FROM messages WHERE state = 'sending') AS depth;
