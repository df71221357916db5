/**
 * The job read every poll lands on (store/jobs.ts readJob, one SQL statement) gives exactly what
 * Prisma's own read of the same fields gives: with and without a checkpoint, every status's
 * nullable fields, and nothing for another tenant or an unknown id.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createDb, type Db } from '../../src/store/db.ts';
import { startAttempt } from '../../src/store/attempts.ts';
import { getJob, getTenantJob, insertJob } from '../../src/store/jobs.ts';
import { prepareDatabase } from '../../src/store/migrate.ts';
import { FILE_DATABASE_URL } from '../helpers/env.ts';

/** Prisma's read of the fields a job row has, written out here rather than taken from the module under test. */
const PRISMA_SELECT = {
  id: true,
  name: true,
  status: true,
  spec: true,
  backend: true,
  progress: true,
  error: true,
  cancelRequested: true,
  attempts: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  idempotencyKey: true,
  requestHash: true,
  resumedFromStep: true,
  tenant: true,
  checkpoint: { select: { step: true, epoch: true, createdAt: true } },
} as const;

describe('reading a job', () => {
  let db: Db;
  before(async () => {
    await prepareDatabase(FILE_DATABASE_URL);
    db = createDb(FILE_DATABASE_URL, 2);
  });
  after(() => db.$disconnect());

  async function newJob(tenant: string, fields: { name?: string; idempotencyKey?: string; requestHash?: string } = {}) {
    const id = randomUUID();
    const spec = { training: { epochs: 3, seed: 7 }, optimizer: { name: 'adam', learningRate: 0.001 } };
    const progress = { epoch: 0, epochs: 3, step: 0, totalSteps: 30, loss: null, samplesPerSecond: 0 };
    await insertJob(db, { id, tenant, spec: spec as never, progress, ...fields }, Infinity);
    return id;
  }
  const prismaRead = (id: string) => db.job.findUnique({ where: { id }, select: PRISMA_SELECT });

  it('a queued job, a running one with a checkpoint, and a failed one read as Prisma reads them', async () => {
    const tenant = `read-${randomUUID().slice(0, 8)}`;
    const queued = await newJob(tenant, { name: 'queued one', idempotencyKey: 'k-1', requestHash: 'abc' });
    const running = await newJob(tenant);
    await startAttempt(db, running, 'wasm');
    await db.jobCheckpoint.create({
      data: {
        jobId: running,
        step: 12,
        jobSteps: 12,
        epoch: 2,
        epochOffset: 32,
        epochLossSum: 1.5,
        epochCorrect: 20,
        epochSeen: 32,
        lastLoss: 0.25,
        weightSpecs: [],
        weightData: new Uint8Array(0),
        optimizerState: {},
        optimizerSlotData: new Uint8Array(0),
      },
    });
    const failed = await newJob(tenant);
    await db.job.update({
      where: { id: failed },
      data: { status: 'failed', error: 'the loss became NaN', finishedAt: new Date(), startedAt: new Date(), backend: 'cpu' },
    });
    for (const id of [queued, running, failed]) {
      const expected = await prismaRead(id);
      assert.deepEqual(await getTenantJob(db, tenant, id), expected, id);
      assert.deepEqual(await getJob(db, id), expected, id);
    }
    assert.equal((await getJob(db, running))?.checkpoint?.step, 12);
  });

  it("another tenant's job and an unknown id read as nothing", async () => {
    const id = await newJob(`mine-${randomUUID().slice(0, 8)}`);
    assert.equal(await getTenantJob(db, 'someone-else', id), null);
    assert.equal(await getJob(db, randomUUID()), null);
  });
});
