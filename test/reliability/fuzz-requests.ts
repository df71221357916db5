/**
 * fast-check arbitraries for the fuzz test: requests for any route of the OpenAPI document.
 * Generic generators (random and deep JSON, NUL strings, huge numbers, wrong types, garbage
 * text, content types, idempotency keys, query strings, path ids) fit every route, so a route
 * added later is fuzzed too; routes we know also get valid-looking bodies, mutated.
 */
import fc from 'fast-check';
import { irisJob } from '../helpers/http.ts';

export interface Route {
  method: string;
  /** OpenAPI path, `/v1/jobs/{id}` */
  path: string;
  query: string[];
  headers: string[];
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** Every byte percent-encoded: any string (NUL, lone surrogates as U+FFFD) becomes a valid URL part. */
const encode = (text: string) => [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const nasty = fc.constantFrom(
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '😀',
  '../../etc/passwd',
  '%00',
  '\'; DROP TABLE "Job"; --',
  '-1',
  '0',
  '1e20',
  '2147483648',
  '9007199254740993',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '-0',
  '1.5',
  'true',
  'null',
  '[]',
  '{}',
  '-271821-04-20T00:00:00.000Z',
  '0000-00-00',
  '__proto__',
  'constructor',
);
const text = fc.oneof(
  nasty,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ minLength: 300, maxLength: 5000 }),
);
const hugeNumber = fc.constantFrom(1e308, -1e308, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 + 2, 5e-324, -0, 1e20, 0.1);

