/**
 * The environment tests run in: a database and a Redis index of their own (never a user's
 * `trainer` database or Redis index 0), a queue name per test file, and short BullMQ timings
 * so crash recovery is observable in seconds.
 */
import { randomUUID } from 'node:crypto';
import { relative } from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/trainer_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

/**
 * The database of this test file's services: the test database's name and the file's path
 * (test/api/datasets.test.ts → trainer_test_api_datasets). The suite runs two files at a time,
 * and a file that counts rows or lists every job must not see another file's; created and
 * migrated on first use (under a second), then reused. Its Redis keys are its own already: they
 * start with its queue name.
 */
export const FILE_DATABASE_URL = fileDatabaseUrl(process.argv[1]);

function fileDatabaseUrl(file: string | undefined): string {
  const tag = file && /\.test\.ts$/.test(file) ? relative('test', relative(process.cwd(), file)).replace(/\.test\.ts$/, '') : '';
  if (!tag || tag.startsWith('..')) return TEST_DATABASE_URL;
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `${url.pathname}_${tag.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`.slice(0, 64);
  return url.toString();
}

/** Variables for a service under test; `overrides` win. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: FILE_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_NAME: `test-${randomUUID().slice(0, 8)}`,
    TFJS_BACKEND: 'wasm',
    JOB_LOCK_MS: '2000',
    STALLED_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
    PORT: '0',
    // Tests fire requests faster than a person; the rate limit has its own test (quotas.test.ts).
    RATE_LIMIT_PER_SECOND: '100000',
    ...overrides,
  };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig(testEnv(overrides));
}
