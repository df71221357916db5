/**
 * `npm run bench`: measures the training service on this machine in one run and prints one
 * table; the same results go to tmp/bench-results.json.
 *
 *   npm run bench                          # every part (about 3.5 minutes on 2 cores, plus the peers:
 *                                          # 2 or so, and 2 more the first time, to make their venv)
 *   npm run bench -- --only mlp,cnn        # parts: mlp, cnn, peers, metrics, concurrency, checkpoints, api, rss, buckets, uploads
 *   npm run bench -- --only peers          # the peers alone, on both models
 *   npm run bench -- --keep-logs           # keep the service logs (in a temp folder it names)
 *
 * Parts: (1) MLP and CNN throughput on the best backend this machine has (TFJS_BACKEND=auto):
 * (a) a bare TensorFlow.js loop, (b) the service end to end (and on wasm, the fallback, when the
 * best is not wasm), (c) the peers a user would pick instead, on the same data (peers.ts:
 * PyTorch 2.13 and Keras 3 on TensorFlow 2.21 from a venv the bench makes, Debian's PyTorch);
 * (2) the metric path in steps per second; (3) the API under autocannon;
 * (4) peak memory with a 1,000,000-row uploaded dataset; (5) the API's peak memory while it
 * takes a 1 GiB CSV, a 50,000-column CSV and a 360 MB JSON body. The service runs as its own process
 * (`src/main.ts`) on the database `trainer_bench` and Redis index 14, dropped / removed at the end.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiLoad } from './api.ts';
import { burst, checkpointRuns, CHECKPOINT_EPOCHS, BURST_JOBS } from './jobs-per-hour.ts';
import { bucketsPart } from './buckets.ts';
import { rssPart } from './rss.ts';
import { UPLOAD_RSS_BOUND_BYTES, uploadsPart } from './uploads.ts';
import { BENCH_DATABASE_URL, dropBenchDatabase, machineBusy, removeQueue, startBenchService, type BenchService } from './service.ts';
import { Table } from './table.ts';
import { bareTf, exportMnist, metricsPath, metricsWriterCapacity, serviceModel } from './training.ts';
import { measurePeers, preparePeers, type PeerResult, type PeerSetup } from './peers.ts';
import { throughputRows } from './throughput-table.ts';
import type { ModelName } from './specs.ts';

const PARTS = ['mlp', 'cnn', 'peers', 'metrics', 'concurrency', 'checkpoints', 'api', 'rss', 'buckets', 'uploads'] as const;
type Part = (typeof PARTS)[number];

function selectedParts(argv: string[]): Set<Part> {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return new Set(PARTS);
  const value = argv[i].includes('=') ? argv[i].split('=')[1] : (argv[i + 1] ?? '');
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    console.error(`--only takes a comma-separated list of ${PARTS.join(', ')}; got ${value || 'nothing'}`);
    process.exit(2);
  }
  return new Set(names as Part[]);
}

const parts = selectedParts(process.argv.slice(2));
const RUNS = 5; // timed runs per figure; the median is reported
const API_SECONDS = 10;
const API_CONNECTIONS = 10;
const METRICS_EPOCHS = 10; // × 1,000 steps
const tmp = mkdtempSync(join(tmpdir(), 'trainer-bench-'));
const table = new Table();
const packageVersion = (name: string) =>
  (JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
const results: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  parts: [...parts],
  machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
  versions: { tfjs: packageVersion('@tensorflow/tfjs'), tfjsBackendWasm: packageVersion('@tensorflow/tfjs-backend-wasm') },
};
const log = (msg: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function part<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    table.row({ part: name, metric: 'error', value: (err as Error).message.slice(0, 200) });
    results[`${name}Error`] = (err as Error).message;
    return undefined;
  }
}

// Other work on the machine (a test run, a build) lowers every figure: say so in the results.
const busyBefore = await machineBusy();
results.machineBusyBefore = busyBefore;
if (busyBefore > 0.15) log(`WARNING: the machine is ${fmt(busyBefore * 100)}% busy before the bench started; figures will be low`);

// ---- 1 (a) and (c): no service running ------------------------------------------------------
const models = (['mlp', 'cnn'] as const).filter((m) => parts.has(m));
// The peers come with the models they are compared with; `--only peers` alone runs them on both.
const peerModels: readonly ModelName[] = models.length > 0 ? models : parts.has('peers') ? ['mlp', 'cnn'] : [];
const bare: Partial<Record<ModelName, Awaited<ReturnType<typeof bareTf>>>> = {};
const bareOurAdam: Partial<Record<ModelName, Awaited<ReturnType<typeof bareTf>>>> = {};
const bareTrain: Partial<Record<ModelName, Awaited<ReturnType<typeof bareTf>>>> = {};
const peers: Partial<Record<ModelName, PeerResult[]>> = {};
let peerSetup: PeerSetup | undefined;
for (const model of models) {
  await part(model, async () => {
    log(`${model}: (a) bare TensorFlow.js loop, best backend (auto)`);
    bare[model] = await bareTf(model, 'tfadam', RUNS);
    bareOurAdam[model] = await bareTf(model, 'ouradam', RUNS);
    bareTrain[model] = await bareTf(model, 'train', RUNS);
  });
}
if (peerModels.length > 0) {
  await part('peers', async () => {
    peerSetup = await preparePeers(log);
    const dataFile = exportMnist(tmp);
    for (const model of peerModels) {
      log(`${model}: (c) the peers, on the same ${dataFile}`);
      peers[model] = await measurePeers(peerSetup, model, dataFile, RUNS);
    }
  });
}

// ---- 1 (b), 2, 4: the service with its worker ----------------------------------------------
const service: Partial<Record<ModelName, Awaited<ReturnType<typeof serviceModel>>>> = {};
const serviceWasm: Partial<Record<ModelName, Awaited<ReturnType<typeof serviceModel>>>> = {};
let metrics: Awaited<ReturnType<typeof metricsPath>> | undefined;
let writerCapacity: Awaited<ReturnType<typeof metricsWriterCapacity>> | undefined;
let rss: Awaited<ReturnType<typeof rssPart>> | undefined;
let api: Awaited<ReturnType<typeof apiLoad>> | undefined;
let buckets: Awaited<ReturnType<typeof bucketsPart>> | undefined;
let uploads: Awaited<ReturnType<typeof uploadsPart>> | undefined;
const queues: string[] = [];
let burstDefault: Awaited<ReturnType<typeof burst>> | undefined;
let burstOne: Awaited<ReturnType<typeof burst>> | undefined;
let checkpointsNone: Awaited<ReturnType<typeof checkpointRuns>> | undefined;
let checkpointsEvery: Awaited<ReturnType<typeof checkpointRuns>> | undefined;

async function withService<T>(
  mode: 'all' | 'api',
  name: string,
  fn: (s: BenchService) => Promise<T>,
  env?: Record<string, string>,
): Promise<T> {
  const queue = `bench-${name}-${randomUUID().slice(0, 8)}`;
  queues.push(queue);
  log(`starting the service (${mode}, queue ${queue}, ${JSON.stringify(env ?? {})}, log ${join(tmp, `${queue}.log`)})`);
  const s = await startBenchService({ mode, queue, logFile: join(tmp, `${queue}.log`), env });
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

try {
  if (parts.size > 0) await dropBenchDatabase();
  if (models.length > 0 || parts.has('metrics')) {
    await part('service', () =>
      withService('all', 'train', async (s) => {
        for (const model of models) {
          await part(model, async () => {
            log(`${model}: (b) the service end to end (1 warm-up job, ${RUNS} timed)`);
            service[model] = await serviceModel(s, model, RUNS);
          });
        }
        if (parts.has('metrics')) {
          await part('metrics', async () => {
            log('metrics: tiny xor job through the service');
            metrics = await metricsPath(s, METRICS_EPOCHS);
            writerCapacity = await metricsWriterCapacity(BENCH_DATABASE_URL);
          });
        }
      }),
    );
  }
  // The fallback's speed stays visible when the best backend is another (native TensorFlow).
  const notWasm = models.filter((m) => service[m] && service[m].median.backend !== 'wasm');
  if (notWasm.length > 0) {
    await part('service', () =>
      withService(
        'all',
        'wasm',
        async (s) => {
          for (const model of notWasm) {
            await part(model, async () => {
              log(`${model}: (b) the service on wasm, the fallback (1 warm-up job, ${RUNS} timed)`);
              serviceWasm[model] = await serviceModel(s, model, RUNS);
            });
          }
        },
        { TFJS_BACKEND: 'wasm' },
      ),
    );
  }
  let metricsBare: Awaited<ReturnType<typeof bareTf>> | undefined;
  let metricsTrain: Awaited<ReturnType<typeof bareTf>> | undefined;
  if (parts.has('metrics')) {
    await part('metrics', async () => {
      // On the backend the service trains this model on: wasm, even on a native worker
      // (spec/training-backend.ts: the smallest dense models train there).
      metricsBare = await bareTf('xor', 'tfadam', RUNS, 'wasm');
      metricsTrain = await bareTf('xor', 'train', RUNS, 'wasm');
    });
  }
  results.metricsDiagnostics = { bareLoop: metricsBare, trainNoHooks: metricsTrain };

  if (parts.has('concurrency') || parts.has('checkpoints')) {
    // The environment's own WORKER_CONCURRENCY / CHECKPOINT_INTERVAL_S would hide the defaults ('' = unset).
    const defaults = { WORKER_CONCURRENCY: '', CHECKPOINT_INTERVAL_S: '' };
    await part('concurrency', () =>
      withService(
        'all',
        'defaults',
        async (s) => {
          if (parts.has('checkpoints')) {
            log(`checkpoints: mnist MLP, ${CHECKPOINT_EPOCHS} epochs, default interval (none in a job this short)`);
            checkpointsNone = await checkpointRuns(s, RUNS);
          }
          if (parts.has('concurrency')) {
            log(`concurrency: ${BURST_JOBS} iris jobs at once, default WORKER_CONCURRENCY`);
            burstDefault = await burst(s);
          }
        },
        defaults,
      ),
    );
    await part('concurrency', () =>
      withService(
        'all',
        'one',
        async (s) => {
          if (parts.has('checkpoints')) {
            log(`checkpoints: the same job, a checkpoint after every epoch`);
            checkpointsEvery = await checkpointRuns(s, RUNS);
          }
          if (parts.has('concurrency')) {
            log(`concurrency: ${BURST_JOBS} iris jobs at once, WORKER_CONCURRENCY=1`);
            burstOne = await burst(s);
          }
        },
        { WORKER_CONCURRENCY: '1', CHECKPOINT_INTERVAL_S: '0' },
      ),
    );
  }

  if (parts.has('rss')) {
    // A service of its own: the training child's peak (VmHWM) then covers this job only.
    await part('rss', () =>
      withService('all', 'rss', async (s) => {
        log('rss: probing POST /v1/datasets, then 1,000,000 rows × 20 columns');
        rss = await rssPart(s, tmp);
      }),
    );
  }
  if (parts.has('api')) {
    await part('api', () =>
      withService('api', 'api', async (s) => {
        log(`api: autocannon ${API_SECONDS} s × ${API_CONNECTIONS} connections, GET then POST`);
        api = await apiLoad(s, API_SECONDS, API_CONNECTIONS);
      }),
    );
  }
  if (parts.has('buckets')) {
    await part('buckets', () =>
      withService('api', 'buckets', async (s) => {
        log('buckets: 1,000,000 step rows by SQL, then ?points=1000 and ?format=csv');
        buckets = await bucketsPart(s, RUNS);
      }),
    );
  }

  if (parts.has('uploads')) {
    await part('uploads', () =>
      withService('api', 'uploads', async (s) => {
        log('uploads: a 1 GiB CSV, a 50,000-column CSV and a 360 MB JSON body, generated while sent');
        uploads = await uploadsPart(s);
      }),
    );
  }

  // ---- the table --------------------------------------------------------------------------
  for (const model of peerModels)
    throughputRows(table, model, {
      bare: bare[model],
      bareOurAdam: bareOurAdam[model],
      bareTrain: bareTrain[model],
      service: service[model],
      serviceWasm: serviceWasm[model],
      peers: peers[model],
    });
  if (metrics) {
    table.target({
      part: 'METRICS',
      metric: 'steps recorded / s, submit → succeeded',
      value: metrics.stepsPerSecond,
      target: 5000,
      unit: ' steps/s',
      note: `${fmt(metrics.rows)} rows in PostgreSQL (expected ${fmt(metrics.expectedSteps)}) in ${fmt(metrics.run.wallSeconds, 2)} s`,
    });
    if (metrics.stepsPerSecondTraining)
      table.row({
        part: 'METRICS',
        metric: '  rows / training time in the worker',
        value: `${fmt(metrics.stepsPerSecondTraining)} steps/s`,
        note:
          `queued ${fmt(metrics.run.queuedSeconds * 1000)} ms, child ${fmt(metrics.run.childSeconds ?? 0, 2)} s, ` +
          `finishing ${fmt((metrics.run.finishingSeconds ?? 0) * 1000)} ms; CPU s: service ${fmt(metrics.run.cpu.service, 2)}, ` +
          `child ${fmt(metrics.run.cpu.children, 2)}, postgres ${fmt(metrics.run.cpu.postgres, 2)}`,
      });
    if (metricsBare)
      table.row({
        part: 'METRICS',
        metric: '  bare tfjs loop, same model (no recording)',
        value: `${fmt(metricsBare.stepsPerSecond)} steps/s`,
        note: `backend ${metricsBare.backend}: the arithmetic's own ceiling`,
      });
    if (metricsTrain)
      table.row({
        part: 'METRICS',
        metric: '  our train(), no-op hooks',
        value: `${fmt(metricsTrain.stepsPerSecond)} steps/s`,
        note: 'the loop without IPC or database',
      });
    if (metricsBare)
      table.target({
        part: 'METRICS',
        metric: 'recorded steps/s ÷ bare tfjs loop',
        value: metrics.stepsPerSecond / metricsBare.stepsPerSecond,
        target: 2,
        note: "the bare loop uses tf.train.sgd, the job's optimizer",
      });
    if (writerCapacity)
      table.row({
        part: 'METRICS',
        metric: '  JobRecorder alone → PostgreSQL',
        value: `${fmt(writerCapacity.rowsPerSecond)} rows/s`,
        note: `${fmt(writerCapacity.rows)} rows in groups of 500, no training: the recording path's own ceiling`,
      });
  }
  if (burstDefault && burstOne) {
    const note = (b: NonNullable<typeof burstDefault>) =>
      `${b.jobs} jobs in ${fmt(b.wallSeconds, 1)} s, ${fmt(b.jobsPerHour)} jobs/h${b.failed ? `, ${b.failed} failed` : ''}`;
    table.row({
      part: 'JOBS/HOUR',
      metric: `${BURST_JOBS} iris jobs at once, default concurrency`,
      value: `${fmt(burstDefault.wallSeconds, 1)} s`,
      note:
        `concurrency ${burstDefault.concurrency ?? '?'} on ${(await import('node:os')).availableParallelism()} cores; ` +
        note(burstDefault),
    });
    table.row({
      part: 'JOBS/HOUR',
      metric: `${BURST_JOBS} iris jobs at once, WORKER_CONCURRENCY=1`,
      value: `${fmt(burstOne.wallSeconds, 1)} s`,
      note: note(burstOne),
    });
    table.target({
      part: 'JOBS/HOUR',
      metric: 'speed-up of the default over 1',
      value: burstOne.wallSeconds / burstDefault.wallSeconds,
      target: 1.8,
    });
  }
  if (checkpointsNone && checkpointsEvery) {
    const taken = CHECKPOINT_EPOCHS - 1; // after every epoch but the last (the job's end stores the result)
    const perCheckpoint = Math.max(0, (checkpointsEvery.medianSeconds - checkpointsNone.medianSeconds) / taken);
    const interval = 60;
    table.row({
      part: 'CHECKPOINTS',
      metric: `one checkpoint (mnist MLP, 101,770 weights, Adam)`,
      value: `${fmt(perCheckpoint * 1000)} ms`,
      note:
        `job running time, median of ${RUNS}: ${fmt(checkpointsEvery.medianSeconds, 2)} s with ${taken} checkpoints, ` +
        `${fmt(checkpointsNone.medianSeconds, 2)} s with none`,
    });
    table.target({
      part: 'CHECKPOINTS',
      metric: `share of a job's time at the default interval (${interval} s)`,
      value: (perCheckpoint / (interval + perCheckpoint)) * 100,
      target: 2,
      unit: '%',
      lowerIsBetter: true,
      note:
        `one checkpoint every ${interval} s of training; with CHECKPOINT_INTERVAL_S=0 (every epoch) this job spends ` +
        `${fmt((1 - checkpointsNone.medianSeconds / checkpointsEvery.medianSeconds) * 100, 1)}% on them`,
    });
  }
  if (api) {
    for (const r of [api.get, api.post]) {
      const isGet = r.route.startsWith('GET');
      const note =
        `${fmt(r.requests)} requests in ${r.durationSeconds} s, ${r.connections} connections; p50 ${r.p50} ms, max ${r.max} ms; ` +
        `non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}`;
      if (isGet) {
        table.target({ part: 'API', metric: `${r.route} requests/s`, value: r.requestsPerSecond, target: 2000, unit: ' req/s', note });
        table.target({ part: 'API', metric: `${r.route} p99 latency`, value: r.p99, target: 20, unit: ' ms', lowerIsBetter: true });
      } else {
        table.row({
          part: 'API',
          metric: `${r.route} requests/s`,
          value: `${fmt(r.requestsPerSecond)} req/s`,
          note: `${note}; no worker (jobs stay queued); ${fmt(api.jobsCreated)} jobs created, removed at the end`,
        });
        table.row({ part: 'API', metric: `${r.route} p50 / p99 latency`, value: `${r.p50} / ${r.p99} ms` });
      }
    }
  }
  if (buckets) {
    table.row({
      part: 'BUCKETS',
      metric: `GET …/metrics?points=${fmt(buckets.points)}, ${fmt(buckets.steps)}-step job`,
      value: `${fmt(buckets.medianBucketsMs)} ms`,
      note:
        `median of ${buckets.bucketsMs.length - 1} warm requests (cold: ${fmt(buckets.bucketsMs[0])} ms); ` +
        `${fmt(buckets.buckets)} buckets; rows inserted by SQL in ${fmt(buckets.insertSeconds, 1)} s`,
    });
    table.row({
      part: 'BUCKETS',
      metric: `GET …/metrics?format=csv, ${fmt(buckets.steps)} steps`,
      value: `${fmt(buckets.csvSeconds, 2)} s`,
      note: `${fmt(buckets.csvBytes / 2 ** 20, 1)} MiB streamed (${fmt(buckets.steps / buckets.csvSeconds)} rows/s)`,
    });
  }
  if (rss) {
    if ('skipped' in rss) table.row({ part: 'RSS', metric: '1,000,000 × 20 dataset', value: 'skipped', note: rss.skipped });
    else {
      const mb = (b: number) => `${fmt(b / 2 ** 20)} MiB`;
      table.row({
        part: 'RSS',
        metric: 'upload: service process peak RSS',
        value: mb(rss.upload.peakRssServiceBytes),
        note:
          `${fmt(rss.rows)} rows × ${rss.columns} columns, ` +
          `${mb(rss.csvBytes)} CSV in ${fmt(rss.upload.seconds, 1)} s (${mb(rss.csvBytes / rss.upload.seconds)}/s); ` +
          `${mb(rss.upload.rssBeforeBytes)} before the upload; VmHWM ${mb(rss.upload.hwmServiceBytes)}`,
      });
      table.row({
        part: 'RSS',
        metric: 'training child peak RSS (1 epoch, batch 256)',
        value: mb(Math.max(rss.job.peakRssChildBytes, rss.job.hwmChildBytes)),
        note:
          `idle child before the job ${mb(rss.job.childRssBeforeBytes)}; ` +
          `sampled every 200 ms ${mb(rss.job.peakRssChildBytes)}, VmHWM ${mb(rss.job.hwmChildBytes)}; ` +
          `job ${fmt(rss.job.wallSeconds, 1)} s submit → succeeded (child ${fmt(rss.job.childSeconds ?? 0, 1)} s)`,
      });
      table.row({
        part: 'RSS',
        metric: 'service process during the job',
        value: mb(rss.job.peakRssServiceBytes),
        note: `${mb(rss.job.serviceRssBeforeBytes)} when the job was submitted (what the upload left)`,
      });
    }
  }
  for (const u of uploads ?? []) {
    const mb = (b: number) => b / 2 ** 20;
    const note =
      `${fmt(mb(u.bytes))} MiB in ${fmt(u.seconds, 1)} s (${fmt(mb(u.bytes) / u.seconds, 1)} MiB/s), ` +
      `answered ${u.status}${u.status === 201 ? '' : `: ${u.answer}`}; ${fmt(mb(u.rssBeforeBytes))} MiB before`;
    table.target({
      part: 'UPLOADS',
      metric: `${u.what}: API peak RSS`,
      value: mb(u.peakRssBytes),
      target: mb(UPLOAD_RSS_BOUND_BYTES),
      unit: ' MiB',
      lowerIsBetter: true,
      note,
    });
  }
} finally {
  log('cleaning up: bench queues and the trainer_bench database');
  for (const q of queues) await removeQueue(q).catch((err) => log(`removing queue ${q}: ${err}`));
  await dropBenchDatabase().catch((err) => log(`dropping trainer_bench: ${err}`));
  rmSync(join(tmp, 'rss-1m-x20.csv'), { force: true });
  rmSync(join(tmp, 'mnist-8000.bin'), { force: true });
}

Object.assign(results, {
  finishedAt: new Date().toISOString(),
  burstDefault,
  burstOne,
  checkpointsNone,
  checkpointsEvery,
  bare,
  bareOurAdam,
  bareTrain,
  service,
  serviceWasm,
  peerSetup,
  peers,
  metrics,
  writerCapacity,
  api,
  rss,
  buckets,
  uploads,
  serviceLogs: process.argv.includes('--keep-logs') ? tmp : null,
  table: table.rows,
});
const busyAfter = await machineBusy();
results.machineBusyAfter = busyAfter;
table.row({
  part: 'MACHINE',
  metric: 'CPU busy (other processes) before / after',
  value: `${fmt(busyBefore * 100)}% / ${fmt(busyAfter * 100)}%`,
  note:
    busyBefore > 0.15 || busyAfter > 0.15
      ? 'NOT idle: figures are lower than on an idle machine'
      : 'idle: the bench had the machine to itself (as far as before/after shows)',
});
const printed = table.render();
console.log(printed);
mkdirSync(new URL('../../tmp/', import.meta.url), { recursive: true });
const out = new URL('../../tmp/bench-results.json', import.meta.url);
writeFileSync(out, JSON.stringify(results, null, 2));
const keepLogs = process.argv.includes('--keep-logs');
if (!keepLogs) rmSync(tmp, { recursive: true, force: true });
console.log(`\nresults: tmp/bench-results.json${keepLogs ? `; service logs: ${tmp}` : ' (service logs removed; --keep-logs keeps them)'}`);
process.exit(0);
