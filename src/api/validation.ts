/**
 * Input is taken as sent. Query strings and path parameters are text by nature, so their
 * numbers are coerced ("?limit=5"); a JSON body is typed already, so `"name": 123` is a 400,
 * not "123". And a query parameter no route declares is a 400 naming it, not silently ignored.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyRequest } from 'fastify';
import { InvalidInputError } from '../errors.ts';

type BuildValidator = ReturnType<typeof AjvCompiler>;

/** Fastify's `schemaController.compilersFactory.buildValidator`: one Ajv for bodies, one for the rest. */
export const buildValidator: BuildValidator = (externalSchemas, options) => {
  const coercing = AjvCompiler()(externalSchemas, options);
  const strict = AjvCompiler()(externalSchemas, {
    ...options,
    customOptions: { ...(options?.customOptions as object), coerceTypes: false },
  } as Parameters<BuildValidator>[1]);
  return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
};

/** onRequest/preValidation check: every query parameter is one the route's schema declares. */
export function rejectUnknownQuery(request: FastifyRequest): void {
  const url = request.routeOptions.url;
  if (url === undefined || url === '/docs' || url.startsWith('/docs/')) return; // swagger-ui's own files
  const names = Object.keys(request.query as Record<string, unknown>);
  if (names.length === 0) return;
  const declared = (request.routeOptions.schema?.querystring as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  const unknown = names.filter((name) => !Object.hasOwn(declared, name));
  if (unknown.length > 0) {
    throw new InvalidInputError('querystring', `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, 400, { unknown });
  }
}
