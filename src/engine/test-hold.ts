/**
 * A seam for tests only: hold a job at a known step until the test lets it go, so a test can
 * interrupt a running job (cancel it, kill its worker, stop PostgreSQL) without racing a job
 * made long on purpose. Off unless the training child's environment names a directory in
 * TRAINER_TEST_HOLD_DIR, which only test helpers set (test/helpers/hold.ts): nothing a request
 * carries can turn it on, and a production worker never has it.
 *
 * With TRAINER_TEST_HOLD_DIR=D and TRAINER_TEST_HOLD_AT_STEP=N (default 1), every job that has
 * recorded step N or later waits before its next step until the file D/<jobId>.release exists
 * (a stop request also ends the wait). While waiting it announces itself in D/<jobId>.held,
 * holding the last step it recorded. A released job is never held again, on any attempt.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** How often a held job looks for its release file: a test's wait, not production's. */
const POLL_MS = 20;

export interface TestHold {
  /**
   * Resolves when the job may take its next step: at once, or once released or `stopped()`.
   * `onHold` runs first when it holds (to send the worker the steps recorded so far).
   */
  wait(jobId: string, lastStep: number | undefined, how: { stopped: () => boolean; onHold: () => void }): Promise<void>;
}

export function testHoldFromEnv(env: NodeJS.ProcessEnv = process.env): TestHold | undefined {
  const dir = env.TRAINER_TEST_HOLD_DIR;
  if (!dir) return undefined;
  const atStep = Number(env.TRAINER_TEST_HOLD_AT_STEP ?? '1');
  if (!Number.isInteger(atStep) || atStep < 1) throw new Error(`TRAINER_TEST_HOLD_AT_STEP must be a positive integer, not ${env.TRAINER_TEST_HOLD_AT_STEP}`);
  return {
    async wait(jobId, lastStep, { stopped, onHold }) {
      if (lastStep === undefined || lastStep < atStep) return;
      const release = join(dir, `${jobId}.release`);
      if (existsSync(release)) return;
      onHold();
      writeFileSync(join(dir, `${jobId}.held`), String(lastStep));
      while (!existsSync(release) && !stopped()) await sleep(POLL_MS);
    },
  };
}
