-- Messages age out whole (issue 20): `messages` is partitioned by range of id, partition k holding the ids
-- [k << 32, (k + 1) << 32). The maintenance starts a new partition every day by moving the identity to its
-- first id, and drops a partition whole once it was closed longer than messages.retention-days ago and every
-- message in it is finished, instead of deleting rows (which wrote each row's deletion to the WAL and left
-- the table to vacuum).
--
-- The table as it is becomes partition 0: attaching it reuses its indexes and constraints, so no index is
-- rebuilt; only the partition bound is checked by one scan of it.
LOCK TABLE messages IN ACCESS EXCLUSIVE MODE;

ALTER TABLE messages ALTER COLUMN id DROP IDENTITY;
ALTER TABLE messages RENAME TO messages_p0;
ALTER INDEX messages_pkey RENAME TO messages_p0_pkey;
ALTER INDEX messages_recipient RENAME TO messages_p0_recipient;
ALTER INDEX messages_provider_id RENAME TO messages_p0_provider_id;
ALTER INDEX messages_address RENAME TO messages_p0_address;
ALTER INDEX messages_waiting RENAME TO messages_p0_waiting;

-- No foreign key to batches any more: with no index on batch_id (V22), deleting a batch made PostgreSQL scan
-- every partition for messages that name it, under the lock a dropped partition holds on messages. Intake writes
-- a batch and its messages in one transaction; the maintenance deletes a batch only with its last messages.
ALTER TABLE messages_p0 DROP CONSTRAINT messages_batch_id_fkey;

-- The same columns in the same order; the CHECK constraints are added below, the variant's NOT VALID as on
-- the old table (its old rows have no variant and were never scanned for it).
CREATE TABLE messages (LIKE messages_p0 INCLUDING DEFAULTS INCLUDING GENERATED) PARTITION BY RANGE (id);
ALTER TABLE messages
  ADD CONSTRAINT messages_priority_check CHECK (priority IN ('transactional', 'marketing')),
  ADD CONSTRAINT messages_state_check CHECK (state IN ('queued', 'sending', 'retry', 'sent', 'delivered', 'failed',
    'dead', 'suppressed', 'capped', 'expired', 'held_out', 'opted_out', 'waiting')),
  ADD CONSTRAINT messages_variant_check CHECK (variant ~ '^[a-z0-9][a-z0-9_-]{0,31}$') NOT VALID,
  ADD CONSTRAINT messages_pkey PRIMARY KEY (id);
CREATE INDEX messages_recipient ON messages (tenant_id, recipient_id);
CREATE INDEX messages_provider_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_address ON messages ((addresses ->> channel)) WHERE channel IS NOT NULL AND channel <> 'email';
CREATE INDEX messages_waiting ON messages (campaign_id, id) WHERE waiting;

-- One row per partition: it holds the ids [k << 32, upto << 32); closed_at is when the identity moved past it,
-- dropped_at when it was dropped.
CREATE TABLE message_partitions (
  k          integer PRIMARY KEY,
  upto       integer NOT NULL,
  started_at timestamptz NOT NULL,
  closed_at  timestamptz,
  dropped_at timestamptz
);

DO $$
DECLARE
  top bigint := coalesce((SELECT max(id) FROM messages_p0), 0);
  -- Partition 0 reaches past the ids it holds (one partition even if they passed 1 << 32 already).
  upto integer := (top >> 32)::integer + 1;
BEGIN
  EXECUTE format('ALTER TABLE messages ATTACH PARTITION messages_p0 FOR VALUES FROM (0) TO (%s)', upto::bigint << 32);
  EXECUTE format('ALTER TABLE messages ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (START WITH %s CACHE 1000)',
                 top + 1);
  INSERT INTO message_partitions (k, upto, started_at) VALUES (0, upto, now());
END $$;

-- The partition of the ids [k << 32, upto << 32), created if missing, half-full pages as V22 explains.
CREATE FUNCTION relay_messages_partition(first_k integer, upto_k integer, at timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('messages_p' || first_k) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF messages FOR VALUES FROM (%s) TO (%s) WITH (fillfactor = 50)',
                 'messages_p' || first_k, first_k::bigint << 32, upto_k::bigint << 32);
  INSERT INTO message_partitions (k, upto, started_at) VALUES (first_k, upto_k, at);
  RETURN true;
END $$;

