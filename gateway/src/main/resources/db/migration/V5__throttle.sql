-- Throttling: what a batch's messages do when a frequency cap is full (end 'capped', or wait until it
-- has room), and the indexes of the fair claim: transactional messages first, then every tenant's due
-- messages in turn, so that one tenant's backlog does not hold back another tenant.

ALTER TABLE batches ADD COLUMN on_cap text NOT NULL DEFAULT 'skip' CHECK (on_cap IN ('skip', 'defer'));

CREATE INDEX messages_due_transactional ON messages (due_at)
  WHERE state IN ('queued', 'retry') AND priority = 'transactional';
CREATE INDEX messages_due_tenant ON messages (tenant_id, due_at) WHERE state IN ('queued', 'retry');
