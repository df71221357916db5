/**
 * API keys and the start-up modes: open for one local user while no key exists on loopback,
 * refusing to start elsewhere, keys required once one exists; roles; revocation; the command
 * line; keys kept out of logs and out of the database.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.ts';
import { connectRedis, createQueue } from '../../src/queue.ts';
import { createDb } from '../../src/store/db.ts';
import { bearer, keysDatabase, newKey } from '../helpers/auth.ts';
import { testConfig } from '../helpers/env.ts';
import { api } from '../helpers/http.ts';
import { startService, type TestService } from '../helpers/service.ts';

const run = promisify(execFile);

/** An app built the way main.ts builds it, with its log lines collected. */
async function appWithLog(env: Record<string, string>) {
  const config = testConfig(env);
  const db = createDb(config.DATABASE_URL);
  const redis = connectRedis(config, 'api');
  const queueConnection = connectRedis(config, 'api');
  const queue = createQueue(config, queueConnection);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  // BullMQ leaves a connection it was given open: ours to close.
  const close = async () => {
    await queue.close();
    queueConnection.disconnect();
    redis.disconnect();
    await db.$disconnect();
  };
  try {
    const app = await buildApp({ config, db, redis, queue }, pino({ level: 'info' }, sink));
    return {
      app,
      lines,
      close: async () => {
        await app.close();
        await close();
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

describe('API keys and start-up modes', () => {
  let databaseUrl: string;
  before(async () => {
    databaseUrl = await keysDatabase('auth');
  });

  it('no key and HOST not loopback: refuses to start and names the fix; AUTH=off starts anyway', async () => {
    await assert.rejects(
      appWithLog({ DATABASE_URL: databaseUrl, HOST: '0.0.0.0' }),
      (err: Error) => /HOST=0\.0\.0\.0/.test(err.message) && /keys -- create/.test(err.message) && /AUTH=off/.test(err.message),
    );
    const off = await appWithLog({ DATABASE_URL: databaseUrl, HOST: '0.0.0.0', AUTH: 'off' });
    assert.ok(off.lines.some((l) => l.includes('AUTH=off')));
    await off.close();
  });

  it('no key on loopback: open for one local user, said in the start-up log; its data is tenant "default"', async () => {
    const open = await appWithLog({ DATABASE_URL: databaseUrl });
    assert.ok(
      open.lines.some((l) => /open mode/.test(l) && /keys -- create/.test(l)),
      open.lines.join(''),
    );
    const res = await open.app.inject({
      method: 'POST',
      url: '/v1/datasets?label=y&name=open-mode',
      headers: { 'content-type': 'text/csv' },
      payload: 'x,y\n1,0\n2,1\n',
    });
    assert.equal(res.statusCode, 201, res.body);
    // The README's `-H "authorization: Bearer $KEY"` with KEY empty works in open mode.
    assert.equal((await open.app.inject({ url: '/v1/datasets', headers: { authorization: 'Bearer ' } })).statusCode, 200);
    assert.equal(
      (await open.app.inject({ url: '/v1/datasets', headers: { authorization: 'Bearer trn_wrong' } })).statusCode,
      401,
      'a key that is sent must be valid',
    );
    await open.close();
    // A key of tenant "default" created later sees what open mode created.
    const key = await newKey(databaseUrl, { tenant: 'default' });
    const service = await startService({ env: { DATABASE_URL: databaseUrl } });
    try {
      const list = await api(service.url, 'GET', '/v1/datasets', undefined, bearer(key.key));
      assert.ok(list.json.datasets.some((d: any) => d.id === res.json().id));
    } finally {
      await service.close();
    }
  });

  describe('once a key exists', () => {
    let service: TestService;
    let admin: { id: string; key: string };
    let user: { id: string; key: string };
    before(async () => {
      admin = await newKey(databaseUrl, { tenant: 'ops', admin: true });
      user = await newKey(databaseUrl, { tenant: 'team' });
      service = await startService({ env: { DATABASE_URL: databaseUrl, RATE_LIMIT_PER_SECOND: '1000' } });
    });
    after(() => service?.close());

    it('every route but the public ones needs a key: 401 with WWW-Authenticate: Bearer', async () => {
      for (const [method, path] of [
        ['GET', '/v1/jobs'],
        ['GET', '/v1/datasets'],
        ['POST', '/v1/jobs'],
        ['GET', '/v1/keys'],
        ['GET', '/v1/jobs/00000000-0000-4000-8000-000000000000'],
      ]) {
        const res = await api(service.url, method, path, method === 'POST' ? {} : undefined);
        assert.equal(res.status, 401, `${method} ${path}`);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
        assert.equal(res.json.error, 'unauthorized');
      }
      assert.equal(
        (await api(service.url, 'GET', '/v1/jobs', undefined, { authorization: 'Bearer ' })).status,
        401,
        'an empty key is no key',
      );
      for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs/']) {
        assert.equal((await fetch(service.url + path)).status, 200, path);
      }
      // The dashboard's page holds no data and asks for the key itself: it loads without one
      // (200 with the page, or 404 saying how to build it where no build is there).
      for (const path of ['/', '/jobs/00000000-0000-4000-8000-000000000000', '/new']) {
        assert.notEqual((await fetch(service.url + path)).status, 401, path);
      }
    });

    it('a CORS preflight needs no key (browsers never send one), the request after it does', async () => {
      const withCors = await startService({ env: { DATABASE_URL: databaseUrl, CORS_ORIGINS: 'http://app.example' } });
      try {
        const preflight = await fetch(`${withCors.url}/v1/datasets`, {
          method: 'OPTIONS',
          headers: {
            origin: 'http://app.example',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization',
          },
        });
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://app.example');
        const headers = { origin: 'http://app.example' };
        assert.equal((await fetch(`${withCors.url}/v1/datasets`, { headers })).status, 401);
        assert.equal((await fetch(`${withCors.url}/v1/datasets`, { headers: { ...headers, ...bearer(user.key) } })).status, 200);
      } finally {
        await withCors.close();
      }
    });

    it('a wrong key or a revoked key: 401; a user key on an admin route: 403', async () => {
      assert.equal((await api(service.url, 'GET', '/v1/jobs', undefined, bearer(user.key))).status, 200);
      assert.equal((await api(service.url, 'GET', '/v1/jobs', undefined, bearer(user.key.slice(0, -2) + 'xx'))).status, 401);
      assert.equal((await api(service.url, 'GET', '/v1/jobs', undefined, { authorization: 'Basic dTpw' })).status, 401);
      assert.equal((await api(service.url, 'GET', '/v1/keys', undefined, bearer(user.key))).status, 403);
      assert.equal((await api(service.url, 'GET', '/v1/keys', undefined, bearer(admin.key))).status, 200);
      const doomed = await newKey(databaseUrl, { tenant: 'team' });
      assert.equal((await api(service.url, 'GET', '/v1/jobs', undefined, bearer(doomed.key))).status, 200);
      const revoked = await api(service.url, 'DELETE', `/v1/keys/${doomed.id}`, undefined, bearer(admin.key));
      assert.equal(revoked.status, 200);
      assert.ok(revoked.json.revokedAt);
      const after = await api(service.url, 'GET', '/v1/jobs', undefined, bearer(doomed.key));
      assert.equal(after.status, 401);
      assert.match(after.headers.get('www-authenticate') ?? '', /invalid_token/);
    });

    it('admins create keys over HTTP: 256 random bits behind trn_, shown once, stored only as a SHA-256', async () => {
      const created = await api(service.url, 'POST', '/v1/keys', { name: 'ci', tenant: 'team', role: 'user' }, bearer(admin.key));
      assert.equal(created.status, 201, JSON.stringify(created.json));
      // base64url of 32 bytes is 43 characters.
      assert.match(created.json.key, /^trn_[A-Za-z0-9_-]{43}$/);
      assert.equal(created.json.tenant, 'team');
      assert.equal((await api(service.url, 'GET', '/v1/jobs', undefined, bearer(created.json.key))).status, 200);
      // The last use is written beside the request, not before its answer: wait for it.
      let listed: Awaited<ReturnType<typeof api>>;
      let entry: any;
      for (let i = 0; i < 50 && !entry?.lastUsedAt; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 50));
        listed = await api(service.url, 'GET', '/v1/keys', undefined, bearer(admin.key));
        entry = listed.json.keys.find((k: any) => k.id === created.json.id);
      }
      assert.equal(entry.name, 'ci');
      assert.ok(entry.lastUsedAt, 'last use recorded');
      assert.ok(!JSON.stringify(listed!.json).includes(created.json.key));
      const db = createDb(databaseUrl);
      try {
        const rows = await db.$queryRaw<Array<Record<string, unknown>>>`SELECT * FROM "ApiKey" WHERE id = ${created.json.id}::uuid`;
        assert.ok(!JSON.stringify(rows).includes(created.json.key.slice(4)), 'the key is not stored');
        assert.equal(rows[0].hash, createHash('sha256').update(created.json.key).digest('hex'));
      } finally {
        await db.$disconnect();
      }
      assert.equal((await api(service.url, 'POST', '/v1/keys', { name: 'x', tenant: 'no spaces' }, bearer(admin.key))).status, 400);
    });

    it('/readyz: without an admin key, ready or not only; hosts and pids for admins', async () => {
      await service.startWorker();
      try {
        const anonymous = await api(service.url, 'GET', '/readyz');
        assert.equal(anonymous.json.status, 'ready');
        assert.ok(anonymous.json.workers.length >= 1);
        for (const w of anonymous.json.workers) assert.deepEqual(Object.keys(w).sort(), ['backend', 'concurrency', 'threads']);
        const asUser = await api(service.url, 'GET', '/readyz', undefined, bearer(user.key));
        assert.ok(asUser.json.workers.every((w: any) => w.host === undefined && w.pid === undefined));
        const asAdmin = await api(service.url, 'GET', '/readyz', undefined, bearer(admin.key));
        assert.ok(asAdmin.json.workers.some((w: any) => w.pid > 0 && typeof w.host === 'string'));
      } finally {
        await service.stopWorkers();
      }
    });

    it('/readyz with Redis down: which dependency is down, its error text only for admins', async () => {
      // Port 6431 (this branch's range) has no Redis: nothing listens there.
      const down = await appWithLog({ DATABASE_URL: databaseUrl, REDIS_URL: 'redis://127.0.0.1:6431/0', LOG_LEVEL: 'silent' });
      try {
        const anonymous = await down.app.inject({ url: '/readyz' });
        assert.equal(anonymous.statusCode, 503);
        assert.equal(anonymous.json().redis, 'unavailable');
        assert.equal(anonymous.json().database, 'ok');
        const asAdmin = await down.app.inject({ url: '/readyz', headers: bearer(admin.key) });
        assert.notEqual(asAdmin.json().redis, 'unavailable');
        assert.notEqual(asAdmin.json().redis, 'ok');
      } finally {
        await down.close();
      }
    });

    it('keys never appear in the log; the key id does', async () => {
      const logged = await appWithLog({ DATABASE_URL: databaseUrl });
      try {
        await logged.app.inject({ url: '/v1/jobs', headers: bearer(user.key) });
        await logged.app.inject({ url: '/v1/jobs', headers: bearer(user.key + 'x') });
        const text = logged.lines.join('');
        assert.ok(text.includes(user.id), 'the key id is logged');
        assert.ok(!text.includes(user.key.slice(4, 20)), 'no part of the key is logged');
      } finally {
        await logged.close();
      }
    });

    it('the command line: create prints the key alone on stdout; list; revoke', async () => {
      const env = { ...process.env, DATABASE_URL: databaseUrl };
      const created = await run('npm', ['run', '--silent', 'keys', '--', 'create', 'cli-made', '--tenant', 'cli', '--admin'], { env });
      assert.match(created.stdout, /^trn_[A-Za-z0-9_-]{43}\n$/);
      const key = created.stdout.trim();
      const me = await api(service.url, 'GET', '/v1/keys', undefined, bearer(key));
      assert.equal(me.status, 200, 'an admin key');
      const row = me.json.keys.find((k: any) => k.name === 'cli-made');
      assert.equal(row.tenant, 'cli');
      const listed = await run('npm', ['run', '--silent', 'keys', '--', 'list'], { env });
      assert.ok(listed.stdout.includes(row.id));
      assert.ok(!listed.stdout.includes(key));
      await run('npm', ['run', '--silent', 'keys', '--', 'revoke', row.id], { env });
      assert.equal((await api(service.url, 'GET', '/v1/jobs', undefined, bearer(key))).status, 401);
      await assert.rejects(run('npm', ['run', '--silent', 'keys', '--', 'create'], { env }), (err: { stderr: string }) =>
        /usage/.test(err.stderr),
      );
    });
  });
});
