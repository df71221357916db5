/**
 * Comparisons (several jobs that differ only in their optimizer) and learning-rate range tests:
 * their rows, and the table of results computed in SQL from Job, EpochMetric and StepMetric.
 *
 * Every read goes through `scoped()`, which keeps a tenant to its own comparisons: another
 * tenant's id reads as an unknown one.
 */
import type { Db } from './db.ts';
import { Prisma } from './generated/client.ts';
import { ActiveJobsLimitError, insertJobWithinLimit, type JobStatus, type NewJob } from './jobs.ts';

export type ComparisonKind = 'comparison' | 'lrFinder';

/** The condition every read of a comparison carries. */
function scoped(tenant: string, kind: ComparisonKind, id?: string): Prisma.ComparisonWhereInput {
  return id === undefined ? { tenant, kind } : { tenant, kind, id };
}

/** A variant's job, as a job is stored (store/jobs.ts). */
export type NewVariantJob = Pick<NewJob, 'id' | 'tenant' | 'name' | 'spec' | 'progress'>;

export interface NewComparison {
  id: string;
  tenant: string;
  name?: string;
  kind: ComparisonKind;
  metric: string;
  target?: number;
  config: object;
  /** In variant order. */
  jobs: NewVariantJob[];
}

/**
 * The comparison, its jobs and the links between them in one transaction: a crash leaves all
 * of it or none. The jobs are committed as `queued`, to be put on the queue afterwards. Each
 * job is inserted within the tenant's limit of `maxActive` active jobs, as a submitted one is
 * (insertJobWithinLimit): past it, an ActiveJobsLimitError and nothing is written.
 */
export async function insertComparison(db: Db, c: NewComparison, maxActive: number): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.comparison.create({
      data: {
        id: c.id,
        tenant: c.tenant,
        name: c.name,
        kind: c.kind,
        metric: c.metric,
        target: c.target,
        config: c.config,
      },
    });
    for (const [i, job] of c.jobs.entries()) {
      const refused = await insertJobWithinLimit(tx, job, maxActive);
      // The count includes this comparison's jobs inserted before it: the tenant's own are the rest.
      if (refused !== null) throw new ActiveJobsLimitError(refused - i);
    }
    await tx.comparisonJob.createMany({ data: c.jobs.map((j, variant) => ({ comparisonId: c.id, variant, jobId: j.id })) });
  });
}

/** Removes a comparison and its jobs (when its jobs could not be queued). */
export async function deleteComparison(db: Db, id: string, jobIds: string[]): Promise<void> {
  await db.$transaction([db.job.deleteMany({ where: { id: { in: jobIds } } }), db.comparison.deleteMany({ where: { id } })]);
}

const COMPARISON_FIELDS = {
  id: true,
  name: true,
  kind: true,
  metric: true,
  target: true,
  config: true,
  cancelRequested: true,
  createdAt: true,
  jobs: { orderBy: { variant: 'asc' }, select: { jobId: true, job: { select: { status: true } } } },
} as const satisfies Prisma.ComparisonSelect;

type Selected = Prisma.ComparisonGetPayload<{ select: typeof COMPARISON_FIELDS }>;

export interface ComparisonRow extends Omit<Selected, 'jobs'> {
  /** Job ids in variant order. */
  jobIds: string[];
  jobStatuses: JobStatus[];
}

const toRow = ({ jobs, ...rest }: Selected): ComparisonRow => ({
  ...rest,
  jobIds: jobs.map((j) => j.jobId),
  jobStatuses: jobs.map((j) => j.job.status),
});

export async function getComparison(db: Db, tenant: string, kind: ComparisonKind, id: string): Promise<ComparisonRow | null> {
  const row = await db.comparison.findFirst({ where: scoped(tenant, kind, id), select: COMPARISON_FIELDS });
  return row ? toRow(row) : null;
}

/** Newest first; the cursor is the (createdAt, id) of the last one of the previous page. */
export async function listComparisons(
  db: Db,
  tenant: string,
  kind: ComparisonKind,
  opts: { limit: number; after?: { createdAt: Date; id: string } },
): Promise<{ comparisons: ComparisonRow[]; next: { createdAt: Date; id: string } | null }> {
  const where: Prisma.ComparisonWhereInput = { ...scoped(tenant, kind) };
  if (opts.after) {
    const { createdAt, id } = opts.after;
    where.OR = [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }];
  }
  const rows = await db.comparison.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: opts.limit + 1,
    select: COMPARISON_FIELDS,
  });
  const page = rows.slice(0, opts.limit).map(toRow);
  const last = page[page.length - 1];
  return { comparisons: page, next: rows.length > opts.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}

export async function markCanceled(db: Db, tenant: string, kind: ComparisonKind, id: string): Promise<void> {
  await db.comparison.updateMany({ where: scoped(tenant, kind, id), data: { cancelRequested: true } });
}

/** PostgreSQL's float8 holds Infinity and NaN (NaN sorts above every number): leave them out of min and max. */
const FINITE = (column: string) => Prisma.raw(`${column} > '-Infinity'::float8 AND ${column} < 'Infinity'::float8`);

