-- Templates: immutable versions per tenant and name. Rows with no tenant are the templates Relay ships
-- (the top-level templates/ folder, loaded at start-up): every tenant's starting points, shadowed by a
-- tenant's own versions of the same name. A batch keeps the id of the version it resolved at intake, so
-- that a later version never changes what it renders.

CREATE TABLE templates (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   bigint REFERENCES tenants (id),
  name        text NOT NULL,
  version     integer NOT NULL CHECK (version >= 1),
  definition  jsonb NOT NULL,
  digest      bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX templates_version ON templates (coalesce(tenant_id, 0), name, version);
CREATE INDEX templates_name ON templates (name, tenant_id);

ALTER TABLE batches ADD COLUMN template_id bigint REFERENCES templates (id);
