/** A job row as the API shows it, and the lookup every /v1/jobs/:id route starts with. */
import { InvalidInputError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { getTenantJob, type JobRow } from '../store/jobs.ts';
import type { JobView } from './schemas.ts';

export function jobView(row: JobRow): JobView {
  const view: JobView = {
    id: row.id,
    name: row.name,
    status: row.status,
    progress: row.progress as JobView['progress'],
    backend: row.backend,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    attempts: row.attempts,
    spec: row.spec as JobView['spec'],
  };
  if (row.error) view.error = row.error;
  return view;
}

/** Opaque list cursor: the (createdAt, id) of the last job shown. */
export function encodeCursor(next: { createdAt: Date; id: string }): string {
  return Buffer.from(`${next.createdAt.toISOString()}|${next.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } | null {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  return id && !Number.isNaN(createdAt.getTime()) && /^[0-9a-f-]{36}$/.test(id) ? { createdAt, id } : null;
}

/** The tenant's job, or a 404 naming the id (another tenant's job answers exactly like no job). */
export async function requireJob(db: Db, tenant: string, id: string): Promise<JobRow> {
  const job = await getTenantJob(db, tenant, id);
  if (!job) throw new InvalidInputError('id', `no job ${id}`, 404);
  return job;
}