/** One variant's results, as the comparison's table shows them. */
export interface ResultRow {
  variant: number;
  jobId: string;
  status: JobStatus;
  /** The job's optimizer spec (defaults filled in). */
  optimizer: Record<string, unknown>;
  /** Mean training loss of the last finished epoch. */
  finalLoss: number | null;
  /** Validation loss and accuracy after the last finished epoch. */
  finalValLoss: number | null;
  finalValAccuracy: number | null;
  bestValLoss: number | null;
  bestValAccuracy: number | null;
  /** The first step whose loss was at most the comparison's target. */
  stepToTarget: number | null;
  /** From start to finish (or to now, while it runs); null before it started. */
  wallSeconds: number | null;
  divergedAtStep: number | null;
  error: string | null;
}

/**
 * The table, one row per variant, aggregated by PostgreSQL: the epochs of each job (a few
 * hundred rows at most) and one indexed range of its steps for the target, never every step.
 */
export async function comparisonResults(db: Db, id: string, target: number | null): Promise<ResultRow[]> {
  const rows = await db.$queryRaw<ResultRow[]>`
    SELECT cj.variant, j.id AS "jobId", j.status::text AS status, j.spec->'optimizer' AS optimizer,
      e."finalLoss", e."finalValLoss", e."finalValAccuracy", e."bestValLoss", e."bestValAccuracy",
      (SELECT min(s.step) FROM "StepMetric" s WHERE s."jobId" = j.id AND s.loss <= ${target}::float8) AS "stepToTarget",
      EXTRACT(EPOCH FROM (COALESCE(j."finishedAt", now()) - j."startedAt"))::float8 AS "wallSeconds",
      j."divergedAtStep", j.error
    FROM "ComparisonJob" cj
    JOIN "Job" j ON j.id = cj."jobId"
    LEFT JOIN LATERAL (
      SELECT (array_agg(m.loss ORDER BY m.epoch DESC))[1] AS "finalLoss",
        (array_agg(m."valLoss" ORDER BY m.epoch DESC))[1] AS "finalValLoss",
        (array_agg(m."valAccuracy" ORDER BY m.epoch DESC))[1] AS "finalValAccuracy",
        min(m."valLoss") FILTER (WHERE ${FINITE('m."valLoss"')}) AS "bestValLoss",
        max(m."valAccuracy") FILTER (WHERE ${FINITE('m."valAccuracy"')}) AS "bestValAccuracy"
      FROM "EpochMetric" m WHERE m."jobId" = j.id
    ) e ON true
    WHERE cj."comparisonId" = ${id}::uuid
    ORDER BY cj.variant`;
  // A diverging job's last epoch can hold Infinity (a huge loss averaged); JSON has no such number.
  return rows.map((r) => ({
    ...r,
    finalLoss: finite(r.finalLoss),
    finalValLoss: finite(r.finalValLoss),
    finalValAccuracy: finite(r.finalValAccuracy),
  }));
}

const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);

export interface LossPoint {
  step: number;
  loss: number;
  learningRate: number;
}

/**
 * A job's step losses for a chart, at most about `points` of them: above that, consecutive
 * steps are averaged in PostgreSQL into buckets of equal width (a chart 800 pixels wide
 * cannot show more, and a million-step job must not be read into memory).
 */
export async function lossSeries(db: Db, jobId: string, points: number): Promise<LossPoint[]> {
  const [{ last }] = await db.$queryRaw<
    Array<{ last: number | null }>
  >`SELECT max(step) AS last FROM "StepMetric" WHERE "jobId" = ${jobId}::uuid`;
  const width = Math.max(1, Math.ceil((last ?? 0) / points));
  return db.$queryRaw<LossPoint[]>`
    SELECT max(step) AS step, avg(loss)::float8 AS loss, avg("learningRate")::float8 AS "learningRate"
    FROM "StepMetric" WHERE "jobId" = ${jobId}::uuid
    GROUP BY (step - 1) / ${width}::int ORDER BY 1`;
}

/** Epoch ends for a chart: the last step of each epoch, its training and validation loss. */
export async function epochSeries(
  db: Db,
  jobId: string,
): Promise<Array<{ epoch: number; step: number; loss: number; valLoss: number | null }>> {
  return db.$queryRaw`
    SELECT m.epoch, s.step, m.loss, m."valLoss"
    FROM "EpochMetric" m
    JOIN (SELECT epoch, max(step) AS step FROM "StepMetric" WHERE "jobId" = ${jobId}::uuid GROUP BY epoch) s ON s.epoch = m.epoch
    WHERE m."jobId" = ${jobId}::uuid ORDER BY m.epoch`;
}

/** The step at which a job's loss stopped being finite, if it did. */
export async function divergedAt(db: Db, jobId: string): Promise<number | null> {
  const row = await db.job.findUnique({ where: { id: jobId }, select: { divergedAtStep: true } });
  return row?.divergedAtStep ?? null;
}
