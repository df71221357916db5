/**
 * Parts 1 and 2 of the bench: training throughput of the MLP and the CNN (bare TensorFlow.js
 * loop, the service end to end; the peers are in peers.ts), and the metric path's steps per second.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateDataset } from '../../src/engine/builtin-datasets.ts';
import { parseDatasetSpec } from '../../src/domain/dataset.ts';
import { benchQuery, cpuSnapshot, jobLog, type BenchService } from './service.ts';
import { mnistJob, MNIST_SAMPLES, xorJob, type ModelName } from './specs.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

export interface BareResult {
  workload: string;
  variant: string;
  backend: string;
  samples: number;
  steps: number;
  runSeconds: number[];
  seconds: number;
  samplesPerSecond: number;
  stepsPerSecond: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** bare-tf.ts in a process of its own; reports the median of `runs` timed runs. */
export async function bareTf(
  workload: ModelName | 'xor',
  variant: 'tfadam' | 'ouradam' | 'train',
  runs = 3,
  backend = 'auto',
): Promise<BareResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/bench/bare-tf.ts', workload, variant, backend, String(runs)], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  });
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error(`bare-tf.ts printed no result: ${stdout}`);
  const result = JSON.parse(line) as BareResult;
  const seconds = median(result.runSeconds);
  return { ...result, seconds, samplesPerSecond: result.samples / seconds, stepsPerSecond: result.steps / seconds };
}

/** Writes the mnist examples our generator gives (flat pixels + labels) for the peers (peers.ts). */
export function exportMnist(dir: string): string {
  const path = join(dir, 'mnist-8000.bin');
  const data = generateDataset(parseDatasetSpec({ builtin: 'mnist', samples: MNIST_SAMPLES, shape: 'flat' }), 1);
  const header = Buffer.alloc(8);
  header.writeInt32LE(data.count, 0);
  header.writeInt32LE(784, 4);
  writeFileSync(
    path,
    Buffer.concat([
      header,
      Buffer.from(data.features.buffer, data.features.byteOffset, data.features.byteLength),
      Buffer.from(data.targets.buffer, data.targets.byteOffset, data.targets.byteLength),
    ]),
  );
  return path;
}

// ---- the service ------------------------------------------------------------------------

