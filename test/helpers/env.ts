/**
 * The environment tests run in: a database and a Redis index of their own (never a user's
 * `trainer` database or Redis index 0), a queue name per test file, and short BullMQ timings
 * so crash recovery is observable in seconds.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.ts';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/trainer_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

/** Variables for a service under test; `overrides` win. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: TEST_DATABASE_URL,
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
