/**
 * Holding jobs at a step (src/engine/test-hold.ts), so a test interrupts a job it knows is
 * running instead of one it hopes is still running. Training children read the variables from
 * their environment, which they inherit from the worker: `holdJobs()` sets them in this test
 * process (for in-process workers) and `env` carries them to a worker process of its own.
 *
 *   const hold = holdJobs(10);                    // before the first worker starts
 *   ... submit a job ...
 *   await hold.reached(job.id);                   // it has recorded step 10 and waits
 *   ... cancel it, kill its worker, stop PostgreSQL ...
 *   hold.release(job.id);                         // it goes on (or was stopped meanwhile)
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './until.ts';

export interface JobHold {
  /** The variables that turn the hold on in a training child; already set in this process. */
  env: Record<string, string>;
  /** Resolves with the last step the job recorded once it is held (no deadline: see until.ts). */
  reached(jobId: string): Promise<number>;
  /**
   * Lets the job go on. With `holdAgainAt`, it is held again once it has recorded that step (await
   * `reached` again); without, it is never held again, on any attempt.
   */
  release(jobId: string, holdAgainAt?: number): void;
}

/**
 * Every job of the training children started from now on is held once it has recorded `atStep`
 * steps: pick a step the file's other jobs never reach, or release them too.
 */
export function holdJobs(atStep = 1): JobHold {
  const dir = mkdtempSync(join(tmpdir(), 'trainer-hold-'));
  const env = { TRAINER_TEST_HOLD_DIR: dir, TRAINER_TEST_HOLD_AT_STEP: String(atStep) };
  Object.assign(process.env, env);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const held = (jobId: string) => join(dir, `${jobId}.held`);
  return {
    env,
    async reached(jobId) {
      await until(() => existsSync(held(jobId)));
      return Number(readFileSync(held(jobId), 'utf8'));
    },
    release(jobId, holdAgainAt) {
      if (holdAgainAt !== undefined) rmSync(held(jobId), { force: true }); // `reached` awaits the next hold
      // Written aside and renamed: the child never reads a half-written (empty: for good) release.
      const file = join(dir, `${jobId}.release`);
      writeFileSync(`${file}.tmp`, holdAgainAt === undefined ? '' : String(holdAgainAt));
      renameSync(`${file}.tmp`, file);
    },
  };
}
