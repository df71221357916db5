/** Training children: started with the configured backend, reused, and replaced after their share of jobs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChildPool } from '../../src/queue/child-pool.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';

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
});
