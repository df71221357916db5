-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "jobId" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMP(3),

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WebhookDelivery_state_nextAttemptAt_idx" ON "WebhookDelivery"("state", "nextAttemptAt");

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Live events: every API process LISTENs on "trainer_events" and streams what changed to its
-- SSE clients. The triggers announce changes whoever makes them (worker, API, a reconciler),
-- so the worker code does not know about events. A payload only says which job changed (and
-- the highest step written); the listeners read the rows themselves, which is why they never
-- see a step before it is committed. NOTIFY is delivered at commit, in commit order.

-- One notification per INSERT statement on StepMetric (the worker writes batches), per job.
CREATE FUNCTION "trainer_notify_steps"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('trainer_events', json_build_object('job', "jobId", 'kind', 'steps', 'step', max("step"))::text)
    FROM new_rows GROUP BY "jobId";
  RETURN NULL;
END $$;

CREATE TRIGGER "StepMetric_notify" AFTER INSERT ON "StepMetric"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "trainer_notify_steps"();

-- Epoch records are upserted one at a time: a row trigger is enough.
CREATE FUNCTION "trainer_notify_epoch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('trainer_events', json_build_object('job', NEW."jobId", 'kind', 'epoch', 'epoch', NEW."epoch")::text);
  RETURN NULL;
END $$;

CREATE TRIGGER "EpochMetric_notify" AFTER INSERT OR UPDATE ON "EpochMetric"
  FOR EACH ROW EXECUTE FUNCTION "trainer_notify_epoch"();

-- A job's status or progress changed. On a final status with `notify` in the spec, the webhook
-- delivery row is written in the same transaction: a crash cannot lose it.
CREATE FUNCTION "trainer_notify_job"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('trainer_events', json_build_object('job', NEW."id", 'kind', 'job', 'status', NEW."status")::text);
  IF NEW."status" IS DISTINCT FROM OLD."status"
     AND NEW."status" IN ('succeeded', 'failed', 'canceled')
     AND jsonb_typeof(NEW."spec" -> 'notify' -> 'url') = 'string' THEN
    INSERT INTO "WebhookDelivery" ("jobId", "url", "event")
      VALUES (NEW."id", NEW."spec" -> 'notify' ->> 'url', NEW."status"::text);
    PERFORM pg_notify('trainer_events', json_build_object('job', NEW."id", 'kind', 'webhook')::text);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "Job_notify" AFTER UPDATE ON "Job"
  FOR EACH ROW WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."progress" IS DISTINCT FROM NEW."progress")
  EXECUTE FUNCTION "trainer_notify_job"();