/** JSON text nested `depth` deep, written by hand (JSON.stringify of it would overflow). */
const deepJson = fc
  .tuple(fc.integer({ min: 60, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) => (arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  fc.record({ name: text }),
  fc.dictionary(text, fc.oneof(text, hugeNumber, fc.constant(null))),
);

/** Sets the value at a random path of `base` (an object from JSON), or deletes it. */
function mutated(base: unknown): fc.Arbitrary<unknown> {
  const paths: Array<Array<string | number>> = [];
  const walk = (v: unknown, at: Array<string | number>) => {
    paths.push(at);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  walk(base, []);
  const replacement = fc.oneof(
    text,
    hugeNumber,
    anyJson,
    fc.constant(undefined),
    fc.integer(),
    fc.boolean(),
    fc.constant([]),
    fc.constant({}),
  );
  const one = fc.tuple(fc.constantFrom(...paths), replacement);
  return fc
    .array(one, { minLength: 1, maxLength: 3 })
    .map((changes) => {
      let value = structuredClone(base);
      for (const [path, next] of changes) {
        if (path.length === 0) {
          value = next;
          continue;
        }
        let parent: any = value;
        for (const step of path.slice(0, -1)) parent = parent?.[step];
        if (parent === null || typeof parent !== 'object') continue;
        const last = path[path.length - 1];
        if (next === undefined) delete parent[last];
        else parent[last] = next;
      }
      return value;
    })
    .chain((value) =>
      fc.tuple(fc.constant(value), fc.option(fc.tuple(text, fc.oneof(text, anyJson)), { nil: undefined })).map(([v, extra]) => {
        // sometimes an extra key of any text (NUL, huge) at the top or in a nested object
        if (extra && v && typeof v === 'object' && !Array.isArray(v)) (v as Record<string, unknown>)[extra[0]] = extra[1];
        return v;
      }),
    );
}

const VALID_TRAJECTORY = { function: 'rosenbrock', start: [-1.5, 2], steps: 20, optimizer: { name: 'adam', learningRate: 0.01 } };

/** Valid-looking JSON bodies of the routes we know; a new route gets the generic ones only. */
const KNOWN_JSON: Record<string, unknown> = {
  'POST /v1/jobs': irisJob({ training: { epochs: 1 } }),
  'POST /v1/trajectories': VALID_TRAJECTORY,
};

/** Query pairs that let a valid-looking request through (a CSV upload needs its label column). */
const KNOWN_QUERY: Record<string, Array<[string, string]>> = {
  'POST /v1/datasets': [
    ['label', 'label'],
    ['task', 'classification'],
    ['task', 'regression'],
  ],
};

function multipart(parts: Array<{ name: string; filename?: string; type?: string; content: string | Buffer }>, boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.type ? `Content-Type: ${part.type}\r\n` : ''}\r\n`),
    );
    chunks.push(Buffer.isBuffer(part.content) ? part.content : Buffer.from(part.content));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const VALID_MODEL = {
  modelTopology: {
    class_name: 'Sequential',
    config: {
      name: 'fuzz',
      layers: [{ class_name: 'Dense', config: { units: 3, activation: 'linear', batch_input_shape: [null, 4], use_bias: false } }],
    },
  },
  weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'dense/kernel', shape: [4, 3], dtype: 'float32' }] }],
};

const csvCell = fc.oneof(
  fc.integer().map(String),
  fc.double().map(String),
  text.map((t) => t.replace(/[\r\n]/g, ' ')),
  fc.constantFrom('', '"', '""', 'a,b', '1e999', '-1e999', 'NaN'),
);
const csv = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 8 }))
  .chain(([columns, rows]) =>
    fc
      .array(fc.array(csvCell, { minLength: columns, maxLength: columns + 1 }), { minLength: rows, maxLength: rows })
      .map((cells) =>
        [
          Array.from({ length: columns }, (_, i) => (i === columns - 1 ? 'label' : `f${i}`)).join(','),
          ...cells.map((r) => r.join(',')),
        ].join('\n'),
      ),
  );
/** A CSV the upload accepts with ?label=label: numeric features, two classes. */
const validCsv = fc
  .array(fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: -5, max: 5 }), fc.constantFrom('a', 'b')), {
    minLength: 2,
    maxLength: 20,
  })
  .map((rows) => ['f0,f1,label', ...rows.map((r) => r.join(',')), '1,2,a', '3,4,b'].join('\n')); // both classes, always
const datasetJson = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 4 }))
    .chain(([rows, width]) =>
      fc.record({
        x: fc.array(fc.array(fc.oneof(fc.double(), hugeNumber, text), { minLength: width, maxLength: width }), {
          minLength: rows,
          maxLength: rows,
        }),
        y: fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.double(), text), { minLength: rows, maxLength: rows + 1 }),
      }),
    )
    .map((v) => JSON.stringify(v)),
  anyJson.map((v) => JSON.stringify(v)),
  deepJson,
);

/** Multipart bodies: the upload routes' own shapes (valid-looking, broken) and random parts. */
function multipartBody(route: Route): fc.Arbitrary<{ type: string; payload: Buffer }> {
  const boundary = 'fuzzBoundary7d1';
  const modelJson = fc.oneof(
    fc.constant(JSON.stringify(VALID_MODEL)),
    mutated(VALID_MODEL).map((v) => JSON.stringify(v) ?? ''),
    deepJson,
    text,
  );
  const weights = fc.oneof(
    fc.constant(Buffer.alloc(48)),
    fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)),
  );
  const modelParts = fc
    .tuple(modelJson, weights, fc.option(text, { nil: undefined }), fc.constantFrom('model.json', 'a/model.json', 'x.json', ''))
    .map(([json, bin, name, file]) => [
      { name: 'model.json', filename: file, type: 'application/json', content: json },
      { name: 'weights.bin', filename: 'weights.bin', type: 'application/octet-stream', content: bin },
      ...(name === undefined ? [] : [{ name: 'name', content: name }]),
    ]);
  const datasetParts = fc
    .tuple(
      fc.oneof(validCsv, csv, datasetJson),
      fc.constantFrom('file', 'data', ''),
      fc.constantFrom('d.csv', 'd.json', '', 'x'),
      fc.constantFrom('text/csv', 'application/json', 'text/plain', 'application/octet-stream'),
    )
    .map(([content, field, filename, type]) => [{ name: field, filename, type, content }]);
  const randomParts = fc.array(
    fc.record({
      name: text.map((t) => t.replace(/["\r\n]/g, '')),
      filename: fc.option(
        text.map((t) => t.replace(/["\r\n]/g, '')),
        { nil: undefined },
      ),
      content: text,
    }),
    { maxLength: 4 },
  );
  const parts =
    route.path === '/v1/models'
      ? fc.oneof(modelParts, randomParts)
      : route.path === '/v1/datasets'
        ? fc.oneof(datasetParts, randomParts)
        : randomParts;
  return fc.tuple(parts, fc.boolean()).map(([p, truncate]) => {
    const whole = multipart(p, boundary);
    // sometimes cut short: a body that ends mid-part
    return {
      type: `multipart/form-data; boundary=${boundary}`,
      payload: truncate ? whole.subarray(0, Math.floor(whole.length / 2)) : whole,
    };
  });
}

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'text/csv',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'application/json; charset=latin1',
  'garbage/x',
  '',
);

type Body = { type?: string; payload?: string | Buffer };

function body(route: Route): fc.Arbitrary<Body> {
  const known = KNOWN_JSON[`${route.method} ${route.path}`];
  const json = fc.oneof(
    ...(known
      ? [
          mutated(known).map((v) => JSON.stringify(v) ?? 'null'),
          // valid but for the name: reaches the database (and, for jobs, the queue and idempotency keys)
          fc.option(text, { nil: undefined }).map((name) => JSON.stringify(name === undefined ? known : { ...known, name })),
        ]
      : []),
    anyJson.map((v) => JSON.stringify(v)),
    deepJson,
    fc.constantFrom('', '{', 'null', '"\\u0000"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '[1,2', '1e999'),
  );
  const uploads =
    route.path === '/v1/datasets' && route.method === 'POST'
      ? [
          fc
            .tuple(fc.oneof(validCsv, csv, datasetJson), fc.constantFrom('text/csv', 'application/json', 'text/plain'))
            .map(([payload, type]) => ({ type, payload })),
        ]
      : [];
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(json, fc.option(contentType, { nil: undefined, freq: 4 }))
        .map(([payload, type]) => ({ type: type ?? 'application/json', payload })),
    },
    { weight: 2, arbitrary: multipartBody(route) },
    ...uploads.map((arbitrary) => ({ weight: 2, arbitrary })),
    { weight: 1, arbitrary: fc.tuple(text, contentType).map(([payload, type]) => ({ type, payload })) },
    { weight: 1, arbitrary: fc.constant<Body>({}) },
  );
}

/** A request for `route`; `ids` are real ids (a queued job, an uploaded dataset) to hit found rows too. */
export function requestFor(route: Route, ids: string[]): fc.Arbitrary<FuzzRequest> {
  const id = fc.oneof(fc.uuid(), fc.constantFrom(...ids), text, fc.string({ minLength: 2000, maxLength: 8000 }));
  const pathArb = fc.tuple(...(route.path.match(/\{[^}]+\}/g) ?? []).map(() => id)).map((values) => {
    let i = 0;
    return route.path.replace(/\{[^}]+\}/g, () => encode(values[i++]));
  });
  const queryValue = fc.oneof(
    text,
    fc.integer().map(String),
    fc.constantFrom('1', '20', 'queued', 'classification'),
    // cursors: base64url of "time|id", as the API writes them, with any time and a uuid or any text
    fc
      .tuple(fc.date({ noInvalidDate: true }), fc.oneof(fc.uuid(), text))
      .map(([d, id]) => Buffer.from(`${d.toISOString()}|${id}`).toString('base64url')),
  );
  const known = KNOWN_QUERY[`${route.method} ${route.path}`] ?? [];
  const pair = fc.oneof(
    fc.tuple(fc.oneof(fc.constantFrom(...route.query, 'limit'), text), queryValue),
    ...(known.length > 0 ? [fc.constantFrom(...known)] : []),
  );
  const query = fc
    .array(pair, { maxLength: 4 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`));
  const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });
  const idempotency = fc.option(fc.oneof(fc.uuid(), headerText, fc.constant('')), { nil: undefined });
  return fc
    .tuple(
      pathArb,
      query,
      idempotency,
      route.method === 'GET' || route.method === 'DELETE' ? fc.oneof(fc.constant<Body>({}), body(route)) : body(route),
    )
    .map(([path, q, key, b]) => {
      const headers: Record<string, string> = {};
      if (b.type !== undefined && b.type !== '') headers['content-type'] = b.type;
      if (key !== undefined) headers['idempotency-key'] = key;
      return { method: route.method, url: path + q, headers, ...(b.payload === undefined ? {} : { payload: b.payload }) };
    });
}
