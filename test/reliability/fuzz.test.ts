/**
 * Property-based fuzz test of every route in the app's OpenAPI document (a route added later is
 * fuzzed too): random and mutated bodies, headers, query strings, path ids and multipart uploads,
 * through app.inject() against a database of the test's own and the real Redis, no worker.
 * For every request: no 5xx, an answer within the deadline, and a refused request (4xx) stores
 * nothing (the row count of every table is unchanged). Accepted requests are cleaned up.
 *
 * Fixed seed, bounded runs for CI; FUZZ_RUNS=2000 FUZZ_SEED=… to search longer locally.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { irisJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';
import { requestFor, type FuzzRequest, type Route } from './fuzz-requests.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
/** Longest a request may take: the slowest valid ones (a playground trajectory, an upload) take well under a second. */
const DEADLINE_MS = 15_000;

/** A failure in a few lines: the request, cut short (a deep body is 100 kB), and why. */
function report(run: fc.RunDetails<[FuzzRequest]>): void {
  if (!run.failed) return;
  const [req] = run.counterexample ?? [];
  const payload = req?.payload === undefined ? '' : String(req.payload);
  const shown = req && {
    ...req,
    url: req.url.slice(0, 300),
    payload: `${payload.slice(0, 300)}${payload.length > 300 ? `… (${payload.length} chars)` : ''}`,
  };
  const why = run.errorInstance instanceof Error ? run.errorInstance.message : String(run.errorInstance);
  // The whole request, to replay it: app.inject(JSON.parse(readFileSync(file)))
  const file = path.join(tmpdir(), `fuzz-failure-${process.pid}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      req === undefined ? null : { ...req, payload: Buffer.isBuffer(req.payload) ? req.payload.toString('latin1') : req.payload },
    ),
  );
  throw new Error(
    `fuzz failure (seed ${run.seed}, path ${run.counterexamplePath}): ${why.slice(0, 1500)}\n` +
      `request (whole in ${file}): ${JSON.stringify(shown)}`,
  );
}

describe('fuzz: every route of the OpenAPI document', () => {
  let service: TestService;
  let routes: Route[];
  let tables: string[];
  const ids: string[] = [];

  /** Row counts of every table of the app (from the catalog, so a new table is counted too). */
  async function counts(): Promise<Record<string, number>> {
    const union = tables.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM "${t}"`).join(' UNION ALL ');
    const rows = await service.db.$queryRawUnsafe<Array<{ t: string; n: number }>>(union);
    return Object.fromEntries(rows.map((r) => [r.t, r.n]));
  }

  /** Removes what an accepted request created (the Location header names it), so counts start again from known rows. */
  async function cleanUp(location: string | undefined): Promise<void> {
    const [, kind, id] = /^\/v1\/(jobs|datasets|models)\/([0-9a-f-]{36})$/.exec(location ?? '') ?? [];
    if (kind === 'jobs') await service.db.job.deleteMany({ where: { id } });
    if (kind === 'datasets') await service.db.dataset.deleteMany({ where: { id } });
    if (kind === 'models') await service.db.uploadedModel.deleteMany({ where: { id } });
  }

  before(async () => {
    // A database of its own: row counts must not move with other test files' work.
    const own = new URL(TEST_DATABASE_URL);
    own.pathname = `${own.pathname}_fuzz`;
    service = await startService({ env: { DATABASE_URL: own.toString() } });
    const doc = (await service.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>;
    }>();
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        headers: (op.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name),
      })),
    );
    tables = (
      await service.db.$queryRaw<Array<{ table_name: string }>>`
      SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`
    ).map((r) => r.table_name);
    // Real rows for the ids to hit: a queued job and an uploaded dataset.
    const job = await service.app.inject({ method: 'POST', url: '/v1/jobs', payload: irisJob() });
    assert.equal(job.statusCode, 201, job.body);
    const dataset = await service.app.inject({
      method: 'POST',
      url: '/v1/datasets?label=y',
      headers: { 'content-type': 'text/csv' },
      payload: 'a,y\n1,p\n2,q\n',
    });
    assert.equal(dataset.statusCode, 201, dataset.body);
    ids.push(job.json().id, dataset.json().id);
  });
  after(async () => {
    await service.db.job.deleteMany({ where: { id: { in: ids } } });
    await service.db.dataset.deleteMany({ where: { id: { in: ids } } });
    await service.close();
  });

  it('the OpenAPI document lists the routes (jobs, datasets, models, trajectories)', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    for (const expected of [
      'POST /v1/jobs',
      'GET /v1/jobs/{id}/metrics',
      'POST /v1/datasets',
      'POST /v1/models',
      'POST /v1/trajectories',
    ]) {
      assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
    }
    assert.ok(tables.includes('Job') && tables.includes('Dataset'), tables.join(', '));
  });

  it('no route answers 5xx or hangs, and a refused request stores nothing', async () => {
    /** "POST /v1/jobs" → answers by status, printed at the end: shows the fuzz reaches past the first check. */
    const seen = new Map<string, Map<number, number>>();
    for (const route of routes) {
      // OpenAPI paths of the app itself are not under test (openapi.json is hidden, /docs is static).
      if (route.path.startsWith('/docs')) continue;
      await fc.assert(
        fc.asyncProperty(requestFor(route, ids), async (req) => {
          const before = await counts();
          let timer: NodeJS.Timeout | undefined;
          const res = await Promise.race([
            service.app.inject(req),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms`)), DEADLINE_MS);
            }),
          ]).finally(() => clearTimeout(timer));
          const tally = seen.get(`${route.method} ${route.path}`) ?? new Map<number, number>();
          seen.set(`${route.method} ${route.path}`, tally.set(res.statusCode, (tally.get(res.statusCode) ?? 0) + 1));
          assert.ok(res.statusCode < 500, `${req.method} ${req.url.slice(0, 200)} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
          if (res.statusCode >= 400) {
            assert.match(
              String(res.headers['content-type'] ?? ''),
              /^application\/json/,
              `${req.method} ${req.url.slice(0, 100)}: ${res.statusCode} not as JSON`,
            );
            assert.deepEqual(await counts(), before, `${req.method} ${req.url.slice(0, 200)} answered ${res.statusCode} but changed rows`);
            const error = res.json<{ error?: unknown; message?: unknown }>();
            assert.equal(typeof error.error, 'string', res.body.slice(0, 300));
            assert.equal(typeof error.message, 'string', res.body.slice(0, 300));
          } else {
            await cleanUp(res.headers.location);
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true, reporter: report },
      );
    }
    for (const [route, tally] of seen)
      console.log(
        `${route}: ${[...tally]
          .sort(([a], [b]) => a - b)
          .map(([status, n]) => `${status}×${n}`)
          .join(' ')}`,
      );
  });
});
