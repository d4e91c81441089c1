-- Erasure of a recipient (DELETE /v1/recipients/{id}): their addresses leave every row of the tenant, but a
-- suppressed address stays suppressed under a keyed hash. The key is made here, once per database, from
-- PostgreSQL's strong random source (gen_random_uuid), and never leaves the database: without it, a hash
-- cannot be checked against a guessed address.
CREATE TABLE relay_secrets (
  name   text PRIMARY KEY,
  value  bytea NOT NULL
);
INSERT INTO relay_secrets (name, value)
VALUES ('erasure', decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));

-- What an erased address (or recipient id) is kept as: 'erased:' and the hex of SHA-256 over the key, the
-- channel and the address.
CREATE FUNCTION relay_erased(channel text, address text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT 'erased:' || encode(sha256(k.value || convert_to(channel || ':' || address, 'UTF8')), 'hex')
  FROM relay_secrets k WHERE k.name = 'erasure'
$$;

-- A text with every one of these values replaced by '[erased]' (a provider's reply may quote the address).
CREATE FUNCTION relay_redact(t text, erased text[]) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v text;
BEGIN
  IF t IS NULL THEN
    RETURN NULL;
  END IF;
  FOREACH v IN ARRAY coalesce(erased, '{}') LOOP
    IF v <> '' THEN
      t := replace(t, v, '[erased]');
    END IF;
  END LOOP;
  RETURN t;
END $$;
