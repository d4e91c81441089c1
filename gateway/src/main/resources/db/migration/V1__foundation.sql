-- Relay's foundation schema: tenants and their API keys, campaigns, batches, messages with the
-- columns the dispatcher's claim and lease need, the events every message accumulates, and the
-- idempotency records of the intake API.

CREATE TABLE tenants (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A key is shown once as "rly_<id>_<secret>"; only the SHA-256 of the secret is kept.
CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  tenant_id    bigint NOT NULL REFERENCES tenants (id),
  secret_hash  bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE campaigns (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id     bigint NOT NULL REFERENCES tenants (id),
  name          text NOT NULL,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
  paused_reason text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

CREATE TABLE batches (
  id                uuid PRIMARY KEY,
  tenant_id         bigint NOT NULL REFERENCES tenants (id),
  campaign_id       bigint NOT NULL REFERENCES campaigns (id),
  template_name     text NOT NULL,
  template_version  integer,
  channels          text[] NOT NULL,
  priority          text NOT NULL CHECK (priority IN ('transactional', 'marketing')),
  send_at           timestamptz,
  expires_at        timestamptz NOT NULL,
  accepted          integer NOT NULL,
  rejected          integer NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX batches_tenant ON batches (tenant_id, created_at);

-- One row per recipient of a batch. The dispatcher claims due rows with FOR UPDATE SKIP LOCKED,
-- sets lease_until, and bumps attempt, which fences completions of an expired lease.
CREATE TABLE messages (
  id                   bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000) PRIMARY KEY,
  batch_id             uuid NOT NULL REFERENCES batches (id),
  tenant_id            bigint NOT NULL,
  campaign_id          bigint NOT NULL,
  recipient_id         text NOT NULL,
  addresses            jsonb NOT NULL,
  locale               text,
  time_zone            text,
  variables            jsonb NOT NULL DEFAULT '{}',
  priority             text NOT NULL CHECK (priority IN ('transactional', 'marketing')),
  state                text NOT NULL DEFAULT 'queued' CHECK (state IN (
                         'queued', 'sending', 'retry', 'sent', 'delivered',
                         'failed', 'dead', 'suppressed', 'capped', 'expired')),
  due_at               timestamptz NOT NULL,
  expires_at           timestamptz NOT NULL,
  attempt              integer NOT NULL DEFAULT 0,
  lease_until          timestamptz,
  channel_index        smallint NOT NULL DEFAULT 0,
  channel              text,
  account              text,
  provider_message_id  text,
  last_error           text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_due ON messages (due_at) WHERE state IN ('queued', 'retry');
CREATE INDEX messages_leased ON messages (lease_until) WHERE state = 'sending';
CREATE INDEX messages_batch ON messages (batch_id);
CREATE INDEX messages_recipient ON messages (tenant_id, recipient_id);

-- Every state change and every engagement fact about a message.
CREATE TABLE events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id   bigint NOT NULL,
  tenant_id    bigint NOT NULL,
  campaign_id  bigint NOT NULL,
  type         text NOT NULL,
  class        text CHECK (class IN ('human', 'machine')),
  reason       text,
  data         jsonb,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_message ON events (message_id, occurred_at);
CREATE INDEX events_campaign ON events (campaign_id, occurred_at);

-- The first answer to a request that carried an Idempotency-Key, replayed for the same body.
CREATE TABLE idempotency_keys (
  tenant_id        bigint NOT NULL REFERENCES tenants (id),
  key              text NOT NULL,
  request_hash     bytea NOT NULL,
  response_status  integer NOT NULL,
  response_body    text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
