/** A job row as the API shows it, and the cursor of a job list. */
import type { JobRow } from '../store/jobs.ts';
import type { JobView } from './schemas.ts';

/**
 * A job's progress with every field the API promises. Rows written before a fix (a job canceled
 * before its first step had its progress replaced by {}) must not break a whole job list.
 */
function progressView(row: JobRow): JobView['progress'] {
  const p: Partial<JobView['progress']> = row.progress ?? {};
  return {
    epoch: p.epoch ?? 0,
    epochs: p.epochs ?? row.spec.training?.epochs ?? 0,
    step: p.step ?? 0,
    totalSteps: p.totalSteps ?? 0,
    loss: p.loss ?? null,
    samplesPerSecond: p.samplesPerSecond ?? 0,
  };
}

export function jobView(row: JobRow): JobView {
  const view: JobView = {
    id: row.id,
    name: row.name,
    status: row.status,
    progress: progressView(row),
    backend: row.backend,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    attempts: row.attempts,
    checkpoint: row.checkpoint
      ? { step: row.checkpoint.step, epoch: row.checkpoint.epoch, createdAt: row.checkpoint.createdAt.toISOString() }
      : null,
    resumedFromStep: row.resumedFromStep,
    spec: row.spec,
  };
  if (row.error) view.error = row.error;
  return view;
}

/** Opaque list cursor: the (createdAt, id) of the last job shown. */
export function encodeCursor(next: { createdAt: Date; id: string }): string {
  return Buffer.from(`${next.createdAt.toISOString()}|${next.id}`).toString('base64url');
}

/**
 * The cursor back, or null when it is not one this API made. Its time must be written exactly as
 * toISOString writes a four-digit year: JavaScript dates reach ±271,821 years, PostgreSQL's
 * timestamp only 4713 BC to 294276 AD, and a query with a time outside that fails in the database.
 */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } | null {
  const [at = '', id, ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (rest.length > 0 || !id || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(at)) return null;
  const createdAt = new Date(at);
  return !Number.isNaN(createdAt.getTime()) && createdAt.toISOString() === at ? { createdAt, id } : null;
}
