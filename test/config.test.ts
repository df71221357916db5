/** Configuration comes from the environment, with defaults for this machine, and fails naming the variable. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';

describe('config', () => {
  it('has working defaults for a single machine', () => {
    const c = loadConfig({});
    assert.equal(c.PORT, 3000);
    assert.equal(c.HOST, '127.0.0.1');
    assert.equal(c.DATABASE_URL, 'postgresql://postgres@127.0.0.1:5432/trainer');
    assert.equal(c.REDIS_URL, 'redis://127.0.0.1:6379/0');
    assert.equal(c.TFJS_BACKEND, 'auto');
    assert.equal(c.WORKER_CONCURRENCY, undefined, 'unset: the worker derives it from cores, GPUs and memory');
    assert.ok(Object.isFrozen(c));
  });

  it('reads and converts variables', () => {
    const c = loadConfig({ PORT: '8080', TFJS_BACKEND: 'cpu', WORKER_CONCURRENCY: '2' });
    assert.deepEqual([c.PORT, c.TFJS_BACKEND, c.WORKER_CONCURRENCY], [8080, 'cpu', 2]);
  });

  it('refuses bad values naming the variable', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT must be integer/);
    assert.throws(() => loadConfig({ TFJS_BACKEND: 'gpu' }), /TFJS_BACKEND must be equal to one of the allowed values/);
    assert.throws(() => loadConfig({ WORKER_CONCURRENCY: '0' }), /WORKER_CONCURRENCY must be >= 1/);
  });
});
