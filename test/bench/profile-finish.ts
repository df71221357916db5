/**
 * Diagnostic (not part of `npm run bench`): where the service's "finishing" time goes for the
 * MNIST MLP (101,770 parameters): from the child's `done` message to the job row `succeeded`.
 * Times the optimizer state's JSON (two slots per weight, each a number[]), and succeedJob()
 * (one transaction: job row + JobArtifacts with the weights as bytea and the state as jsonb)
 * against the bench database.
 *
 *   node --import tsx test/bench/profile-finish.ts            (uses / creates trainer_bench)
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createDb } from '../../src/store/db.ts';
import { deleteJob, insertJob, startAttempt, succeedJob } from '../../src/store/jobs.ts';
import { prepareDatabase } from '../../src/store/migrate.ts';
import { BENCH_DATABASE_URL, dropBenchDatabase } from './service.ts';

const shapes: Array<[string, number[]]> = [['l0_dense/kernel', [784, 128]], ['l0_dense/bias', [128]], ['l1_dense/kernel', [128, 10]], ['l1_dense/bias', [10]]];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const parameters = shapes.reduce((n, [, s]) => n + size(s), 0);
const randomValues = (n: number) => Array.from(Float32Array.from({ length: n }, () => (Math.random() - 0.5) * 1e-3));
const optimizerState = {
  format: 'tfjs-trainer/optimizer-state@1',
  optimizer: { name: 'adam', config: { name: 'adam', learningRate: 0.001 } },
  iterations: 250,
  slots: shapes.flatMap(([weight, shape]) => ['momentum', 'velocity'].map((slot) => ({ weight, slot, shape, dtype: 'float32', values: randomValues(size(shape)) }))),
};
const weightData = new Uint8Array(parameters * 4);

const time = async <T>(fn: () => Promise<T> | T): Promise<[T, number]> => {
  const started = performance.now();
  const value = await fn();
  return [value, performance.now() - started];
};

await prepareDatabase(BENCH_DATABASE_URL);
const db = createDb(BENCH_DATABASE_URL);
const [json, stringifyMs] = await time(() => JSON.stringify(optimizerState));
console.log(`parameters ${parameters}; optimizer state JSON ${(json.length / 2 ** 20).toFixed(1)} MiB, JSON.stringify ${stringifyMs.toFixed(0)} ms`);
for (let i = 0; i < 3; i++) {
  const id = randomUUID();
  await insertJob(db, { id, spec: {}, progress: {} });
  await startAttempt(db, id, 'wasm');
  const [, full] = await time(() => succeedJob(db, id, { modelTopology: {}, weightSpecs: [], weightData, optimizerState }, {}));
  const id2 = randomUUID();
  await insertJob(db, { id: id2, spec: {}, progress: {} });
  await startAttempt(db, id2, 'wasm');
  const [, withoutState] = await time(() => succeedJob(db, id2, { modelTopology: {}, weightSpecs: [], weightData, optimizerState: {} }, {}));
  console.log(`succeedJob: ${full.toFixed(0)} ms with the optimizer state, ${withoutState.toFixed(0)} ms without it (weights ${(weightData.length / 1024).toFixed(0)} KiB as bytea in both)`);
  await deleteJob(db, id);
  await deleteJob(db, id2);
}
await db.$disconnect();
// The same text straight to PostgreSQL (node-postgres, no Prisma): is it jsonb's parsing or the client?
const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
await client.connect();
for (const type of ['text', 'json', 'jsonb']) {
  const [, ms] = await time(() => client.query(`SELECT length($1::${type}::text)`, [json]));
  console.log(`node-postgres, the same ${(json.length / 2 ** 20).toFixed(1)} MiB as ${type}: ${ms.toFixed(0)} ms`);
}
await client.end();
if (process.argv.includes('--drop')) await dropBenchDatabase();
