/**
 * Which of the worker's BullMQ errors are a lost lock (one warning per job, repeats at debug) and
 * which stay errors. The errors are built as BullMQ builds them (lock-manager.js,
 * finished-errors.js); test/reliability/redis-loss.test.ts sees the real ones after a flush.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from 'bullmq';
import { LostLocks, lostLockOf } from '../../src/worker/lost-locks.ts';
import { capturedLog, LEVEL } from '../helpers/captured-log.ts';

const coded = (message: string, code: number) => Object.assign(new Error(message), { code });
const id = '60953da2-5100-4708-8679-4dcf4cde723f';

test("BullMQ's lost-lock errors name their job; other errors are not lost locks", () => {
  assert.equal(lostLockOf(new Error(`could not renew lock for job ${id}`)), id);
  assert.equal(lostLockOf(coded(`Missing lock for job ${id}. moveToFinished`, ErrorCode.JobLockNotExist)), id);
  assert.equal(lostLockOf(coded(`Missing key for job ${id}. moveToDelayed`, ErrorCode.JobNotExist)), id);
  assert.equal(lostLockOf(coded(`Lock mismatch for job ${id}. Cmd moveToFinished from active`, ErrorCode.JobLockMismatch)), id);
  assert.equal(lostLockOf(new Error('Connection is closed.')), undefined);
  assert.equal(lostLockOf(coded(`Job ${id} has pending dependencies. moveToFinished`, ErrorCode.JobPendingChildren)), undefined);
});

test('a lost lock is one warning per job, its repeats debug lines, and news again once renewed', () => {
  const { log, lines } = capturedLog('debug');
  const locks = new LostLocks(log);
  const renewalFailed = (job: string) => locks.handled(new Error(`could not renew lock for job ${job}`));
  for (let i = 0; i < 3; i++) assert.ok(renewalFailed(id));
  assert.ok(renewalFailed('other-job'));
  assert.equal(locks.handled(new Error('something else')), false, 'left to the caller, who logs it as an error');
  locks.renewed([id]);
  assert.ok(renewalFailed(id));
  assert.deepEqual(
    lines.map((l) => [l.jobId, l.level]),
    [
      [id, LEVEL.warn],
      [id, LEVEL.debug],
      [id, LEVEL.debug],
      ['other-job', LEVEL.warn],
      [id, LEVEL.warn],
    ],
  );
});

test('it remembers a bounded number of jobs, forgetting the oldest', () => {
  const { log, lines } = capturedLog('debug');
  const locks = new LostLocks(log, 2);
  for (const job of ['a', 'b', 'c', 'a']) locks.handled(new Error(`could not renew lock for job ${job}`));
  assert.deepEqual(
    lines.map((l) => l.level),
    [LEVEL.warn, LEVEL.warn, LEVEL.warn, LEVEL.warn],
    'a was forgotten when c came',
  );
});
