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
 * holding the last step it recorded. An empty release file releases the job for good, on any
 * attempt; one holding a step M releases it until step M, where it is held again (the file is
 * then consumed, and the test writes the next one).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  if (!Number.isInteger(atStep) || atStep < 1)
    throw new Error(`TRAINER_TEST_HOLD_AT_STEP must be a positive integer, not ${env.TRAINER_TEST_HOLD_AT_STEP}`);
  /** Per job, the step it is held at next (the default until a release names another). */
  const nextHold = new Map<string, number>();
  const release = (jobId: string) => join(dir, `${jobId}.release`);
  /** Reads a release: the step it holds the job at next (Infinity: never); consumes one that names a step. */
  const take = (jobId: string): number | undefined => {
    if (!existsSync(release(jobId))) return undefined;
    const text = readFileSync(release(jobId), 'utf8').trim();
    if (text === '') return Infinity;
    rmSync(release(jobId), { force: true });
    return Number(text);
  };
  return {
    async wait(jobId, lastStep, { stopped, onHold }) {
      if (lastStep === undefined || lastStep < (nextHold.get(jobId) ?? atStep)) return;
      let next = take(jobId);
      if (next === undefined) {
        onHold();
        writeFileSync(join(dir, `${jobId}.held`), String(lastStep));
        while ((next = take(jobId)) === undefined && !stopped()) await sleep(POLL_MS);
      }
      // Stopped while held: the job is ending, and any later attempt is held here again.
      if (next !== undefined) nextHold.set(jobId, next);
    },
  };
}
