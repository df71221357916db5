/**
 * Serves the browser dashboard built from web/ (`npm run build:web` → dist/web): hashed assets
 * under /assets/ cached for a year, and index.html (never cached) for `/` and every client-side
 * route. Without a build the API still runs and those routes answer 404 saying how to build it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The client's routes: each answers index.html and the app renders the page. */
export const DASHBOARD_PAGES = ['/', '/new', '/playground', '/datasets', '/jobs/:id', '/comparisons/:id'] as const;

const DEFAULT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');

/**
 * The page's own policy: everything from this origin, nothing inline, no eval. The app is built
 * for it, so a stricter header from a security plugin changes nothing.
 */
const CSP = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";

export function dashboardRoutes(dir: string = DEFAULT_DIR) {
  return async function dashboard(app: FastifyInstance): Promise<void> {
    const indexFile = join(dir, 'index.html');
    const built = existsSync(indexFile) && existsSync(join(dir, 'assets'));
    if (built) {
      await app.register(fastifyStatic, {
        root: join(dir, 'assets'),
        prefix: '/assets/',
        decorateReply: false,
        index: false,
        // Names carry a content hash: a new build gets new names, so old ones never change.
        immutable: true,
        maxAge: '365d',
      });
    }
    const html = built ? readFileSync(indexFile) : null;
    const page = async (_req: unknown, reply: FastifyReply) => {
      if (!html) {
        return reply.code(404).send({
          error: 'not_found',
          message: 'the dashboard is not built: run `npm run build:web` (npm ci does it) and restart; the API under /v1 works without it',
          details: { field: 'path' },
        });
      }
      return reply
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .type('text/html; charset=utf-8')
        .send(html);
    };
    for (const url of DASHBOARD_PAGES) app.get(url, { schema: { hide: true } }, page);
  };
}
