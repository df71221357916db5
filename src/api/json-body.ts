/**
 * What a request may carry before any route sees it. PostgreSQL text and jsonb cannot hold a
 * NUL (\u0000: errors 22021 / 22P05) nor, in jsonb, an unpaired UTF-16 surrogate, and a JSON
 * value nested thousands deep overflows the stack of every recursive walk after parsing
 * (schema validation, the spec parser, hashing). So every application/json body is parsed once
 * here and walked without recursion: too deep, or a string or key PostgreSQL cannot store, is
 * a 400 naming the path. Query strings get the same text check, and a multipart content type
 * must name its boundary.
 */
import type { FastifyInstance } from 'fastify';
import { InvalidInputError } from '../errors.ts';

/** Deepest nesting a body may have: a job spec needs about 5 levels; 64 leaves room and keeps walks cheap. */
export const MAX_JSON_DEPTH = 64;

/** Why PostgreSQL could not store this string, or null. */
function unstorableText(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  // With the u flag a surrogate pair is one code point, so \p{Cs} matches only an unpaired half.
  if (/\p{Cs}/u.test(text)) return 'contains an unpaired UTF-16 surrogate (not valid Unicode), which cannot be stored';
  return null;
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: string | number | null;
}

/** "model.layers[2].units"; `root` when the problem is the value itself. */
function pathOf(frame: Frame, root: string): string {
  const parts: string[] = [];
  for (let f: Frame | null = frame; f && f.key !== null; f = f.parent) {
    parts.push(typeof f.key === 'number' ? `[${f.key}]` : `${f.parent?.key === null ? '' : '.'}${f.key}`);
  }
  return parts.length === 0 ? root : parts.reverse().join('');
}

/**
 * The first place in `value` that is nested deeper than `maxDepth` or holds text PostgreSQL
 * cannot store, as `{ path, reason }`; null when there is none. Iterative: any depth is safe.
 */
export function findUnstorable(value: unknown, root = 'body', maxDepth = MAX_JSON_DEPTH): { path: string; reason: string } | null {
  const stack: Frame[] = [{ value, depth: 0, parent: null, key: null }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v === 'string') {
      const reason = unstorableText(v);
      if (reason) return { path: pathOf(frame, root), reason };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth) return { path: pathOf(frame, root), reason: `is nested deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, parent: frame, key: i });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const child: Frame = { value: (v as Record<string, unknown>)[keys[i]], depth, parent: frame, key: keys[i] };
      const reason = unstorableText(keys[i]);
      if (reason) return { path: pathOf(child, root), reason: `(a key) ${reason}` };
      stack.push(child);
    }
  }
  return null;
}

/**
 * A numeric query parameter given as an infinite number ("Infinity", "1e400"). Ajv 8.20 coerces
 * it to Infinity and lets it through `type: integer` and `maximum` alike (measured: ?limit=Infinity
 * reached Prisma as a 500), so it is refused here, for every route, from its query schema.
 */
function infiniteNumber(query: unknown, schema: unknown): { path: string; reason: string } | null {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
  if (!properties || query === null || typeof query !== 'object') return null;
  for (const [key, value] of Object.entries(query)) {
    const type = properties[key]?.type;
    if (type !== 'integer' && type !== 'number') continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string' && Math.abs(Number(v)) === Infinity)
        return { path: key, reason: `${v.slice(0, 40)} is not a finite number` };
    }
  }
  return null;
}

function refuse(found: { path: string; reason: string }): InvalidInputError {
  // A key may be as long as the body: keep the message readable.
  const path = found.path.length > 300 ? `${found.path.slice(0, 300)}…` : found.path;
  return new InvalidInputError(path, found.reason);
}

/**
 * Replaces Fastify's application/json parser (same parsing: secure-json-parse, refusing
 * __proto__ and constructor.prototype) with one that also bounds depth and checks text; checks
 * every query string's text and numbers, and every multipart content type's boundary.
 * Register before the routes (plugins that parse their own bodies, as the uploads do, keep theirs).
 */
export function registerInputGuards(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    void parse(request, body as string, (err, value) => {
      if (err) return done(err, undefined);
      const found = findUnstorable(value);
      if (found) return done(refuse(found), undefined);
      done(null, value);
    });
  });
  // Busboy throws a plain Error (a 500) for a multipart type without its boundary, before any route code runs.
  app.addHook('onRequest', async (request) => {
    const type = request.headers['content-type'];
    if (type && /^multipart\//i.test(type) && !/;\s*boundary=("[^"]+"|[^\s;]+)/i.test(type)) {
      throw new InvalidInputError('content-type', `${type.slice(0, 100)} has no boundary parameter (multipart/form-data; boundary=…)`);
    }
  });
  app.addHook('preValidation', async (request) => {
    const found =
      findUnstorable(request.query, 'querystring', 2) ?? infiniteNumber(request.query, request.routeOptions.schema?.querystring);
    if (found) throw refuse({ ...found, path: found.path === 'querystring' ? found.path : `querystring ${found.path}` });
  });
}
