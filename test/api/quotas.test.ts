/**
 * Per-tenant quotas: jobs queued + running at once, bytes stored, requests per second (the
 * last shared by two API processes through Redis). Over one: 429, Retry-After, and a message
 * naming the quota and its value.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { bearer, freshTenant, keysDatabase, newKey } from '../helpers/auth.ts';
import { testEnv } from '../helpers/env.ts';
import { api, xorJob } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** `node src/main.ts api` as its own process, as a second API machine would run it. */
async function apiProcess(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'api'], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  // No deadline of its own: a busy machine may take long to start it; the test's timeout bounds the wait.
  for (;;) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    if (child.exitCode !== null) throw new Error(`API process on ${port} exited (${child.exitCode}) before answering`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function assertQuota(res: { status: number; headers: Headers; json: any }, quota: string, value: number) {
  assert.equal(res.status, 429, JSON.stringify(res.json));
  assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
  assert.equal(res.json.error, 'too_many_requests');
  assert.ok(res.json.message.includes(`${quota}=${value}`), res.json.message);
}

describe('quotas', () => {
  let databaseUrl: string;
  let service: TestService;
  let a: { key: string };
  let b: { key: string };
  before(async () => {
    databaseUrl = await keysDatabase('quotas');
    a = await newKey(databaseUrl, { tenant: freshTenant('a') });
    b = await newKey(databaseUrl, { tenant: freshTenant('b') });
    service = await startService({
      env: { DATABASE_URL: databaseUrl, TENANT_MAX_ACTIVE_JOBS: '2', TENANT_MAX_STORED_BYTES: '100', RATE_LIMIT_PER_SECOND: '1000' },
    });
  });
  after(() => service?.close());

  it('TENANT_MAX_ACTIVE_JOBS: the next job past it is a 429 for that tenant only; a canceled job frees its place', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await api(service.url, 'POST', '/v1/jobs', xorJob(), bearer(a.key))).json.id);
    assertQuota(await api(service.url, 'POST', '/v1/jobs', xorJob(), bearer(a.key)), 'TENANT_MAX_ACTIVE_JOBS', 2);
    const other = await api(service.url, 'POST', '/v1/jobs', xorJob(), bearer(b.key));
    assert.equal(other.status, 201);
    await api(service.url, 'POST', `/v1/jobs/${ids[0]}/cancel`, undefined, bearer(a.key));
    const again = await api(service.url, 'POST', '/v1/jobs', xorJob(), bearer(a.key));
    assert.equal(again.status, 201);
    for (const [id, key] of [
      [ids[1], a.key],
      [again.json.id, a.key],
      [other.json.id, b.key],
    ])
      await api(service.url, 'POST', `/v1/jobs/${id}/cancel`, undefined, bearer(key));
  });

  it('TENANT_MAX_ACTIVE_JOBS holds exactly under concurrent submits and comparisons: never more active jobs than allowed', async () => {
    const c = await newKey(databaseUrl, { tenant: freshTenant('c') });
    const job = () => api(service.url, 'POST', '/v1/jobs', xorJob(), bearer(c.key));
    const comparison = () =>
      api(
        service.url,
        'POST',
        '/v1/comparisons',
        { base: xorJob(), variants: [{ optimizer: { name: 'adam' } }, { optimizer: { name: 'sgd' } }] },
        bearer(c.key),
      );
    // All sent at once: every one passes the early count before any row exists; only the insert
    // under the tenant's lock can tell them apart.
    const answers = await Promise.all([job(), job(), comparison(), job(), job(), comparison(), job(), job()]);
    const statuses = answers.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 201 || s === 429),
      JSON.stringify(answers.map((r) => r.json)),
    );
    for (const r of answers.filter((r) => r.status === 429)) assertQuota(r, 'TENANT_MAX_ACTIVE_JOBS', 2);
    const active = await service.db.job.count({ where: { tenant: c.tenant, status: { in: ['queued', 'running'] } } });
    assert.ok(active <= 2, `${active} active jobs with TENANT_MAX_ACTIVE_JOBS=2 (answers: ${statuses.join(', ')})`);
    assert.ok(active >= 1, 'the first insert under the lock always fits');
    for (const r of answers.filter((r) => r.status === 201)) {
      const ids: string[] = r.json.jobs ?? [r.json.id];
      for (const id of ids) await api(service.url, 'POST', `/v1/jobs/${id}/cancel`, undefined, bearer(c.key));
    }
  });

  it('TENANT_MAX_STORED_BYTES: an upload that would pass it is a 429; deleting frees the space', async () => {
    const csv = (rows: number) => 'x,y\n' + Array.from({ length: rows }, (_, i) => `${i},${i % 2}`).join('\n') + '\n';
    const upload = (key: string, body: string) =>
      fetch(`${service.url}/v1/datasets?label=y`, { method: 'POST', body, headers: { 'content-type': 'text/csv', ...bearer(key) } }).then(
        async (r) => ({ status: r.status, headers: r.headers, json: (await r.json()) as any }),
      );
    const body = csv(12); // 4 + 10 × 4 + 2 × 5 = 54 bytes
    assert.equal(Buffer.byteLength(body), 54);
    const first = await upload(a.key, body);
    assert.equal(first.status, 201);
    assertQuota(await upload(a.key, body), 'TENANT_MAX_STORED_BYTES', 100); // 54 + 54 > 100
    assert.equal((await upload(b.key, body)).status, 201, 'another tenant has its own quota');
    // A chunked upload declares no size: it is measured as it is read, and refused whole.
    const chunked = await fetch(`${service.url}/v1/datasets?label=y`, {
      method: 'POST',
      duplex: 'half',
      headers: { 'content-type': 'text/csv', ...bearer(a.key) },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(body));
          c.close();
        },
      }),
    });
    const chunkedBody = (await chunked.json()) as any;
    assertQuota({ status: chunked.status, headers: chunked.headers, json: chunkedBody }, 'TENANT_MAX_STORED_BYTES', 100);
    assert.equal((await api(service.url, 'GET', '/v1/datasets', undefined, bearer(a.key))).json.datasets.length, 1, 'nothing of it stays');
    assert.equal((await api(service.url, 'DELETE', `/v1/datasets/${first.json.id}`, undefined, bearer(a.key))).status, 204);
    assert.equal((await upload(a.key, body)).status, 201);
  });

  it('RATE_LIMIT_PER_SECOND holds across two API processes sharing Redis', async () => {
    const env = testEnv({ DATABASE_URL: databaseUrl, RATE_LIMIT_PER_SECOND: '10', LOG_LEVEL: 'silent' });
    const [one, two] = await Promise.all([apiProcess(env), apiProcess(env)]);
    try {
      // Within one second: 8 requests to each process. Either alone is under 10; together they are not.
      const send = (url: string, key: string) =>
        Promise.all(Array.from({ length: 8 }, () => api(url, 'GET', '/v1/datasets', undefined, bearer(key))));
      // On a loaded machine the 16 requests may spread over more than the one-second window:
      // such a round proves nothing either way, so it is tried again in a fresh window.
      let first: Awaited<ReturnType<typeof send>> = [];
      let second: Awaited<ReturnType<typeof send>> = [];
      for (let round = 0; round < 5; round++) {
        await new Promise((r) => setTimeout(r, 1100));
        const started = Date.now();
        first = await send(one.url, a.key);
        second = await send(two.url, a.key);
        if (Date.now() - started < 800) break;
      }
      assert.deepEqual(
        first.map((r) => r.status),
        Array(8).fill(200),
      );
      const refused = second.filter((r) => r.status === 429);
      assert.ok(refused.length >= 6, `the second process saw the first one's requests: ${second.map((r) => r.status)}`);
      assertQuota(refused[0], 'RATE_LIMIT_PER_SECOND', 10);
      // Per tenant: B is not slowed by A.
      assert.equal((await api(two.url, 'GET', '/v1/datasets', undefined, bearer(b.key))).status, 200);
    } finally {
      for (const { child } of [one, two]) child.kill('SIGTERM');
    }
  });
});
