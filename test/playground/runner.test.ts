/**
 * The playground runner: one warm child answering over IPC, requests in order, a 503 (and a
 * fresh child) when a request times out or the child dies, and a clean close.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PlaygroundRunner, PlaygroundUnavailableError } from '../../src/playground/runner.ts';
import { parseTrajectoryRequest } from '../../src/playground/request.ts';
import { until } from '../helpers/until.ts';

const request = (steps: number) =>
  parseTrajectoryRequest({ function: 'rosenbrock', start: [-1.5, 2], steps, optimizer: { name: 'adam', learningRate: 0.02 } });

const waitFor = (condition: () => boolean) => until(condition, 20);

describe('PlaygroundRunner', () => {
  const runner = new PlaygroundRunner();
  after(() => runner.close());

  test('computes trajectories in its child, concurrent requests in order', async () => {
    await runner.start();
    assert.ok(runner.pid !== undefined && runner.pid !== process.pid);
    const results = await Promise.all([request(10), request(20), request(30)].map((r) => runner.run(r)));
    assert.deepEqual(
      results.map((r) => r.points.length),
      [11, 21, 31],
    );
    assert.deepEqual(results[0].points, results[2].points.slice(0, 11), 'deterministic');
  });

  test('a child that dies is replaced: the request in flight gets a 503, the next is answered', async () => {
    const pid = runner.pid!;
    const inFlight = runner.run(request(10_000));
    setTimeout(() => process.kill(pid, 'SIGKILL'), 50);
    await assert.rejects(inFlight, (err: unknown) => err instanceof PlaygroundUnavailableError && /exited/.test(err.message));
    const next = await runner.run(request(5));
    assert.equal(next.points.length, 6);
    assert.notEqual(runner.pid, pid);
  });

  test('a request past the timeout gets a 503 and its child is replaced', async () => {
    const impatient = new PlaygroundRunner({ timeoutMs: 20 });
    try {
      await impatient.start();
      const pid = impatient.pid;
      await assert.rejects(
        impatient.run(request(10_000)),
        (err: unknown) => err instanceof PlaygroundUnavailableError && err.statusCode === 503 && /longer than 20 ms/.test(err.message),
      );
      await waitFor(() => impatient.pid !== undefined && impatient.pid !== pid);
    } finally {
      await impatient.close();
    }
  });

  test('after close, requests are refused with a 503', async () => {
    const closing = new PlaygroundRunner();
    await closing.start();
    const pid = closing.pid!;
    await closing.close();
    assert.equal(closing.pid, undefined);
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the child has exited');
    await assert.rejects(closing.run(request(1)), PlaygroundUnavailableError);
  });
});
