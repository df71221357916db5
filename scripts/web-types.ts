/**
 * The dashboard's types of the API's answers, generated from the OpenAPI document by
 * openapi-typescript into web/src/generated/openapi.ts (git-ignored: never edited, never
 * committed). The document comes from the real app factory built in-process: no port, and no
 * PostgreSQL or Redis (the app only connects when it serves a request, which it never does
 * here). Run by build-web.ts (so by postinstall and `npm run build:web`), by `npm run
 * typecheck` and `npm test` before `tsc -p web`, and alone with `npm run web:types`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_TYPES_FILE = join(root, 'web', 'src', 'generated', 'openapi.ts');

const HEADER =
  '/* Generated from the OpenAPI document by scripts/web-types.ts (openapi-typescript): do not edit. ' +
  'Regenerate with `npm run web:types`. */\n';

/**
 * The OpenAPI document of the app as `npm start` serves it at /openapi.json. The config is
 * fixed rather than read from the environment, so the generated file is the same everywhere;
 * nothing in it varies with the config but numeric bounds, which the types do not carry.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  // Imported here, not at the top: build-web.ts imports this module, and the app's imports
  // (the Prisma client among them) are only needed when the document is made.
  const [{ buildApp }, { loadConfig }, { createDb }, { Redis }] = await Promise.all([
    import('../src/api/app.ts'),
    import('../src/config.ts'),
    import('../src/store/db.ts'),
    import('ioredis'),
  ]);
  // AUTH=off: no key lookup at start-up. Nothing listens on port 1: the webhook dispatcher,
  // which starts on ready, fails to connect, quietly (no logger), until the app closes.
  const config = loadConfig({ AUTH: 'off', DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1/0' });
  const db = createDb(config.DATABASE_URL, 1);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true });
  redis.on('error', () => {});
  // The queue is only used by the handlers, never while routes register.
  const app = await buildApp({ config, db, redis, queue: {} as never });
  try {
    await app.ready(); // @fastify/swagger writes the document only once every route is registered
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    redis.disconnect();
    await db.$disconnect();
  }
}

/** The generated module's text for `document` (the app's own by default). */
export async function webTypes(document?: Record<string, unknown>): Promise<string> {
  const { default: openapiTS } = await import('openapi-typescript');
  const doc = document ?? (await openApiDocument());
  const types = await openapiTS(doc as never, {
    // Fastify's OpenAPI 3.0 form of a null-only schema ({ nullable, enum: [null] }) trips
    // openapi-typescript 6; it is the type null.
    transform: (schema) => (Array.isArray(schema.enum) && schema.enum.length === 1 && schema.enum[0] === null ? 'null' : undefined),
  });
  return HEADER + types;
}

export async function writeWebTypes(): Promise<void> {
  await mkdir(dirname(WEB_TYPES_FILE), { recursive: true });
  await writeFile(WEB_TYPES_FILE, await webTypes());
}

if (process.argv[1] && basename(process.argv[1]) === 'web-types.ts') {
  await writeWebTypes();
  console.log('web:types: web/src/generated/openapi.ts written from the OpenAPI document');
}
