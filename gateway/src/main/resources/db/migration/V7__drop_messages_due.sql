-- messages_due (due_at, over queued and retry messages) duplicated messages_due_tenant (tenant_id, due_at,
-- the same rows) once the claim went tenant by tenant: only the queue's lag metric still read it. Every
-- message stored queued, claimed or retried paid for its entries: about 8% of an intake insert's time
-- (pgbench, 1,000 rows a statement). The lag is now found tenant by tenant on messages_due_tenant.
DROP INDEX IF EXISTS messages_due;
