/**
 * A whole run's loss curve in at most N points, computed in PostgreSQL, and every step as a
 * stream of pages (for CSV / NDJSON export).
 */
import type { Db } from './db.ts';
import type { StepRow } from './metrics.ts';

export interface Bucket {
  firstStep: number;
  lastStep: number;
  steps: number;
  minLoss: number;
  maxLoss: number;
  meanLoss: number;
  /** Loss and learning rate of the bucket's last step. */
  lastLoss: number;
  learningRate: number;
}

/**
 * Equal-width buckets of the recorded step range [lo, lo + width): step s falls in bucket
 * floor((s − lo) · N / width), so bucket b holds the steps from lo + ceil(b · width / N) up to
 * (not including) lo + ceil((b + 1) · width / N), integer arithmetic so no step lands on a
 * rounding edge. With N ≥ the steps recorded, every step is its own bucket; empty buckets (a
 * hole in the steps) are left out.
 *
 * The plan is N range scans of the primary key (jobId, step) plus one backward probe each for
 * the bucket's last row, both LATERAL subqueries the planner cannot flatten (an aggregate, a
 * LIMIT), so it stays that shape whatever the statistics say: a GROUP BY over the computed
 * bucket made the planner expect a million groups and sort on disk, and a plain join to the
 * last row turned into a scan of every row per bucket while a new job's statistics were stale.
 * JIT is off for it: compiling took longer than the query (500 ms).
 */
export async function stepBuckets(db: Db, jobId: string, points: number): Promise<Bucket[]> {
  const [, rows] = await db.$transaction([
    db.$executeRaw`SET LOCAL jit = off`,
    db.$queryRaw<Bucket[]>`
      WITH ends AS (
        SELECT (SELECT "step" FROM "StepMetric" WHERE "jobId" = ${jobId}::uuid ORDER BY "step" LIMIT 1) AS lo,
               (SELECT "step" FROM "StepMetric" WHERE "jobId" = ${jobId}::uuid ORDER BY "step" DESC LIMIT 1) AS hi
      ), bounds AS (
        SELECT lo, hi - lo + 1 AS width FROM ends
      ), ranges AS (
        SELECT b.lo + (g::bigint * b.width + ${points}::int - 1) / ${points}::int AS first,
               b.lo + ((g + 1)::bigint * b.width + ${points}::int - 1) / ${points}::int AS stop
        FROM bounds b CROSS JOIN generate_series(0, ${points}::int - 1) g
        WHERE b.lo IS NOT NULL
      )
      SELECT a."firstStep", a."lastStep", a."steps", a."minLoss", a."maxLoss", a."meanLoss",
             l."loss" AS "lastLoss", l."learningRate"
      FROM ranges r
      CROSS JOIN LATERAL (
        SELECT min(s."step") AS "firstStep", max(s."step") AS "lastStep", count(*)::int AS "steps",
               min(s."loss") AS "minLoss", max(s."loss") AS "maxLoss", avg(s."loss") AS "meanLoss"
        FROM "StepMetric" s
        WHERE s."jobId" = ${jobId}::uuid AND s."step" >= r.first AND s."step" < r.stop
      ) a
      CROSS JOIN LATERAL (
        SELECT s."loss", s."learningRate"
        FROM "StepMetric" s
        WHERE s."jobId" = ${jobId}::uuid AND s."step" >= r.first AND s."step" < r.stop
        ORDER BY s."step" DESC LIMIT 1
      ) l
      ORDER BY r.first`,
  ]);
  return rows;
}

/** Every step of a job, in order, a page at a time (keyset on step: no OFFSET rescans). */
export async function* allSteps(db: Db, jobId: string, pageSize = 10_000): AsyncGenerator<StepRow[]> {
  let after = 0;
  for (;;) {
    const rows = await db.$queryRaw<StepRow[]>`
      SELECT "step", "epoch", "loss", "learningRate" FROM "StepMetric"
      WHERE "jobId" = ${jobId}::uuid AND "step" > ${after}
      ORDER BY "step" LIMIT ${pageSize}`;
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1].step;
    if (rows.length < pageSize) return;
  }
}
