-- Experiments (issue 22), second part: choosing a winner. A campaign's test (one row a campaign, created by the
-- first batch that gives an `experiment`): its config, its status, and once decided, the winner and the decision's
-- figures and rule. While it is testing, the recipients outside the test share wait (state 'waiting', no variant);
-- the decision releases them (queued, with the winner's or their own stable variant).
CREATE TABLE campaign_experiments (
  campaign_id  bigint PRIMARY KEY REFERENCES campaigns (id),
  tenant_id    bigint NOT NULL REFERENCES tenants (id),
  config       jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'testing' CHECK (status IN ('testing', 'decided', 'cancelled')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  decide_at    timestamptz NOT NULL,
  decided_at   timestamptz,
  winner       text,
  decision     jsonb,
  CHECK ((status = 'testing') = (decided_at IS NULL))
);
-- The decider's look-up: the tests whose wait has passed.
CREATE INDEX campaign_experiments_due ON campaign_experiments (decide_at) WHERE status = 'testing';
-- The release's look-up: a campaign's waiting messages, in chunks. Empty but for running tests.
CREATE INDEX messages_waiting ON messages (campaign_id, id) WHERE state = 'waiting';
