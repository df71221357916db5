/**
 * Wrong API keys are cheap and limited per client address: past AUTH_FAILURE_LIMIT wrong keys
 * in a window, an address's unknown keys are answered 429 with Retry-After and no database
 * lookup; a key already found wrong is refused without a lookup; valid keys keep working.
 * Lookups are counted on the Prisma client the app is given (findUnique on ApiKey).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it, test } from 'node:test';
import { clientOf, FailedKeys } from '../../src/api/auth/failed-keys.ts';
import type { Db } from '../../src/store/db.ts';
import { buildTestApp } from '../helpers/app.ts';
import { bearer, freshTenant, keysDatabase, newKey } from '../helpers/auth.ts';

const wrongKey = () => `trn_${randomBytes(32).toString('base64url')}`;

describe('wrong API keys from one address', () => {
  let databaseUrl: string;
  before(async () => {
    databaseUrl = await keysDatabase('auth_failures');
  });

  it('300 wrong keys from one address: 429s past the limit, with far fewer lookups; valid keys still work', async (t) => {
    const tenant = freshTenant('failures');
    const known = await newKey(databaseUrl, { tenant });
    const unseen = await newKey(databaseUrl, { tenant });
    let lookups = 0;
    const counted = (db: Db) =>
      db.$extends({
        query: {
          apiKey: {
            findUnique({ args, query }) {
              lookups++;
              return query(args);
            },
          },
        },
      }) as unknown as Db;
    const { app } = await buildTestApp(
      t,
      { DATABASE_URL: databaseUrl, AUTH_FAILURE_LIMIT: '20', AUTH_FAILURE_WINDOW_S: '600' },
      { db: counted },
    );
    const get = (key: string, remoteAddress: string, url = '/v1/datasets') =>
      app.inject({ method: 'GET', url, headers: bearer(key), remoteAddress });
    const attacker = '203.0.113.7';

    assert.equal((await get(known.key, '198.51.100.2')).statusCode, 200, 'a valid key, used once elsewhere');
    const before = lookups;
    const wrong = Array.from({ length: 300 }, wrongKey);
    const answers = [];
    for (const key of wrong) answers.push(await get(key, attacker));
    const statuses = answers.map((a) => a.statusCode);
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401), 'the first 20 are looked up and refused');
    assert.deepEqual(statuses.slice(20), Array(280).fill(429), 'then 429 until the window ends');
    assert.equal(lookups - before, 20, 'one lookup per wrong key up to the limit, none after');
    const limited = answers[299];
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 600, `Retry-After: ${limited.headers['retry-after']}`);
    assert.match(String(limited.headers['content-type']), /^application\/json/);
    const body = limited.json();
    assert.equal(body.error, 'too_many_requests');
    assert.match(body.message, /^authorization: too many wrong API keys from this address/);
    assert.deepEqual(body.details, { quota: 'AUTH_FAILURE_LIMIT', limit: 20 });

    // The same address: a key this process has seen valid works; one it has not waits for the window.
    assert.equal((await get(known.key, attacker)).statusCode, 200);
    assert.equal((await get(unseen.key, attacker)).statusCode, 429);
    // Another address: every valid key works, and a wrong key already looked up costs no lookup.
    assert.equal((await get(unseen.key, '198.51.100.3')).statusCode, 200);
    assert.equal((await get(unseen.key, attacker)).statusCode, 200, 'seen valid now');
    const beforeRepeat = lookups;
    for (let i = 0; i < 5; i++) assert.equal((await get(wrong[0], '198.51.100.4')).statusCode, 401);
    assert.equal(lookups, beforeRepeat, 'a key found wrong once is not looked up again');
    // A blocked address still reads the probes, as anyone without a key does.
    assert.equal((await get(wrongKey(), attacker, '/healthz')).statusCode, 200);
  });
});

test('the failure window: counted per address (an IPv6 /64), over when it ends; a wrong key is remembered for a window', () => {
  let now = 1_000_000;
  const failed = new FailedKeys(3, 60, () => now);
  for (let i = 0; i < 3; i++) failed.failed('2001:db8:1:2::10');
  assert.equal(failed.retryAfter('2001:db8:1:2::ffff'), 60, 'the same /64');
  assert.equal(failed.retryAfter('2001:db8:1:3::10'), 0, 'another /64');
  assert.equal(failed.retryAfter('10.0.0.1'), 0);
  now += 59_500;
  assert.equal(failed.retryAfter('2001:db8:1:2::10'), 1);
  now += 500;
  assert.equal(failed.retryAfter('2001:db8:1:2::10'), 0, 'the window ended');
  failed.failed('2001:db8:1:2::10');
  assert.equal(failed.retryAfter('2001:db8:1:2::10'), 0, 'a new window starts from none');
  failed.failed('192.0.2.9', 'hash-of-a-wrong-key');
  assert.equal(failed.isKnownBad('hash-of-a-wrong-key'), true);
  now += 60_000;
  assert.equal(failed.isKnownBad('hash-of-a-wrong-key'), false, 'looked up again after the window (a restored key table)');
  assert.equal(clientOf('::ffff:192.0.2.1'), '192.0.2.1', 'IPv4-mapped counts as its IPv4 address');
  assert.equal(clientOf('2001:db8::1'), '2001:db8::/64');
});
