/**
 * "How to choose, measured": every optimizer on each builtin classification dataset, compared by
 * the service itself through its public API (only the list of optimizers comes from the code:
 * src/domain/optimizer.ts, the one list a new optimizer is added to).
 *
 *     API=http://127.0.0.1:3000 npm run compare-optimizers
 *     API=… npm run compare-optimizers -- --pictures     (only the trajectory pictures, seconds)
 *
 * For each dataset, one comparison per learning rate of LEARNING_RATES runs every
 * optimizer at that rate (the same data, model, initial weights and shuffling: only the
 * optimizer differs). Each optimizer's best rate (lowest validation loss after the last epoch:
 * the best epoch's would reward a lucky epoch of an unstable run) then goes into a
 * last comparison, whose chart is drawn. Written: docs/img/compare-<dataset>.svg and the tables
 * in docs/optimizers-measured.md; the Rosenbrock, Beale and saddle pictures in docs/img/ too.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIMIZER_NAMES } from '../src/domain/optimizer.ts';

const API = process.env.API ?? 'http://127.0.0.1:3000';
const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const IMG = path.join(DOCS, 'img');

const OPTIMIZERS: readonly string[] = OPTIMIZER_NAMES;
const LEARNING_RATES = [0.001, 0.01, 0.1, 1];
const SEED = 1;

interface Dataset {
  name: string;
  /** A loss worth reaching: stepToTarget is the first step at or below it. */
  target: number;
  base: object;
}

const classifier = (hidden: number, classes: number, activation = 'relu') => ({
  layers: [
    { type: 'dense', units: hidden, activation },
    { type: 'dense', units: classes, activation: 'softmax' },
  ],
  loss: 'sparseCategoricalCrossentropy',
  metrics: ['accuracy'],
});

const DATASETS: Dataset[] = [
  {
    name: 'iris',
    target: 0.2,
    base: {
      dataset: { builtin: 'iris' },
      model: classifier(16, 3),
      training: { epochs: 30, batchSize: 16, validationSplit: 0.2, seed: SEED },
    },
  },
  {
    name: 'xor',
    target: 0.2,
    base: {
      dataset: { builtin: 'xor', samples: 400 },
      model: classifier(8, 2, 'tanh'),
      training: { epochs: 40, batchSize: 16, validationSplit: 0.2, seed: SEED },
    },
  },
  {
    name: 'mnist',
    target: 0.5,
    base: {
      dataset: { builtin: 'mnist', samples: 2000, shape: 'flat' },
      model: classifier(64, 10),
      training: { epochs: 5, batchSize: 32, validationSplit: 0.2, seed: SEED },
    },
  },
];

interface Row {
  jobId: string;
  optimizer: string;
  learningRate: number;
  status: string;
  finalLoss: number | null;
  finalValLoss: number | null;
  finalValAccuracy: number | null;
  bestValLoss: number | null;
  bestValAccuracy: number | null;
  stepToTarget: number | null;
  wallSeconds: number | null;
  diverged: boolean;
  divergedAtStep: number | null;
}

