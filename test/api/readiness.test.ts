/**
 * /readyz lists the live workers from their heartbeat keys, found with SCAN (KEYS would block
 * Redis for the whole keyspace), however many keys Redis holds, and ignores keys it cannot read;
 * a real worker shows its backend and the threads one of its jobs uses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { workerKeyPrefix } from '../../src/queue.ts';
import { api } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

describe('readiness lists live workers', () => {
  let service: TestService;
  let redis: Redis;
  const prefix = () => workerKeyPrefix(service.config);

  before(async () => {
    service = await startService();
    redis = new Redis(service.config.REDIS_URL);
  });
  after(async () => {
    const keys = await redis.keys(`${prefix()}*`); // test clean-up only
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await service.close();
  });

  it("every heartbeat key is listed, past the page size of SCAN, and a key that is not a worker's is skipped", async () => {
    const workers = Array.from({ length: 1500 }, (_, i) => ({
      id: `w${i}`,
      backend: i % 2 ? 'wasm' : 'cpu',
      // workers older than the field have no threads: still listed
      ...(i % 3 ? { threads: 1 } : {}),
      host: 'h',
      pid: i,
      concurrency: 1,
    }));
    const pipeline = redis.pipeline();
    for (const w of workers) pipeline.set(`${prefix()}${w.id}`, JSON.stringify(w), 'EX', 60);
    pipeline.set(`${prefix()}broken`, 'not json', 'EX', 60);
    pipeline.set(`${prefix()}number`, '5', 'EX', 60);
    pipeline.set(`${prefix()}partial`, '{"id":"x"}', 'EX', 60);
    pipeline.set(`${prefix()}bad-threads`, JSON.stringify({ ...workers[0], id: 'bad', threads: 'many' }), 'EX', 60);
    await pipeline.exec();
    const res = await api(service.url, 'GET', '/readyz');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.workers.length, 1500);
    assert.deepEqual(new Set(res.json.workers.map((w: { id: string }) => w.id)), new Set(workers.map((w) => w.id)));
    assert.deepEqual([...res.json.backends].sort(), ['cpu', 'wasm']);
    await redis.del(...(await redis.keys(`${prefix()}*`)));
  });

  it('a running worker is listed with its backend, threads per job and concurrency', async () => {
    const worker = await service.startWorker();
    try {
      const res = await api(service.url, 'GET', '/readyz');
      assert.equal(res.status, 200, res.text);
      const listed = res.json.workers.find((w: { id: string }) => w.id === worker.id);
      assert.ok(listed, res.text);
      // testEnv's backend: wasm trains on one thread, whatever the cores
      assert.equal(listed.backend, service.config.TFJS_BACKEND);
      assert.equal(listed.threads, 1);
      assert.ok(Number.isInteger(listed.concurrency) && listed.concurrency >= 1);
    } finally {
      await service.stopWorkers();
    }
  });
});
