/** The lookup every use case on one comparison (or learning-rate test) starts with. */
import { NotFoundError } from '../errors.ts';
import { getComparison, type ComparisonKind, type ComparisonRow } from '../store/comparisons.ts';
import type { Db } from '../store/db.ts';

const NAMED: Record<ComparisonKind, string> = { comparison: 'comparison', lrFinder: 'learning-rate test' };

/** The tenant's comparison (or range test) `id`, or a NotFoundError naming it: another tenant's reads like none. */
export async function requireComparison(db: Db, tenant: string, kind: ComparisonKind, id: string): Promise<ComparisonRow> {
  const row = await getComparison(db, tenant, kind, id);
  if (!row) throw new NotFoundError('id', `no ${NAMED[kind]} ${id}`);
  return row;
}
