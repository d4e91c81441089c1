-- Conversions reported by the tenant (POST /v1/conversions) and their attribution to campaigns (issue 22).
-- A conversion is stored once per tenant and key (the client's idempotency key); its attributions are computed in
-- the same transaction and never change afterwards, so the first answer can be rebuilt from the rows.
CREATE TABLE conversions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id     bigint NOT NULL REFERENCES tenants (id),
  key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  -- SHA-256 of the conversion's canonical fields: the same key with other fields is refused.
  request_hash  bytea NOT NULL,
  recipient_id  text NOT NULL,
  occurred_at   timestamptz NOT NULL,
  value         numeric(20, 4) CHECK (value >= 0),
  currency      text CHECK (currency ~ '^[A-Z]{3}$'),
  -- The campaign the client restricted attribution to; null: any campaign of the tenant.
  campaign_id   bigint REFERENCES campaigns (id),
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, key),
  CHECK ((value IS NULL) = (currency IS NULL))
);
CREATE INDEX conversions_recipient ON conversions (tenant_id, recipient_id, occurred_at);

-- One row per campaign a conversion is attributed to: the campaign reached the recipient (a 'sent' event) or held
-- them out (a 'held_out' event) within the attribution window before the conversion. The recipient is kept here so
-- that a campaign's converted recipients are counted without the conversions table. revenue is the conversion's
-- whole value on the row of the campaign of the recipient's last human click (last_click), null elsewhere.
CREATE TABLE conversion_attributions (
  conversion_id  bigint NOT NULL REFERENCES conversions (id),
  campaign_id    bigint NOT NULL REFERENCES campaigns (id),
  recipient_id   text NOT NULL,
  message_id     bigint NOT NULL,
  variant        text,
  held_out       boolean NOT NULL,
  last_click     boolean NOT NULL,
  revenue        numeric(20, 4),
  currency       text,
  PRIMARY KEY (conversion_id, campaign_id)
);
CREATE INDEX conversion_attributions_campaign ON conversion_attributions (campaign_id, held_out, recipient_id);