-- Maintenance of the partitions of messages (at start-up and every engagement.maintenance-interval-seconds,
-- on every instance; a run that finds another one at work leaves it to it); at is the time it runs at (tests pass another):
-- 1. the partition of the identity's next id exists;
-- 2. once that partition has been the current one for a day (or retention_days / 30 days, when longer: about 30
--    partitions to keep however long the retention, as a generic plan locks every partition), the next is
--    created and the identity restarted
--    at its first id. ALTER SEQUENCE, not setval: it is transactional, and every session drops the ids it had
--    cached (CACHE 1000) at its next nextval, so no insert lands in a closed partition once this commits;
-- 3. a partition closed more than retention_days ago that holds no message still to send (waiting, queued,
--    sending, retry: a scan of that partition alone, stopping at the first) is dropped whole. Before that,
--    the batches left with no message are deleted and what they accepted moves into the campaign counters
--    (campaign-stats adds them to the batches' own), and the funnel firsts and stale queue rows of its ids go.
-- A partition with a message still to send is kept and tried again at the next run. Every step waits at
-- most lock_timeout for the statements on messages (a dropped partition locks the whole table until the
-- commit); a run that times out changes nothing and the next one tries again. Returns what it did.
CREATE FUNCTION relay_messages_maintain(retention_days integer, at timestamptz DEFAULT now()) RETURNS jsonb
LANGUAGE plpgsql SET lock_timeout = '3s' AS $$
DECLARE
  seq text := pg_get_serial_sequence('messages', 'id');
  next_k integer;
  cur message_partitions;
  created integer := 0;
  rotated boolean := false;
  dropped integer[] := '{}';
  kept integer[] := '{}';
  batches_gone bigint := 0;
  n bigint;
  part message_partitions;
  lo bigint;
  hi bigint;
  unfinished boolean;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('relay_messages_maintain')) THEN
    RETURN jsonb_build_object('busy', true);
  END IF;

  EXECUTE format('SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END) >> 32 FROM %s', seq)
  INTO next_k;
  SELECT * INTO cur FROM message_partitions WHERE k <= next_k AND next_k < upto AND dropped_at IS NULL;
  IF NOT FOUND THEN
    PERFORM relay_messages_partition(next_k, next_k + 1, at);
    created := created + 1;
    SELECT * INTO STRICT cur FROM message_partitions WHERE k = next_k;
  END IF;

  IF cur.started_at < at - make_interval(days => greatest(1, retention_days / 30)) THEN
    IF relay_messages_partition(cur.upto, cur.upto + 1, at) THEN
      created := created + 1;
    END IF;
    EXECUTE format('ALTER SEQUENCE %s RESTART WITH %s', seq, cur.upto::bigint << 32);
    UPDATE message_partitions SET closed_at = at WHERE k < cur.upto AND closed_at IS NULL;
    rotated := true;
    SELECT * INTO STRICT cur FROM message_partitions WHERE k = cur.upto;
  END IF;

  FOR part IN
    SELECT * FROM message_partitions
    WHERE k < cur.k AND dropped_at IS NULL AND closed_at < at - make_interval(days => retention_days)
    ORDER BY k
  LOOP
    lo := part.k::bigint << 32;
    hi := part.upto::bigint << 32;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE state IN (''waiting'', ''queued'', ''sending'', ''retry''))',
                   'messages_p' || part.k) INTO STRICT unfinished;
    IF unfinished THEN
      kept := kept || part.k;
      CONTINUE;
    END IF;
    -- Batches with messages in this partition and none elsewhere (one INSERT may straddle a rotation), and
    -- batches that stored no message at all once past the retention.
    WITH gone AS (
      DELETE FROM batches b
      WHERE ((b.last_message_id >= lo AND b.first_message_id < hi
              AND NOT EXISTS (SELECT 1 FROM messages m
                              WHERE m.id BETWEEN b.first_message_id AND b.last_message_id AND m.batch_id = b.id
                                AND (m.id < lo OR m.id >= hi)))
             OR (b.first_message_id IS NULL AND b.created_at < at - make_interval(days => retention_days)))
      RETURNING b.campaign_id, b.channels[1] AS channel, b.accepted
    ), accepted_kept AS (
      INSERT INTO campaign_counters AS c (campaign_id, channel, metric, n)
      SELECT campaign_id, channel, 'accepted', sum(accepted) FROM gone GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (campaign_id, channel, metric) DO UPDATE SET n = c.n + EXCLUDED.n
    )
    SELECT count(*) INTO n FROM gone;
    batches_gone := batches_gone + n;
    DELETE FROM engagement_firsts WHERE message_id >= lo AND message_id < hi;
    DELETE FROM message_queue WHERE message_id >= lo AND message_id < hi;
    EXECUTE format('DROP TABLE %I', 'messages_p' || part.k);
    UPDATE message_partitions SET dropped_at = at WHERE k = part.k;
    dropped := dropped || part.k;
  END LOOP;

  RETURN jsonb_build_object('current', cur.k, 'created', created, 'rotated', rotated, 'dropped', to_jsonb(dropped),
                            'kept', to_jsonb(kept), 'batches', batches_gone);
END $$;
