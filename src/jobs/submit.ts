/**
 * Submitting a job, shared by POST /v1/jobs and the comparisons: check the whole spec (without
 * TensorFlow.js), resolve its starting point, insert the row, queue it (admit.ts). `prepareJob` is the
 * check alone, for callers that insert several rows in one transaction.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { ConflictError } from '../errors.ts';
import { deleteJob, findJobByIdempotencyKey, insertJob, type JobRow, type NewJob } from '../store/jobs.ts';
import { MAX_SEED, parseJobSpec } from '../domain/job.ts';
import type { UseCaseContext } from '../use-case-context.ts';
import { admitJobs } from './admit.ts';
import { resolveInitFrom } from './continue.ts';
import { parseNotify } from './notify.ts';
import { checkActiveJobs } from './quotas.ts';
import { prefetchUploaded } from './uploaded-datasets.ts';

/** JSON with object keys sorted: the same request hashes the same whatever its key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const drawSeed = () => randomInt(0, MAX_SEED);

/** A checked job, ready to insert: everything of its row but the id. */
export type PreparedJob = Omit<NewJob, 'id' | 'idempotencyKey' | 'requestHash'>;

/**
 * Parses and checks a job body (400 naming the field otherwise) for `tenant`, whose datasets and
 * jobs alone it may name; `seed` is drawn only when the body has none.
 */
export async function prepareJob(
  ctx: UseCaseContext,
  tenant: string,
  body: { name?: string; dataset?: unknown },
  seed: () => number = drawSeed,
): Promise<PreparedJob> {
  const { db, config } = ctx;
  const limits = {
    maxEpochs: config.MAX_EPOCHS,
    maxBatchSize: config.MAX_BATCH_SIZE,
    maxParameters: config.MAX_PARAMETERS,
    maxSteps: config.MAX_STEPS,
    maxJobMemoryBytes: config.MAX_JOB_MEMORY_BYTES || config.CHILD_MAX_WASM_MB * 2 ** 20,
  };
  const uploaded = await prefetchUploaded(db, tenant, body);
  const parsed = parseJobSpec(body, limits, seed, (id) => uploaded.get(id));
  await resolveInitFrom(db, tenant, parsed);
  const notify = await parseNotify((body as { notify?: unknown }).notify, config);
  const spec = notify ? { ...parsed.spec, notify } : parsed.spec;
  const { plan } = parsed;
  const progress = { epoch: 0, epochs: spec.training.epochs, step: 0, totalSteps: plan.totalSteps, loss: null, samplesPerSecond: 0 };
  return { tenant, name: body.name, spec, progress };
}

export type SubmitResult =
  | { kind: 'created'; job: JobRow }
  /** The idempotency key named this job already, for the same body. */
  | { kind: 'replayed'; job: JobRow };

export async function submitJob(
  ctx: UseCaseContext,
  tenant: string,
  body: { name?: string; dataset?: unknown },
  opts: { idempotencyKey?: string },
): Promise<SubmitResult> {
  const { db, config } = ctx;
  const key = opts.idempotencyKey;
  const requestHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
  if (key) {
    const existing = await findJobByIdempotencyKey(db, tenant, key);
    if (existing) return { kind: 'replayed', job: replayed(existing, requestHash) };
  }
  await checkActiveJobs(db, config, tenant);
  const prepared = await prepareJob(ctx, tenant, body);
  const row = { id: randomUUID(), ...prepared, idempotencyKey: key, requestHash: key ? requestHash : undefined };
  const { job, created } = await admitJobs(ctx, {
    adding: 1,
    insert: () => insertJob(db, row, config.TENANT_MAX_ACTIVE_JOBS),
    queued: (inserted) => (inserted.created ? [inserted.job.id] : []),
    remove: (inserted) => deleteJob(db, inserted.job.id),
  });
  if (!created) return { kind: 'replayed', job: replayed(job, requestHash) };
  return { kind: 'created', job };
}

/** The job an idempotency key already names, if the request is the same one. */
function replayed(existing: JobRow, requestHash: string): JobRow {
  if (existing.requestHash !== requestHash) {
    throw new ConflictError('Idempotency-Key', `was already used for job ${existing.id} with a different request body`);
  }
  return existing;
}
