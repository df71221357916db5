/**
 * A request body the OpenAPI document shows and Fastify does not validate. The uploads read
 * their body as a stream (CSV and JSON parsed while they arrive, multipart parts one by one), so
 * their routes declare no `schema.body`: Fastify would validate it, and a stream is no object.
 * Instead the route gives @fastify/swagger a transform of its own (route `config.swaggerTransform`,
 * the documented per-route transform), which only the document's generation calls: it adds the
 * body, one schema per content type (`requestBody.content`), to a copy of the route's schema.
 * A global `transform` (app.ts has none) would not run for these routes: a route's own replaces it.
 */
import type { SwaggerTransform } from '@fastify/swagger';
import type { TSchema } from 'typebox';

/** Route config that describes the body in the document only; `content` maps each content type to its schema. */
export function documentedBody(content: Record<string, TSchema>): { swaggerTransform: SwaggerTransform } {
  return {
    swaggerTransform: ({ schema, url }) => ({
      // A fresh copy for each document: @fastify/swagger moves `examples` out of the schemas it is given.
      schema: {
        ...schema,
        body: { content: structuredClone(Object.fromEntries(Object.entries(content).map(([t, s]) => [t, { schema: s }]))) },
      },
      url,
    }),
  };
}
