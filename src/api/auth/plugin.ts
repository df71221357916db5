/**
 * Everything that stands between a request and a route, as one plugin (fastify-plugin, so its
 * hooks apply to every route registered after it and no route can forget them):
 * security headers, CORS, URL length, Host and Origin checks, the API key, the role, and the
 * per-tenant rate limit shared by every API process through Redis.
 */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { QuotaExceededError } from '../../errors.ts';
import type { ApiContext } from '../context.ts';
import { hostAllowed, isLoopbackAddress, originAllowed, splitList, STATE_CHANGING } from './browser-guard.ts';
import { AuthGate, checkAccess } from './gate.ts';
import type { Principal } from './principal.ts';
import { Refusal } from './refusal.ts';

/** Longer request targets are refused (414) before routing: no route takes one anywhere near. */
export const MAX_URL_LENGTH = 4096;

export interface SecurityOptions {
  ctx: ApiContext;
  /** Handed out so the key routes can end open mode the moment they create a key. */
  gate: AuthGate;
}

async function security(app: FastifyInstance, { ctx, gate }: SecurityOptions): Promise<void> {
  const { config } = ctx;
  const corsOrigins = splitList(config.CORS_ORIGINS);
  const allowedHosts = splitList(config.ALLOWED_HOSTS);
  // Bound to loopback, only a browser's DNS-rebinding trick sends another Host; elsewhere a
  // proxy may, so the check applies there only when ALLOWED_HOSTS names the hosts.
  const checkHost = isLoopbackAddress(config.HOST) || allowedHosts.length > 0;
  await gate.start(app.log);

  // The docs page runs swagger-ui's inline scripts, which helmet's default CSP blocks; the
  // other headers still apply there. Set before swagger-ui registers its routes.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) {
      route.config = { ...route.config, helmet: { contentSecurityPolicy: false } } as typeof route.config;
    }
  });
  await app.register(helmet, { global: true });
  if (corsOrigins.length > 0) {
    await app.register(cors, {
      origin: corsOrigins,
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key'],
      exposedHeaders: ['location', 'retry-after', 'idempotent-replayed'],
    });
  }

  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request, reply) => {
    if ((request.raw.url ?? '').length > MAX_URL_LENGTH) {
      throw new Refusal(414, `url: longer than ${MAX_URL_LENGTH} characters`, { limit: MAX_URL_LENGTH });
    }
    if (checkHost && !hostAllowed(request.headers.host, allowedHosts)) {
      throw new Refusal(403, 'host: this Host header is not served here; set ALLOWED_HOSTS to serve it');
    }
    if (STATE_CHANGING(request.method) && !originAllowed(request.headers, corsOrigins)) {
      throw new Refusal(403, 'origin: requests that change state are not accepted from other web pages; set CORS_ORIGINS to allow one');
    }
    request.principal = await gate.principalOf(request);
    if (request.principal.keyId) {
      // The key's id, never the key, on every line this request logs.
      request.log = request.log.child({ keyId: request.principal.keyId });
      reply.log = request.log;
    }
    checkAccess(request);
  });

  await app.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_PER_SECOND,
    timeWindow: 1000,
    redis: ctx.redis,
    nameSpace: `${config.QUEUE_NAME}:rate-limit:`,
    // Redis down: serve (the routes that need Redis answer 503 themselves) rather than fail all.
    skipOnError: true,
    keyGenerator: (request) => (request.principal?.keyId ? `tenant:${request.principal.tenant}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new QuotaExceededError(
        'RATE_LIMIT_PER_SECOND',
        context.max,
        `requests: more than ${context.max} a second`,
        Math.max(1, Math.ceil(context.ttl / 1000)),
      ),
  });
}

export const securityPlugin = fp(security, { name: 'security', fastify: '5.x' });
