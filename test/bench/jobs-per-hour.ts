/**
 * Bench parts `concurrency` and `checkpoints`: what a service finishes per hour, and what its
 * checkpoints cost.
 *
 * - concurrency: 40 small jobs (iris, 30 epochs) submitted at once; wall time from the first
 *   POST until the last job has finished, on a service with the default WORKER_CONCURRENCY and on
 *   one with WORKER_CONCURRENCY=1.
 * - checkpoints: the same MLP job (mnist 2,000, 10 epochs) alone on a service that checkpoints
 *   after every epoch (CHECKPOINT_INTERVAL_S=0) and on one at the default interval (60 s, so none
 *   in a job this short); the difference over the checkpoints taken is one checkpoint's cost, and
 *   that cost over the default interval is its share of a long job's time.
 */
import { runServiceJob, type ServiceRun } from './training.ts';
import type { BenchService } from './service.ts';

export const BURST_JOBS = 40;

export function irisJob(seed: number) {
  return {
    name: `bench-burst-${seed}`,
    dataset: { builtin: 'iris' },
    model: {
      layers: [
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'dense', units: 3, activation: 'softmax' },
      ],
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    },
    optimizer: { name: 'adam', learningRate: 0.01 },
    training: { epochs: 30, batchSize: 16, validationSplit: 0.2, seed },
  };
}

export const CHECKPOINT_EPOCHS = 10;

export function checkpointJob(seed: number) {
  return {
    name: `bench-checkpoints-${seed}`,
    dataset: { builtin: 'mnist', samples: 2000, shape: 'flat' },
    model: {
      layers: [
        { type: 'dense', units: 128, activation: 'relu' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
      loss: 'categoricalCrossentropy',
    },
    optimizer: { name: 'adam', learningRate: 0.001 },
    training: { epochs: CHECKPOINT_EPOCHS, batchSize: 64, validationSplit: 0, seed },
  };
}

async function json(res: Response): Promise<any> {
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

export interface BurstResult {
  jobs: number;
  wallSeconds: number;
  jobsPerHour: number;
  /** The worker's concurrency as its heartbeat in /readyz reports it. */
  concurrency: number | null;
  failed: number;
}

/** Submits `count` jobs at once and waits for all of them; counts the ones that did not succeed. */
export async function burst(service: BenchService, count = BURST_JOBS, timeoutMs = 600_000): Promise<BurstResult> {
  const ready = await json(await fetch(`${service.url}/readyz`));
  const concurrency = (ready?.workers?.[0]?.concurrency as number | undefined) ?? null;
  const started = performance.now();
  const ids = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const res = await fetch(`${service.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(irisJob(i + 1)),
      });
      const body = await json(res);
      if (res.status !== 201) throw new Error(`POST /v1/jobs answered ${res.status}: ${JSON.stringify(body)}`);
      return body.id as string;
    }),
  );
  const pending = new Set(ids);
  let failed = 0;
  while (pending.size > 0) {
    if (performance.now() - started > timeoutMs) throw new Error(`${pending.size} of ${count} jobs unfinished after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
    for (const id of [...pending]) {
      const job = await json(await fetch(`${service.url}/v1/jobs/${id}`));
      if (['succeeded', 'failed', 'canceled'].includes(job.status)) {
        pending.delete(id);
        if (job.status !== 'succeeded') failed++;
      }
    }
  }
  const wallSeconds = (performance.now() - started) / 1000;
  return { jobs: count, wallSeconds, jobsPerHour: (count / wallSeconds) * 3600, concurrency, failed };
}

export interface CheckpointJobs {
  runs: ServiceRun[];
  medianSeconds: number;
}

/** The checkpoint job `runs` times, one after another; the median of its running times (startedAt → finishedAt). */
export async function checkpointRuns(service: BenchService, runs: number): Promise<CheckpointJobs> {
  await runServiceJob(service, checkpointJob(100)); // warm-up
  const done: ServiceRun[] = [];
  for (let i = 0; i < runs; i++) done.push(await runServiceJob(service, checkpointJob(i + 1)));
  const sorted = done.map((r) => r.runningSeconds).sort((a, b) => a - b);
  return { runs: done, medianSeconds: sorted[Math.floor(sorted.length / 2)] };
}
