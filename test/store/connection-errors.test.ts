/**
 * "PostgreSQL is unavailable" is recognised by class and code for each way it shows (measured
 * with Prisma 7 + @prisma/adapter-pg + pg); any other database error is not. The refused and
 * dropped connections of a stopped server are in test/reliability/dependencies-down.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDb, type Db } from '../../src/store/db.ts';
import { prepareDatabase } from '../../src/store/migrate.ts';
import { DatabaseConnectionError, databaseUnavailable } from '../../src/store/connection-errors.ts';
import { FILE_DATABASE_URL } from '../helpers/env.ts';

async function failure(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('database unavailable, told apart from other errors', () => {
  let db: Db;
  before(async () => {
    await prepareDatabase(FILE_DATABASE_URL);
    db = createDb(FILE_DATABASE_URL, 1);
  });
  after(() => db.$disconnect());

  it('no free connection in the pool within the connect timeout (5 s) is unavailability', async () => {
    const holding = db.$queryRaw`SELECT pg_sleep(6)`.then(
      () => undefined,
      () => undefined,
    ); // the pool's only connection
    await new Promise((r) => setTimeout(r, 200));
    const err = await failure(db.job.count());
    assert.ok(err instanceof DatabaseConnectionError, String(err));
    assert.match(databaseUnavailable(err) ?? '', /connection to PostgreSQL failed/);
    await holding;
  });

  it('a session terminated by the server (SQLSTATE 57P01) is unavailability', async () => {
    const other = createDb(FILE_DATABASE_URL, 1);
    try {
      const [{ pid }] = await other.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
      const running = failure(other.$queryRaw`SELECT pg_sleep(5)`);
      await new Promise((r) => setTimeout(r, 300));
      await db.$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
      const err = await running;
      assert.notEqual(databaseUnavailable(err), null, String(err));
    } finally {
      await other.$disconnect();
    }
  });

  it('errors of the statement itself are not unavailability', async () => {
    const division = await failure(db.$executeRawUnsafe('SELECT 1/0'));
    assert.equal(databaseUnavailable(division), null, String(division));
    const missing = await failure(db.$queryRawUnsafe('SELECT * FROM "NoSuchTable"'));
    assert.equal(databaseUnavailable(missing), null, String(missing));
    assert.equal(databaseUnavailable(new Error('Connection terminated unexpectedly')), null, 'a message alone decides nothing');
  });
});
