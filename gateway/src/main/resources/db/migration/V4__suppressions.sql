-- One suppression list per tenant: an address on a channel that must receive nothing more, and why
-- (unsubscribed, hard bounce, complaint, SMS STOP, or added through the API). Dispatch checks it
-- for every message on every channel.

CREATE TABLE suppressions (
  tenant_id   bigint NOT NULL REFERENCES tenants (id),
  channel     text NOT NULL,
  address     text NOT NULL,
  reason      text NOT NULL CHECK (reason IN ('unsubscribed', 'hard_bounce', 'complaint', 'stop', 'manual')),
  source      text,
  message_id  bigint,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, channel, address)
);
CREATE INDEX suppressions_created ON suppressions (tenant_id, created_at);
