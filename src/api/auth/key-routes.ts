/** /v1/keys: admin keys create, list and revoke API keys (the command line does the same: src/keys-cli.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { NotFoundError } from '../../errors.ts';
import { createKey, listKeys, revokeKey, TENANT_PATTERN, type KeyRow } from '../../store/keys.ts';
import type { ApiContext } from '../context.ts';
import { ErrorBody } from '../schemas.ts';
import type { AuthGate } from './gate.ts';

const Key = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  prefix: Type.String({ description: 'the first characters of the key, to recognise it' }),
  role: Type.Unsafe<'admin' | 'user'>({ type: 'string', enum: ['admin', 'user'] }),
  tenant: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const NewKey = Type.Intersect([
  Key,
  Type.Object({ key: Type.String({ description: 'the key itself: shown this once, stored only as a hash' }) }),
]);
const KeyRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    tenant: Type.Optional(
      Type.String({ pattern: TENANT_PATTERN.source, description: 'default: "default", the tenant of open local mode' }),
    ),
    role: Type.Optional(Type.Unsafe<'admin' | 'user'>({ type: 'string', enum: ['admin', 'user'], default: 'user' })),
  },
  { additionalProperties: false },
);
const KeyIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export function keyView(row: KeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    tenant: row.tenant,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export function keyRoutes({ db }: ApiContext, gate: AuthGate): FastifyPluginAsyncTypebox {
  return async (app) => {
    const admin = { access: 'admin' as const };
    app.post(
      '/v1/keys',
      {
        config: admin,
        schema: {
          summary: 'Create an API key (admin); the key is in this answer only',
          tags: ['admin'],
          body: KeyRequest,
          response: { 201: NewKey, 400: ErrorBody },
        },
      },
      async (request, reply) => {
        const created = await createKey(db, { name: request.body.name, tenant: request.body.tenant, role: request.body.role });
        gate.keyCreated();
        request.log.info({ createdKeyId: created.id, tenant: created.tenant, role: created.role }, 'API key created');
        return reply
          .status(201)
          .header('location', `/v1/keys/${created.id}`)
          .send({ ...keyView(created), key: created.key });
      },
    );

    app.get(
      '/v1/keys',
      {
        config: admin,
        schema: {
          summary: 'Every API key (admin), without the keys themselves',
          tags: ['admin'],
          response: { 200: Type.Object({ keys: Type.Array(Key) }) },
        },
      },
      async () => ({ keys: (await listKeys(db)).map(keyView) }),
    );

    app.delete(
      '/v1/keys/:id',
      {
        config: admin,
        schema: {
          summary: 'Revoke an API key (admin): it answers 401 from now on',
          tags: ['admin'],
          params: KeyIdParams,
          response: { 200: Key, 404: ErrorBody },
        },
      },
      async (request) => {
        const row = await revokeKey(db, request.params.id);
        if (!row) throw new NotFoundError('id', `no key ${request.params.id}`);
        request.log.info({ revokedKeyId: row.id }, 'API key revoked');
        return keyView(row);
      },
    );
  };
}
