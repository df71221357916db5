-- Submitting a job within its tenant's limit of queued and running jobs (TENANT_MAX_ACTIVE_JOBS),
-- exactly and in one round trip. The count must be taken after the tenant's lock is held, by a
-- statement of its own: in READ COMMITTED each statement of a PL/pgSQL function sees what was
-- committed before it began, so a submit that waited for the lock counts the job inserted by the
-- one that held it. (One SQL statement could not: its snapshot is older than the lock.) The lock
-- is the one store/jobs.ts takes for a comparison's jobs: `active-jobs:<tenant>`.
--
-- Returns NULL when the job was inserted, -1 when its idempotency key is already taken (the
-- caller returns that job), and otherwise the tenant's active jobs (nothing was inserted).
CREATE FUNCTION insert_job_within_limit(
  p_id uuid,
  p_tenant text,
  p_name text,
  p_spec jsonb,
  p_progress jsonb,
  p_idempotency_key text,
  p_request_hash text,
  p_max_active integer
) RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  v_active integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('active-jobs:' || p_tenant));
  SELECT count(*) INTO v_active FROM "Job" WHERE tenant = p_tenant AND status IN ('queued', 'running');
  IF v_active + 1 > p_max_active THEN
    RETURN v_active;
  END IF;
  INSERT INTO "Job" (id, tenant, name, spec, progress, "idempotencyKey", "requestHash", "updatedAt")
  VALUES (p_id, p_tenant, p_name, p_spec, p_progress, p_idempotency_key, p_request_hash, now())
  ON CONFLICT (tenant, "idempotencyKey") DO NOTHING;
  IF NOT FOUND THEN
    RETURN -1;
  END IF;
  RETURN NULL;
END;
$$;
