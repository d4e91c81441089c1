-- Subscription topics and recipients' preferences (issue 23).
--
-- A tenant defines topics (newsletter, offers, ...), each opted in or out by default, with a label per locale for
-- the preference page. A batch may name one topic; dispatch then skips (state opted_out, V14) a message whose
-- recipient opted out of it on the channel it would use.

CREATE TABLE topics (
  tenant_id         bigint NOT NULL REFERENCES tenants (id),
  name              text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  description       text NOT NULL,
  default_opted_in  boolean NOT NULL,
  -- whether recipients may choose per channel (otherwise one choice covers every channel)
  per_channel       boolean NOT NULL DEFAULT false,
  -- per locale: {"en": {"title": "...", "description": "..."}, "tr": {...}}
  locales           jsonb NOT NULL DEFAULT '{}',
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, name)
);

ALTER TABLE batches ADD COLUMN topic text;
ALTER TABLE batches ADD CONSTRAINT batches_topic_fk FOREIGN KEY (tenant_id, topic) REFERENCES topics (tenant_id, name);

-- A recipient's explicit choices. topic '*' is "every topic" (opting out of all, which also covers topics made
-- later); channel '*' is "every channel". The effective choice on a channel is the first of: (topic, channel),
-- (topic, '*'), ('*', '*'), the topic's default. Opting out of all deletes the recipient's choices per topic, so a
-- choice per topic made afterwards wins again.
CREATE TABLE preferences (
  tenant_id     bigint NOT NULL REFERENCES tenants (id),
  recipient_id  text NOT NULL,
  topic         text NOT NULL,
  channel       text NOT NULL,
  opted_in      boolean NOT NULL,
  source        text NOT NULL CHECK (source IN ('api', 'preference-page', 'one-click')),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, recipient_id, topic, channel)
);

-- Every change of a recipient's choices, for the recipient's history; topic and channel '*' as in preferences.
CREATE TABLE preference_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id     bigint NOT NULL,
  recipient_id  text NOT NULL,
  topic         text NOT NULL,
  channel       text NOT NULL,
  opted_in      boolean NOT NULL,
  source        text NOT NULL CHECK (source IN ('api', 'preference-page', 'one-click')),
  message_id    bigint,
  occurred_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX preference_events_recipient ON preference_events (tenant_id, recipient_id, occurred_at);