async function request(url: string, method: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

export interface ServiceRun {
  id: string;
  /** Client side: POST sent → the poll that saw `succeeded`. */
  wallSeconds: number;
  /** Server side, from the job row: createdAt → startedAt (queue pickup) and startedAt → finishedAt. */
  queuedSeconds: number;
  runningSeconds: number;
  /** From the worker's log: 'training started' → the child's 'done' message → 'training succeeded'. */
  childSeconds?: number;
  finishingSeconds?: number;
  /** The child's own rate in the last epoch (its loop only). */
  loopSamplesPerSecond: number;
  backend: string;
  steps: number;
  /** CPU seconds used while the job ran: the service process (API + worker), its training child, PostgreSQL. */
  cpu: { service: number; children: number; postgres: number };
}

/** Submits a job and polls it every `pollMs` until it has finished; fails unless it succeeded. */
export async function runServiceJob(service: BenchService, body: unknown, pollMs = 20, timeoutMs = 300_000): Promise<ServiceRun> {
  const cpuBefore = service.proc.pid ? cpuSnapshot(service.proc.pid) : undefined;
  const started = performance.now();
  const submitted = await request(`${service.url}/v1/jobs`, 'POST', body);
  if (submitted.status !== 201) throw new Error(`POST /v1/jobs answered ${submitted.status}: ${JSON.stringify(submitted.json)}`);
  const id = submitted.json.id as string;
  let job: any;
  for (;;) {
    job = (await request(`${service.url}/v1/jobs/${id}`, 'GET')).json;
    if (['succeeded', 'failed', 'canceled'].includes(job.status)) break;
    if (performance.now() - started > timeoutMs) throw new Error(`job ${id} did not finish within ${timeoutMs} ms (status ${job.status})`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuAfter = service.proc.pid ? cpuSnapshot(service.proc.pid) : undefined;
  const cpu =
    cpuBefore && cpuAfter
      ? {
          service: cpuAfter.service - cpuBefore.service,
          children: cpuAfter.children - cpuBefore.children,
          postgres: cpuAfter.postgres - cpuBefore.postgres,
        }
      : { service: NaN, children: NaN, postgres: NaN };
  if (job.status !== 'succeeded') throw new Error(`job ${id} ${job.status}: ${job.error ?? ''}`);
  const t = (s: string) => new Date(s).getTime();
  const log = jobLog(service.logFile, id);
  const at = (msg: string) => log.find((l) => l.msg === msg)?.time;
  const [trainingStarted, childDone, succeeded] = [
    at('training started'),
    at('training process finished the job'),
    at('training succeeded'),
  ];
  return {
    id,
    wallSeconds,
    queuedSeconds: (t(job.startedAt) - t(job.createdAt)) / 1000,
    runningSeconds: (t(job.finishedAt) - t(job.startedAt)) / 1000,
    childSeconds: trainingStarted && childDone ? (childDone - trainingStarted) / 1000 : undefined,
    finishingSeconds: childDone && succeeded ? (succeeded - childDone) / 1000 : undefined,
    loopSamplesPerSecond: job.progress.samplesPerSecond,
    backend: job.backend,
    steps: job.progress.step,
    cpu,
  };
}

export interface ServiceModelResult {
  warmup: ServiceRun;
  runs: ServiceRun[];
  /** Median run: training samples × epochs / wall seconds. */
  samplesPerSecond: number;
  median: ServiceRun;
}

/** A warm-up job (the child is started and its kernels warm), then `runs` timed jobs. */
export async function serviceModel(service: BenchService, model: ModelName, runs = 3): Promise<ServiceModelResult> {
  const warmup = await runServiceJob(service, mnistJob(model, 100));
  const results: ServiceRun[] = [];
  for (let i = 0; i < runs; i++) results.push(await runServiceJob(service, mnistJob(model, 1 + i)));
  const sorted = [...results].sort((a, b) => a.wallSeconds - b.wallSeconds);
  const mid = sorted[Math.floor(sorted.length / 2)];
  const job = mnistJob(model);
  return { warmup, runs: results, median: mid, samplesPerSecond: (job.dataset.samples * job.training.epochs) / mid.wallSeconds };
}

export interface MetricsResult {
  run: ServiceRun;
  rows: number;
  expectedSteps: number;
  stepsPerSecond: number;
  /** Rows / the worker's training time ('training started' → child done), without queue and finishing. */
  stepsPerSecondTraining?: number;
}

/** Part 2: a tiny xor job whose steps, not its arithmetic, should be the work. */
export async function metricsPath(service: BenchService, epochs: number): Promise<MetricsResult> {
  await runServiceJob(service, xorJob(100, 1)); // warm-up: child and kernels
  const body = xorJob(1, epochs);
  const run = await runServiceJob(service, body);
  const [{ count }] = await benchQuery<{ count: string }>('SELECT count(*) FROM "StepMetric" WHERE "jobId" = $1', [run.id]);
  const rows = Number(count);
  return {
    run,
    rows,
    expectedSteps: (body.dataset.samples / body.training.batchSize) * epochs,
    stepsPerSecond: rows / run.wallSeconds,
    stepsPerSecondTraining: run.childSeconds ? rows / run.childSeconds : undefined,
  };
}

/**
 * The metric path's own ceiling, without training: the worker's JobRecorder fed groups of
 * 500 steps (what the child sends at most per message) as fast as it takes them, into the
 * bench database. Rows per second it writes.
 */
export async function metricsWriterCapacity(
  databaseUrl: string,
  rows = 20_000,
): Promise<{ rows: number; seconds: number; rowsPerSecond: number }> {
  const { createDb } = await import('../../src/store/db.ts');
  const { insertJob, deleteJob } = await import('../../src/store/jobs.ts');
  const { startAttempt } = await import('../../src/store/attempts.ts');
  const { JobRecorder } = await import('../../src/worker/job-recorder.ts');
  const { pino } = await import('pino');
  const db = createDb(databaseUrl);
  const id = crypto.randomUUID();
  try {
    // No spec: the recorder alone is measured.
    await insertJob(db, { id, tenant: 'default', name: 'bench-metrics-writer', spec: {} as never, progress: {} as never }, Infinity);
    const started0 = await startAttempt(db, id, 'bench');
    const writer = new JobRecorder(
      db,
      { id, attempt: started0!.attempts },
      pino({ level: 'silent' }),
      () => {},
      () => {},
      {
        maxBufferedRows: 200_000,
        batchRows: 5000,
        maxDelayMs: 250,
        heartbeatMs: 5000,
        retryMs: [100, 5000],
      },
    );
    const progress = { epoch: 1, epochs: 1, step: 0, totalSteps: rows, loss: null, samplesPerSecond: 0 };
    const started = performance.now();
    for (let from = 1; from <= rows; from += 500) {
      writer.addSteps(
        Array.from({ length: Math.min(500, rows - from + 1) }, (_, i) => ({
          step: from + i,
          epoch: 1,
          loss: Math.random(),
          learningRate: 0.05,
        })),
        progress,
      );
      await new Promise((r) => setImmediate(r)); // as IPC messages would arrive: one per turn
    }
    await writer.flush();
    await writer.close();
    const seconds = (performance.now() - started) / 1000;
    const [{ count }] = await benchQuery<{ count: string }>('SELECT count(*) FROM "StepMetric" WHERE "jobId" = $1', [id]);
    return { rows: Number(count), seconds, rowsPerSecond: Number(count) / seconds };
  } finally {
    await deleteJob(db, id).catch(() => undefined);
    await db.$disconnect();
  }
}
