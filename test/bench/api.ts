/**
 * Part 3 of the bench: requests per second and latency of GET /v1/jobs/:id and POST /v1/jobs
 * under autocannon on loopback, against the API process (`main.ts api`, no worker: submitted
 * jobs stay queued, so the POST figure is the API's cost, not training competing for the CPU).
 */
import autocannon from 'autocannon';
import type { BenchService } from './service.ts';
import { benchQuery } from './service.ts';
import { tinyJob } from './specs.ts';

export interface LoadResult {
  route: string;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  connections: number;
}

function load(opts: autocannon.Options, route: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, r) => {
      if (err) return reject(err);
      resolve({
        route,
        requests: r.requests.total,
        requestsPerSecond: r.requests.total / (r.duration || 1),
        p50: r.latency.p50,
        p99: r.latency.p99,
        max: r.latency.max,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        durationSeconds: r.duration,
        connections: opts.connections ?? 10,
      });
    });
  });
}

export async function apiLoad(
  service: BenchService,
  seconds: number,
  connections: number,
): Promise<{ get: LoadResult; post: LoadResult; jobsCreated: number }> {
  const res = await fetch(`${service.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(tinyJob()),
  });
  if (res.status !== 201) throw new Error(`POST /v1/jobs answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  // A short warm-up of both routes (JIT, connection pools), not counted.
  await load({ url: `${service.url}/v1/jobs/${id}`, connections, duration: 1 }, 'warm-up');
  const get = await load({ url: `${service.url}/v1/jobs/${id}`, connections, duration: seconds }, 'GET /v1/jobs/:id');
  const before = await countJobs();
  const post = await load(
    {
      url: `${service.url}/v1/jobs`,
      method: 'POST',
      connections,
      duration: seconds,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(tinyJob()),
    },
    'POST /v1/jobs',
  );
  const jobsCreated = (await countJobs()) - before;
  return { get, post, jobsCreated };
}

async function countJobs(): Promise<number> {
  const [{ count }] = await benchQuery<{ count: string }>('SELECT count(*) FROM "Job"');
  return Number(count);
}
