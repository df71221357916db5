/**
 * The app without a port, as fastify/demo's tests build it: the real app factory, the real
 * PostgreSQL and Redis, driven with `app.inject()`. For tests that need no worker and no
 * socket (request validation); lifecycle tests keep a real service on a port (service.ts).
 */
import { after, before } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../../src/api/app.ts';
import type { Config } from '../../src/config.ts';
import { createDb, type Db } from '../../src/store/db.ts';
import { prepareDatabase } from '../../src/store/migrate.ts';
import { connectRedis, createQueue } from '../../src/queue.ts';
import { testConfig } from './env.ts';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  config: Config;
  /** Same shape as http.ts's `api`: status, parsed JSON (undefined when the body is not JSON), text. */
  request: (
    method: InjectOptions['method'],
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; json: any; text: string }>;
}

const prepared = new Map<string, Promise<unknown>>(); // migrations run once per database and process

/**
 * Builds the app for one test and closes it, and its connections, when the test ends. `logger`:
 * one as main.ts hands it; `db`: wraps the database client (e.g. to count its queries).
 */
export async function buildTestApp(
  t: { after(fn: () => Promise<void>): void },
  env: Record<string, string> = {},
  opts: { logger?: Logger; db?: (db: Db) => Db } = {},
): Promise<TestApp> {
  const config = testConfig(env);
  if (!prepared.has(config.DATABASE_URL)) prepared.set(config.DATABASE_URL, prepareDatabase(config.DATABASE_URL));
  await prepared.get(config.DATABASE_URL);
  const plainDb = createDb(config.DATABASE_URL);
  const db = opts.db ? opts.db(plainDb) : plainDb;
  const redis = connectRedis(config, 'api');
  const queueConnection = connectRedis(config, 'api');
  const queue = createQueue(config, queueConnection);
  const app = await buildApp({ config, db, redis, queue }, opts.logger);
  t.after(async () => {
    await app.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    redis.disconnect();
    queueConnection.disconnect();
    await plainDb.$disconnect();
  });
  return {
    app,
    db,
    config,
    request: async (method, path, body, headers = {}) => {
      const res = await app.inject({
        method,
        url: path,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      let json: any;
      try {
        json = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, text: res.body };
    },
  };
}

/**
 * One app shared by every test of the enclosing describe(): built in its before hook, closed in
 * its after hook. Building costs a few hundred milliseconds of CPU; a file of 37 validation
 * cases pays it once. Call the returned function inside a test.
 */
export function appForSuite(env: Record<string, string> = {}): () => TestApp {
  let testApp: TestApp | undefined;
  const closers: Array<() => Promise<void>> = [];
  before(async () => {
    testApp = await buildTestApp({ after: (fn) => closers.push(fn) }, env);
  });
  after(async () => {
    for (const close of closers) await close();
  });
  return () => {
    if (!testApp) throw new Error('appForSuite: the app is built in before(); use it inside a test');
    return testApp;
  };
}
