/** Training children: started with the configured backend, reused, and replaced after their share of jobs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChildPool, type TrainerChild } from '../../src/worker/child-pool.ts';
import type { FromChild } from '../../src/domain/child-protocol.ts';
import { parseJobSpec } from '../../src/domain/job.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { OUT_OF_MEMORY_ERROR, OUT_OF_MEMORY_JOB } from '../helpers/out-of-memory.ts';

/** Trains `body` in `child` (as the worker does) and answers how the job ended. */
function trainIn(child: TrainerChild, body: object): Promise<FromChild> {
  const { spec, plan } = parseJobSpec(body, { maxEpochs: 100, maxBatchSize: 1000, maxParameters: 1e7 }, () => 1);
  const jobId = `test-${Math.random()}`;
  return new Promise((resolve) => {
    const onMessage = (m: FromChild) => {
      if ((m.type === 'done' || m.type === 'failed') && m.jobId === jobId) {
        child.off('message', onMessage);
        resolve(m);
      }
    };
    child.on('message', onMessage);
    child.send({ type: 'train', jobId, spec, plan, backend: child.backend, checkpointIntervalS: 0 });
  });
}

/** A loss that diverges: the user's doing (NonFiniteLossError), which leaves the process sound. */
const DIVERGES = {
  dataset: { builtin: 'linear', samples: 40 },
  model: { layers: [{ type: 'dense', units: 1 }], loss: 'meanSquaredError' },
  optimizer: { name: 'sgd', learningRate: 1e5 },
  training: { epochs: 20, batchSize: 8 },
};
const DIVERGES_NOT = { ...DIVERGES, optimizer: { name: 'sgd', learningRate: 0.01 }, training: { epochs: 2, batchSize: 8 } };

describe('training child pool', () => {
  it('reuses a child until it has served jobsPerChild jobs, then starts a fresh process', async () => {
    const pool = new ChildPool({ backend: 'cpu', jobsPerChild: 2, databaseUrl: TEST_DATABASE_URL });
    try {
      const first = await pool.acquire();
      assert.equal(first.backend, 'cpu');
      const pid = first.process.pid;
      await pool.release(first);
      const again = await pool.acquire();
      assert.equal(again.process.pid, pid, 'the same process serves its second job');
      await pool.release(again);
      assert.equal(again.alive, false, 'retired after two jobs');
      const fresh = await pool.acquire();
      assert.notEqual(fresh.process.pid, pid);
      await pool.release(fresh);
    } finally {
      await pool.close();
    }
  });

  it('a forced backend that cannot load is an error naming it', async () => {
    // tfjs-node's native library cannot be downloaded on this machine, so it is not installed
    // (on a machine where it is, this test says so instead of failing for the wrong reason).
    const pool = new ChildPool({ backend: 'tensorflow', jobsPerChild: 1, databaseUrl: TEST_DATABASE_URL });
    try {
      const child = await pool.acquire();
      assert.equal(child.backend, 'tensorflow', 'tfjs-node is installed here and loaded');
    } catch (err) {
      assert.match((err as Error).message, /TensorFlow\.js backend tensorflow could not be loaded \(tensorflow: /);
    } finally {
      await pool.close();
    }
  });

  it('auto picks the first backend that loads, skipping the native ones when they are absent', async () => {
    const pool = new ChildPool({ backend: 'auto', jobsPerChild: 1, databaseUrl: TEST_DATABASE_URL });
    try {
      const child = await pool.acquire();
      assert.ok(['tensorflow-gpu', 'tensorflow', 'wasm'].includes(child.backend), child.backend);
    } finally {
      await pool.close();
    }
  });

  it('retires a child whose job ran out of wasm memory, and says so in words', async () => {
    const pool = new ChildPool({ backend: 'wasm', jobsPerChild: 20, databaseUrl: TEST_DATABASE_URL, maxWasmMb: 64 });
    try {
      const child = await pool.acquire();
      const pid = child.process.pid;
      const outcome = await trainIn(child, OUT_OF_MEMORY_JOB);
      assert.equal(outcome.type, 'failed');
      assert.ok(outcome.type === 'failed' && outcome.retire, "an allocation failure is not the user's doing");
      for (const words of OUT_OF_MEMORY_ERROR) assert.match(outcome.error, words);
      assert.equal(child.usable, false);
      await pool.release(child);
      assert.equal(child.alive, false, 'stopped when released, long before its 20 jobs');
      const next = await pool.acquire();
      assert.notEqual(next.process.pid, pid);
      const fine = await trainIn(next, DIVERGES_NOT);
      assert.equal(fine.type, 'done', 'the fresh child trains');
      await pool.release(next);
    } finally {
      await pool.close();
    }
  });

  it("keeps a child whose job failed through the user's doing (a diverging loss)", async () => {
    const pool = new ChildPool({ backend: 'wasm', jobsPerChild: 20, databaseUrl: TEST_DATABASE_URL, maxWasmMb: 64 });
    try {
      const child = await pool.acquire();
      const outcome = await trainIn(child, DIVERGES);
      assert.equal(outcome.type, 'failed');
      assert.ok(outcome.type === 'failed' && !outcome.retire);
      assert.match(outcome.error, /^the loss became (NaN|Infinity)/);
      await pool.release(child);
      const again = await pool.acquire();
      assert.equal(again, child, 'the same process trains the next job');
      assert.equal((await trainIn(again, DIVERGES_NOT)).type, 'done');
      await pool.release(again);
    } finally {
      await pool.close();
    }
  });
});
