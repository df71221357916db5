/**
 * The other shapes of GET /v1/jobs/:id/metrics: `?points=N` (the whole run in at most N buckets)
 * and `?format=csv|ndjson` (every step, streamed page by page so a 10^6-step job never sits in
 * memory whole).
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Static } from 'typebox';
import { InvalidInputError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { JobRow } from '../store/jobs.ts';
import { allSteps, stepBuckets } from '../store/metric-buckets.ts';
import { listEpochs } from '../store/metrics.ts';
import { epochView } from './epoch-view.ts';
import type { MetricBuckets } from './schemas.ts';

export type MetricsFormat = 'json' | 'csv' | 'ndjson';

export function isMetricsVariant(query: { points?: number; format?: MetricsFormat }): boolean {
  return query.points !== undefined || (query.format ?? 'json') !== 'json';
}

export async function sendMetricsVariant(
  db: Db,
  job: JobRow,
  query: { points?: number; format?: MetricsFormat },
  reply: FastifyReply,
): Promise<FastifyReply> {
  const format = query.format ?? 'json';
  if (query.points !== undefined) {
    if (format !== 'json') throw new InvalidInputError('points', `gives JSON buckets; it cannot be combined with format=${format}`);
    const [buckets, epochs] = await Promise.all([stepBuckets(db, job.id, query.points), listEpochs(db, job.id)]);
    // Typed by its schema, which documents it (the route's second 200 answer): the two cannot drift apart.
    const body: Static<typeof MetricBuckets> = {
      points: query.points,
      steps: buckets.reduce((n, b) => n + b.steps, 0),
      buckets,
      epochs: epochs.map(epochView),
    };
    // Already plain numbers: sent as text, past the paged route's response schema.
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
  }
  const csv = format === 'csv';
  async function* lines() {
    if (csv) yield 'step,epoch,loss,learningRate\n';
    for await (const page of allSteps(db, job.id)) {
      yield page.map((s) => (csv ? `${s.step},${s.epoch},${s.loss},${s.learningRate}\n` : `${JSON.stringify(s)}\n`)).join('');
    }
  }
  return reply
    .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
    .header('content-disposition', `attachment; filename="${job.id}-steps.${csv ? 'csv' : 'ndjson'}"`)
    .send(Readable.from(lines()));
}