async function call<T>(method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(API + route, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return (res.headers.get('content-type') ?? '').startsWith('application/json') ? (JSON.parse(text) as T) : (text as T);
}

/** Creates a comparison and waits for it to complete; answers its table. */
async function compare(body: object): Promise<{ id: string; rows: Row[] }> {
  const { id } = await call<{ id: string }>('POST', '/v1/comparisons', body);
  for (;;) {
    const view = await call<{ status: string; rows: Row[] }>('GET', `/v1/comparisons/${id}`);
    if (view.status === 'completed') return { id, rows: view.rows };
    if (view.status === 'canceled') throw new Error(`comparison ${id} was canceled`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const fmt = (x: number | null, digits = 3) => (x === null ? '—' : x.toPrecision(digits));
/** One row of a Markdown table, its cells in order. */
const tableRow = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const byFinalValLoss = (a: Row, b: Row) => (a.finalValLoss ?? Infinity) - (b.finalValLoss ?? Infinity);
const better = (a: Row | undefined, b: Row) => a === undefined || byFinalValLoss(b, a) < 0;

async function measure(d: Dataset): Promise<string> {
  console.log(`${d.name}: ${OPTIMIZERS.length} optimizers × ${LEARNING_RATES.length} learning rates`);
  const grid = new Map<string, Map<number, Row>>();
  for (const learningRate of LEARNING_RATES) {
    const { rows } = await compare({
      name: `${d.name} at lr ${learningRate}`,
      base: d.base,
      sweep: { optimizers: OPTIMIZERS, learningRates: [learningRate] },
      target: d.target,
      metric: 'finalValLoss',
    });
    for (const row of rows) {
      if (!grid.has(row.optimizer)) grid.set(row.optimizer, new Map());
      grid.get(row.optimizer)!.set(learningRate, row);
    }
  }
  const bestRate = new Map<string, Row>();
  for (const [name, byRate] of grid) {
    let best: Row | undefined;
    for (const row of byRate.values()) if (row.status === 'succeeded' && better(best, row)) best = row;
    if (best) bestRate.set(name, best);
  }
  // Each optimizer at its best rate, side by side: the chart.
  const finalists = OPTIMIZERS.filter((o) => bestRate.has(o));
  const final = await compare({
    name: `${d.name}: each optimizer at its best learning rate`,
    base: d.base,
    target: d.target,
    metric: 'finalValLoss',
    variants: finalists.map((o) => ({ optimizer: { name: o, learningRate: bestRate.get(o)!.learningRate } })),
  });
  writeFileSync(path.join(IMG, `compare-${d.name}.svg`), await call<string>('GET', `/v1/comparisons/${final.id}/loss.svg`));

  const ranked = [...final.rows].sort(byFinalValLoss);
  const lines = [
    `### ${d.name}`,
    '',
    `![${d.name}: each optimizer at its best learning rate](img/compare-${d.name}.svg)`,
    '',
    `Each optimizer at its best learning rate (of ${LEARNING_RATES.join(', ')}), best first. ` +
      `Target loss for "steps to target": ${d.target}.`,
    '',
    '| optimizer | best lr | final val loss | final val accuracy | best val loss (epoch) | final train loss | steps to target | wall s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...ranked.map((r) =>
      tableRow([
        r.optimizer,
        r.learningRate,
        fmt(r.finalValLoss),
        fmt(r.finalValAccuracy),
        fmt(r.bestValLoss),
        fmt(r.finalLoss),
        r.stepToTarget ?? '—',
        fmt(r.wallSeconds, 2),
      ]),
    ),
    '',
    'Final validation loss at every learning rate (✗: diverged, at the step shown):',
    '',
    `| optimizer | ${LEARNING_RATES.map((lr) => `lr ${lr}`).join(' | ')} |`,
    `| --- | ${LEARNING_RATES.map(() => '---').join(' | ')} |`,
    ...OPTIMIZERS.map(
      (o) =>
        `| ${o} | ${LEARNING_RATES.map((lr) => {
          const r = grid.get(o)?.get(lr);
          if (!r) return '—';
          return r.diverged ? `✗ ${r.divergedAtStep}` : fmt(r.finalValLoss);
        }).join(' | ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** The classic pictures: paths from one start across Rosenbrock's valley, Beale's plateaus, a saddle. */
async function pictures(): Promise<void> {
  const runs: Array<{ name: string; body: object }> = [
    {
      name: 'rosenbrock',
      body: {
        function: 'rosenbrock',
        start: [-1.5, 2],
        steps: 1000,
        optimizers: [
          { name: 'sgd', learningRate: 0.001 },
          { name: 'momentum', learningRate: 0.0005 },
          { name: 'rmsprop', learningRate: 0.01 },
          { name: 'adam', learningRate: 0.05 },
          { name: 'lion', learningRate: 0.01 },
        ],
      },
    },
    {
      name: 'beale',
      body: {
        function: 'beale',
        start: [1, 1.5],
        steps: 1000,
        optimizers: [
          { name: 'sgd', learningRate: 0.01 },
          { name: 'nesterov', learningRate: 0.005 },
          { name: 'adagrad', learningRate: 0.5 },
          { name: 'adam', learningRate: 0.05 },
          { name: 'adamax', learningRate: 0.05 },
        ],
      },
    },
    {
      name: 'saddle',
      body: {
        function: 'saddle',
        start: [1.5, 0.001],
        steps: 60,
        optimizers: [
          { name: 'sgd', learningRate: 0.05 },
          { name: 'momentum', learningRate: 0.05 },
          { name: 'rmsprop', learningRate: 0.05 },
          { name: 'adam', learningRate: 0.05 },
        ],
      },
    },
  ];
  for (const { name, body } of runs) {
    writeFileSync(path.join(IMG, `trajectory-${name}.svg`), await call<string>('POST', '/v1/trajectories/plot.svg', body));
  }
}

async function main(): Promise<void> {
  mkdirSync(IMG, { recursive: true });
  await pictures();
  if (process.argv.includes('--pictures')) return;
  const sections: string[] = [];
  for (const d of DATASETS) sections.push(await measure(d));
  const header = [
    '# Optimizers compared, measured',
    '',
    `Written by \`npm run compare-optimizers\` (scripts/compare-optimizers.ts) on ${new Date().toISOString().slice(0, 10)} against ${API}.`,
    `Every job: seed ${SEED}, validation split 0.2, the dataset's model and epochs below; only the optimizer and its learning rate differ.`,
    '',
    ...DATASETS.map((d) => `- **${d.name}**: \`${JSON.stringify(d.base)}\``),
    '',
  ];
  writeFileSync(path.join(DOCS, 'optimizers-measured.md'), [...header, ...sections].join('\n'));
  console.log('wrote docs/optimizers-measured.md and docs/img/*.svg');
}

await main();
