/**
 * A job that runs out of memory in its training child fails in words, and the child is retired:
 * the valid jobs after it train in a fresh process. On the real stack (API, PostgreSQL, Redis, an
 * in-process worker with real children), with the admission limit raised so the job is queued
 * and a small wasm ceiling so it fails at its first step.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { api, finished, irisJob, waitForJob } from '../helpers/http.ts';
import { OUT_OF_MEMORY_ERROR, OUT_OF_MEMORY_JOB } from '../helpers/out-of-memory.ts';
import { startService, type TestService } from '../helpers/service.ts';

/** Pids of this process's training children (the in-process worker forks them), from /proc. */
function trainingChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after its ')'.
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('trainer-child.ts')) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('a training child after a job that ran out of memory', () => {
  let service: TestService;
  before(async () => {
    service = await startService({
      worker: true,
      env: { MAX_JOB_MEMORY_BYTES: String(2 ** 40), CHILD_MAX_WASM_MB: '64', CHILD_MAX_HEAP_MB: '512' },
    });
  });
  after(() => service.close());

  it('fails that job saying it ran out of memory, then trains the next jobs in a fresh process', async () => {
    const [first] = trainingChildren();
    assert.ok(first, 'the worker started a training child');
    const argv = readFileSync(`/proc/${first}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('--max-old-space-size=512'), `CHILD_MAX_HEAP_MB reaches the child's V8: ${argv.join(' ')}`);

    const { status, json: big } = await api(service.url, 'POST', '/v1/jobs', OUT_OF_MEMORY_JOB);
    assert.equal(status, 201, 'admitted: the admission limit is raised for this test');
    const failed = await waitForJob(service.url, big.id, finished);
    assert.equal(failed.status, 'failed');
    for (const words of OUT_OF_MEMORY_ERROR) assert.match(failed.error, words);
    assert.equal(failed.attempts, 1, 'not retried: it would run out of memory again');

    for (let i = 0; i < 3; i++) {
      const { json: job } = await api(service.url, 'POST', '/v1/jobs', irisJob({ training: { epochs: 3 } }));
      const done = await waitForJob(service.url, job.id, finished);
      assert.equal(done.status, 'succeeded', `valid job ${i + 1}: ${done.error}`);
    }
    const now = trainingChildren();
    assert.equal(now.length, 1, `one training child: ${now}`);
    assert.notEqual(now[0], first, 'the child that ran out of memory was replaced');
    assert.throws(() => process.kill(first, 0), { code: 'ESRCH' }, 'and it has exited');
  });
});
