-- Provider webhook calls that passed their provider's signature check: the raw call, kept before the
-- gateway answers 2xx so that an accepted webhook is never lost, and its normalized events, unique per
-- account and provider event id so that a provider's retries are recorded once.

CREATE TABLE webhook_receipts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  adapter      text NOT NULL,
  account      text NOT NULL,
  url          text NOT NULL,
  headers      jsonb NOT NULL,
  body         bytea NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_receipts_received ON webhook_receipts (received_at);

CREATE TABLE webhook_events (
  account              text NOT NULL,
  provider_event_id    text NOT NULL,
  receipt_id           bigint NOT NULL REFERENCES webhook_receipts (id),
  type                 text NOT NULL,
  provider_message_id  text,
  occurred_at          timestamptz,
  detail               jsonb,
  applied_at           timestamptz,
  PRIMARY KEY (account, provider_event_id)
);
CREATE INDEX webhook_events_message ON webhook_events (provider_message_id);
CREATE INDEX webhook_events_unapplied ON webhook_events (receipt_id) WHERE applied_at IS NULL;
